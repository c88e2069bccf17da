using Medins.Payment.V1;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>
/// Applies payments and refunds to the counters through the order they belong to, inside the event's inbox
/// transaction: a refund undoes exactly what its payment counted, and one that arrives first waits for it. An event
/// costs a claim of its order row and one batch of order writes; its counter deltas join the batch's totals.
/// </summary>
public sealed class ContributionLedger(RulesCache rules, TimeProvider time, ILogger<ContributionLedger> logger)
{
    /// <summary>Counts a settled contribution; false when the order was already counted (a second payment event).</summary>
    public async Task<bool> PayAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid eventId, ContributionPaid paid,
        CounterTotals totals, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUniversalTime();
        var (claimed, created) = await CounterStore.ClaimOrderAsync(conn, tx, tenantId, paid.OrderId, now, ct);
        if (claimed.State != OrderRow.AwaitingPayment)
        {
            logger.LogWarning("Not counting contribution.paid event {EventId}: order {OrderId} was counted by event {PaidEventId}",
                eventId, paid.OrderId, claimed.PaidEventId);
            return false;
        }

        var lines = Enrolments.Sum(paid.SubsidyLines.Select(ToLine), sign: 1);
        var subsidy = lines.Sum(l => l.AmountFen);
        if (subsidy != paid.SubsidyAmountFen)
            logger.LogWarning("Order {OrderId}: subsidy lines sum to {LinesFen} fen, subsidy_amount_fen is {SubsidyFen}; the lines are counted",
                paid.OrderId, subsidy, paid.SubsidyAmountFen);
        var tenantRules = await rules.GetAsync(conn, tx, tenantId, paid.CoverageYear, ct);
        var order = new OrderRow(paid.OrderId, OrderRow.Enrolled, paid.CoverageYear, paid.VillageCode, paid.PersonGroup,
            CounterDimensions.ChannelKey(paid.Channel), paid.PersonalAmountFen,
            Enrolments.KeyGroupsOf(tenantRules, lines.Select(l => l.Category), paid.PersonGroup), eventId);

