using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.QuotaTracking.Progress;

public sealed class ProgressOptions
{
    /// <summary>Off in tests that drive snapshots themselves.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>How often snapshots are looked for and the gauges refreshed.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Every interval: takes the weekly snapshots due, then refreshes the gauges. Each replica runs it; the
/// snapshot claim makes that harmless.</summary>
public sealed class ProgressJob(SnapshotTaker snapshots, ProgressGauges gauges, TimeProvider time, IOptions<ProgressOptions> options,
    ILogger<ProgressJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await snapshots.TakeDueAsync(stoppingToken);
                await gauges.RefreshAsync(await snapshots.AllRulesAsync(stoppingToken), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Progress snapshots or gauges failed; retrying next interval");
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
