using Medins.Platform.Hosting.Data;
using Prometheus;

namespace Medins.PaymentCollection.Reconciliation;

/// <summary>
/// Publishes the open discrepancies of every tenant by channel (eight label values), counted every half minute in
/// the system scope over a partial index: every replica reports the same number, so dashboards take the max.
/// </summary>
public sealed class OpenDiscrepancyGauge(PlatformDatabase db, ILogger<OpenDiscrepancyGauge> logger) : BackgroundService
{
    private static readonly string[] Channels =
        ["wechat_pay", "alipay", "tax_e_bureau", "yukuaiban", "bank_counter", "village_pos", "school", "village_cash"];

    private static readonly Gauge Open = Metrics.CreateGauge("medins_payment_reconciliation_open_discrepancies",
        "Reconciliation discrepancies not yet resolved, by channel.", "channel");

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var open = await db.InSystemScopeAsync((conn, tx) => ReconciliationStore.OpenByChannelAsync(conn, tx, stoppingToken),
                    stoppingToken);
                foreach (var channel in Channels) Open.WithLabels(channel).Set(open.GetValueOrDefault(channel));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Counting open reconciliation discrepancies failed; retrying");
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