        var writes = new CounterWrites(tenantId, now, [], totals);
        var delta = Enrolments.Payment(paid.PersonalAmountFen, subsidy);
        writes.Counts(order.CoverageYear, order.VillageCode, delta, Breakdowns(order, delta));
        writes.Lines(order.OrderId, order.CoverageYear, order.VillageCode, lines);
        // A row this payment created has no refund waiting for it.
        if (!created)
            foreach (var refund in await CounterStore.WaitingRefundsAsync(conn, tx, tenantId, order.OrderId, ct))
            {
                order = Refund(writes, order, refund, tenantRules);
                writes.MarkApplied(refund.RefundKey);
            }
        writes.SaveOrder(order, paid.PersonalAmountFen);
        await writes.ExecuteAsync(conn, tx, ct);
        return true;
    }

    /// <summary>Applies a refund, or stores it to wait for its payment.</summary>
    public async Task RefundAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid eventId, ContributionRefunded refunded,
        CounterTotals totals, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUniversalTime();
        var (order, _) = await CounterStore.ClaimOrderAsync(conn, tx, tenantId, refunded.OrderId, now, ct);
        // Events without a kind come from before refunds had kinds, when every refund was a full one.
        var refund = new RefundRow(refunded.RefundId.Length > 0 ? refunded.RefundId : eventId.ToString(), refunded.OrderId,
            refunded.Kind != RefundKind.Differential, refunded.RefundedAmountFen,
            Enrolments.Sum(refunded.WithdrawnSubsidyLines.Select(ToLine), sign: -1),
            Enrolments.Sum(refunded.GrantedSubsidyLines.Select(ToLine), sign: 1));
        var waiting = order.State == OrderRow.AwaitingPayment;
        if (!await CounterStore.TryAddRefundAsync(conn, tx, tenantId, refund, refunded.Reason, refunded.RefundTime?.ToDateTimeOffset(),
                now, applied: !waiting, ct))
        {
            logger.LogWarning("Not counting contribution.refunded event {EventId}: refund {RefundKey} is already recorded", eventId, refund.RefundKey);
            return;
        }
        if (waiting)
        {
            logger.LogInformation("Refund {RefundKey} of order {OrderId} waits for its payment", refund.RefundKey, refund.OrderId);
            return;
        }
        var writes = new CounterWrites(tenantId, now, await CounterStore.OrderLinesAsync(conn, tx, tenantId, order.OrderId, ct), totals);
        var changed = Refund(writes, order, refund, await rules.GetAsync(conn, tx, tenantId, order.CoverageYear, ct));
        if (!ReferenceEquals(changed, order)) writes.SaveOrder(changed, personalFen: null);
        await writes.ExecuteAsync(conn, tx, ct);
    }

    /// <summary>Adds a refund's writes; returns the order as it stands after it.</summary>
    private OrderRow Refund(CounterWrites writes, OrderRow order, RefundRow refund, QuotaRules? tenantRules)
    {
        if (order.State == OrderRow.Refunded)
        {
            // The enrolment already ended; a second refund of it cannot end it again.
            logger.LogWarning("Refund {RefundKey} of order {OrderId} came after its full refund; not counted", refund.RefundKey, order.OrderId);
            return order;
        }
        if (refund.Full)
        {
            var delta = Enrolments.FullRefund(order.ZeroContribution, refund.RefundedFen, -refund.Withdrawn.Sum(l => l.AmountFen));
            writes.Counts(order.CoverageYear, order.VillageCode, delta, Breakdowns(order, delta));
            writes.Lines(order.OrderId, order.CoverageYear, order.VillageCode, refund.Withdrawn);
            return order with { State = OrderRow.Refunded, NetPersonalFen = order.NetPersonalFen - refund.RefundedFen };
        }

        var granted = Enrolments.KeyGroupsOf(tenantRules, refund.Granted.Select(l => l.Category), order.PersonGroup);
        // The new identity's lines replace those in force before (withdrawn, already negative): a lower-rate subsidy
        // that became a higher one moves to the new fund lines rather than adding to the old.
        var change = Enrolments.DifferentialRefund(order.NetPersonalFen, refund.RefundedFen,
            refund.Granted.Sum(l => l.AmountFen) + refund.Withdrawn.Sum(l => l.AmountFen), order.KeyGroups, granted);
        var joined = new CountDelta(Enrolled: 1, Paid: change.NowZeroContribution ? 0 : 1, ZeroContribution: change.NowZeroContribution ? 1 : 0);
        writes.Counts(order.CoverageYear, order.VillageCode, change.Delta,
            Breakdowns(order, change.Delta).Concat(change.AddedKeyGroups.Select(g => (CounterDimensions.KeyGroup, g, joined))));
        writes.Lines(order.OrderId, order.CoverageYear, order.VillageCode, refund.Withdrawn);
        writes.Lines(order.OrderId, order.CoverageYear, order.VillageCode, refund.Granted);
        return order with { NetPersonalFen = change.NetPersonalFen, KeyGroups = [.. order.KeyGroups, .. change.AddedKeyGroups] };
    }

    private static IEnumerable<(string, string, CountDelta)> Breakdowns(OrderRow order, CountDelta delta)
    {
        // Breakdowns keep people and the personal money, not differential refunds or subsidies (those are village totals).
        var counted = delta with { DifferentialRefunds = 0, SubsidyFen = 0 };
        yield return (CounterDimensions.PersonGroup, order.PersonGroup, counted);
        yield return (CounterDimensions.Channel, order.ChannelKey, counted);
        foreach (var group in order.KeyGroups) yield return (CounterDimensions.KeyGroup, group, counted);
    }

    private static FundLine ToLine(SubsidyLine line) => new(line.FundingSource, line.Category, line.AmountFen, line.Description);
}
