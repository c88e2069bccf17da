using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>What one check found: the alerts it raised and the cash held per tenant.</summary>
public sealed record UnremittedCashCheck(IReadOnlyList<CashHolding> AlertsRaised, IReadOnlyDictionary<string, long> UnremittedByTenant);

/// <summary>
/// Looks, on the injected clock, for agents still holding a day's cash past that day's cut-off, and raises
/// payment.cash-unremitted once per agent and day (the alert row and its event commit together). It also keeps
/// the unremitted-cash gauge. Every replica may run it: the alert's key decides who raises it.
/// </summary>
public sealed class UnremittedCashMonitor(PlatformDatabase db, Outbox outbox, TimeProvider time,
    IOptions<VillageCashOptions> options, ILogger<UnremittedCashMonitor> logger) : BackgroundService
{
    // Labelled by tenant only: tenants are a short configured list, so the series stay bounded.
    private static readonly Gauge UnremittedCash = Metrics.CreateGauge("medins_payment_unremitted_cash_fen",
        "Cash collected by village agents and not yet remitted (fen), by tenant.", "tenant");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Unremitted cash check failed; retrying at the next interval");
            }
            try
            {
                await Task.Delay(options.Value.CheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One pass: raises the alerts now due and refreshes the gauge.</summary>
    public async Task<UnremittedCashCheck> CheckAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (holdings, totals) = await db.InSystemScopeAsync(async (conn, tx) =>
            (await CashStore.UnalertedHoldingsAsync(conn, tx, ct), await CashStore.UnremittedByTenantAsync(conn, tx, ct)), ct);

        var raised = new List<CashHolding>();
        var due = holdings
            .Select(h => (h.Holding, Cutoff: h.Cutoff ?? options.Value.DefaultRemittanceCutoff))
            .Where(h => CashRules.IsOverdue(h.Holding.CollectionDate, h.Cutoff, h.Holding.UnremittedFen, now));
        foreach (var tenantHoldings in due.GroupBy(h => h.Holding.TenantId))
        {
            // Written in the tenant's own transaction; what is still held is read again there, as a remittance may
            // have committed since the sweep.
            raised.AddRange(await db.InTenantAsync(tenantHoldings.Key, async (conn, tx) =>
            {
                var tenantRaised = new List<CashHolding>();
                foreach (var (swept, cutoff) in tenantHoldings)
                {
                    var (unremitted, receipts) = await CashStore.HoldingAsync(conn, tx, swept.TenantId, swept.AgentId,
                        swept.CollectionDate, ct);
                    if (unremitted == 0) continue;
                    var holding = swept with { UnremittedFen = unremitted, ReceiptCount = receipts };
                    var cutoffAt = CashRules.CutoffInstant(holding.CollectionDate, cutoff);
                    if (!await CashStore.InsertAlertAsync(conn, tx, holding.TenantId, holding, cutoffAt, now.ToUniversalTime(), ct))
                        continue;
                    await outbox.AddAsync(conn, tx, holding.TenantId, EventTopics.CashUnremitted, Event(holding, cutoffAt), ct);
                    tenantRaised.Add(holding);
                }
                return tenantRaised;
            }, ct));
        }

        foreach (var tenant in UnremittedCash.GetAllLabelValues().Select(l => l[0]).Where(t => !totals.ContainsKey(t)).ToList())
            UnremittedCash.WithLabels(tenant).Set(0);
        foreach (var (tenant, fen) in totals)
            UnremittedCash.WithLabels(tenant).Set(fen);
        foreach (var holding in raised)
            logger.LogWarning("Agent {AgentId} of {TenantId} holds {AmountFen} fen of {Date} past the cut-off",
                holding.AgentId, holding.TenantId, holding.UnremittedFen, holding.CollectionDate);
        return new UnremittedCashCheck(raised, totals);
    }

    private static CashUnremitted Event(CashHolding holding, DateTimeOffset cutoffAt) => new()
    {
        TenantId = holding.TenantId,
        AgentId = holding.AgentId,
        VillageCode = holding.VillageCode,
        CollectionDate = holding.CollectionDate.ToProtoDate(),
        UnremittedAmountFen = holding.UnremittedFen,
        ReceiptCount = holding.ReceiptCount,
        CutoffTime = Timestamp.FromDateTimeOffset(cutoffAt),
    };
}
