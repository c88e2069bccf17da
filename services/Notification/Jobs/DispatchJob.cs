using Medins.Notification.Campaigns;
using Medins.Notification.Data;
using Medins.Notification.Delivery;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Notification.Jobs;

/// <summary>
/// Every interval: starts the campaigns whose time has come, sends what is due, closes finished campaigns and
/// refreshes the backlog gauge. Each replica runs it; claims and leases keep them from doing the same work twice.
/// </summary>
public sealed class DispatchJob(CampaignRunner campaigns, Dispatcher dispatcher, DeliveryStore store, TimeProvider time,
    IOptions<DispatcherOptions> options, ILogger<DispatchJob> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await campaigns.StartDueAsync(stoppingToken);
                // Batches back to back while work is due, but not for ever: campaigns due meanwhile must start too.
                var started = time.GetTimestamp();
                while (await dispatcher.DispatchDueAsync(stoppingToken) > 0 && time.GetElapsedTime(started) < MaxDrain) { }
                await campaigns.CompleteFinishedAsync(stoppingToken);
                NotificationMetrics.DueMessages.Set(await store.CountDueAsync(time.GetUtcNow(), stoppingToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Dispatching failed; retrying next interval");
            }
            try
            {
                await Task.Delay(options.Value.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
