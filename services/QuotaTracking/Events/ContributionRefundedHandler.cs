using Medins.Payment.V1;
using Medins.QuotaTracking.Data;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>
/// A full refund ends the person's enrolment and withdraws her subsidy lines; a differential refund keeps it,
/// returns the newly subsidised part and grants the new lines. Either waits for its payment if it comes first.
/// </summary>
public sealed class ContributionRefundedHandler(ContributionLedger ledger, ILogger<ContributionRefundedHandler> logger)
    : IEventBatchHandler<ContributionRefunded>
{
    public Task HandleAsync(InboundEvent<ContributionRefunded> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct) =>
        HandleBatchAsync([evt], conn, tx, ct);

    /// <summary>Orders claimed in order id order (a stable sort keeps one order's refunds in delivery order), counters summed.</summary>
    public async Task HandleBatchAsync(IReadOnlyList<InboundEvent<ContributionRefunded>> events, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        var totals = new CounterTotals();
        foreach (var evt in events.OrderBy(e => e.Data.OrderId, StringComparer.Ordinal))
        {
            var refunded = evt.Data;
            if (!CountableEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, refunded.TenantId, refunded.VillageCode, refunded.CoverageYear,
                    refunded.OrderId))
                continue;
            await ledger.RefundAsync(conn, tx, evt.TenantId, evt.Id, refunded, totals, ct);
        }
        await totals.FlushAsync(conn, tx, ct);
    }
}
