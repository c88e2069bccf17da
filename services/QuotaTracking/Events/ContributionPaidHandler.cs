using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Medins.QuotaTracking.Data;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>A settled contribution enrols one person in her village, group, channel and key groups, and adds her
/// subsidy lines to what each fund owes.</summary>
public sealed class ContributionPaidHandler(ContributionLedger ledger, ILogger<ContributionPaidHandler> logger)
    : IEventBatchHandler<ContributionPaid>
{
    public Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct) =>
        HandleBatchAsync([evt], conn, tx, ct);

    /// <summary>Orders claimed in order id order (a stable sort keeps one order's events in delivery order), counters summed.</summary>
    public async Task HandleBatchAsync(IReadOnlyList<InboundEvent<ContributionPaid>> events, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        var totals = new CounterTotals();
        var applied = new List<InboundEvent<ContributionPaid>>();
        foreach (var evt in events.OrderBy(e => e.Data.OrderId, StringComparer.Ordinal))
        {
            var paid = evt.Data;
            if (!CountableEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, paid.TenantId, paid.VillageCode, paid.CoverageYear, paid.OrderId))
                continue;
            if (await ledger.PayAsync(conn, tx, evt.TenantId, evt.Id, paid, totals, ct)) applied.Add(evt);
        }
        await totals.FlushAsync(conn, tx, ct);

        // Inside the inbox claim, so a duplicate delivery never counts; a commit failing after this line would count
        // the redelivery again, which a throughput metric tolerates.
        foreach (var evt in applied)
            QuotaMetrics.PaymentsApplied.WithLabels(evt.TenantId, QuotaMetrics.ChannelLabel(CounterDimensions.ChannelKey(evt.Data.Channel))).Inc();
    }
}
