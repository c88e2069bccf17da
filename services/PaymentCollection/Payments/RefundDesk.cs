using Google.Protobuf.WellKnownTypes;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.PaymentCollection.Data;
using Medins.PaymentCollection.Domain;
using Medins.PaymentCollection.Grpc;
using Medins.PaymentCollection.Upstream;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Messaging;
using Npgsql;
using DomainOrder = Medins.PaymentCollection.Domain.PaymentOrder;
using DomainRefund = Medins.PaymentCollection.Domain.Refund;

namespace Medins.PaymentCollection.Payments;

/// <summary>
/// Refunds inside the caller's tenant transaction: full refunds asked by a clerk, differential refunds raised by an
/// identity certified after payment, and their completion (which publishes contribution.refunded).
/// </summary>
public sealed class RefundDesk(Outbox outbox, ResidentPricing pricing, OrderBook orders, ILogger<RefundDesk> logger)
{
    /// <summary>The requester of refunds raised by <c>identity.certified</c>.</summary>
    public const string IdentityCertifiedRequester = "identity.certified";

    public async Task<(DomainOrder Order, DomainRefund Refund)> RequestFullAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, Guid orderId, string reason, string evidenceReference, string requestedBy, CancellationToken ct)
    {
        var order = await LockOrderAsync(conn, tx, tenantId, orderId, ct)
            ?? throw new PaymentRuleException(PaymentRuleException.OrderNotFound, $"No payment order {orderId}.");
        var earlier = await RefundStore.ForOrderAsync(conn, tx, tenantId, orderId, ct);
        var decision = order.State == OrderState.Paid
            ? await pricing.DecideRefundAsync(new DecideRefundRequest
            {
                CoverageYear = order.CoverageYear,
                PolicyVersion = order.PolicyVersion,
                Reason = reason,
                DecisionDate = ShanghaiCalendar.ToDate(orders.Now()).ToProtoDate(),
                PaidPersonalAmountFen = order.PersonalAmountFen,
                BenefitStartDate = order.BenefitStart.ToProtoDate(),
            }, ct)
            : new PolicyRefundDecision(false, PaymentRuleException.OrderNotPaid, 0, "");
        var now = orders.Now();
        var (refunding, refund) = RefundRules.RequestFull(order, earlier, decision, reason, evidenceReference, requestedBy,
            Guid.CreateVersion7(now), now);
        await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, refunding, ct);
        await RefundStore.InsertAsync(conn, tx, tenantId, refund, ct);
        // In the same transaction: the registry suspends the enrolment as the order leaves 'paid'.
        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionRefundRequested,
            PaymentEvents.RefundRequested(tenantId, refunding, refund), ct);
        return (refunding, refund);
    }

    /// <summary>The money is back with the person: the refund completes, a full refund ends the order, the event goes out.</summary>
    public async Task<DomainRefund> CompleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid refundId,
        string refundReference, CancellationToken ct)
    {
        var open = await RefundStore.FindAsync(conn, tx, tenantId, refundId, ct)
            ?? throw new PaymentRuleException(PaymentRuleException.RefundNotFound, $"No refund {refundId}.");
        var order = (await LockOrderAsync(conn, tx, tenantId, open.OrderId, ct))!;
        var refund = open.Complete(refundReference, orders.Now());
        await RefundStore.CompleteAsync(conn, tx, tenantId, refund, ct);
        if (refund.Kind == RefundKind.Full)
        {
            order = order.CompleteRefund();
            await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, order, ct);
        }
        else
        {
            // The order, the registry (from the event) and quota-tracking's settlement then show the same amounts.
            order = order.AdjustForDifferentialRefund(refund.AmountFen, refund.GrantedSubsidyLines);
            await PaymentOrderStore.AdjustOrderAsync(conn, tx, tenantId, order, ct);
        }
        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionRefunded, PaymentEvents.Refunded(tenantId, order, refund), ct);
        PaymentMetrics.RefundCompleted(tenantId, refund);
        return refund;
    }

    /// <summary>
    /// An identity certified after the person paid as ordinary: each of her paid orders gets the differential refund
    /// its policy grants (Gaoyang seed 004 §二(五)3), none where the policy grants none (Lidu seed 000 §三(三)).
    /// </summary>
    public async Task<IReadOnlyList<DomainRefund>> RefundDifferenceAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IdentityCertified certified, CancellationToken ct)
    {
        var paid = await PaymentOrderStore.PaidOrdersOfResidentAsync(conn, tx, tenantId, certified.ResidentId, ct);
        if (paid.Count == 0) return [];
        var certifiedOn = certified.ValidFrom.ToDateOnly() ?? ShanghaiCalendar.ToDate(orders.Now());
        var resident = await pricing.GetResidentAsync(certified.ResidentId, ct);
        var refunds = new List<DomainRefund>();
        foreach (var candidate in paid)
        {
            var order = (await LockOrderAsync(conn, tx, tenantId, candidate.OrderId, ct))!;
            var earlier = await RefundStore.ForOrderAsync(conn, tx, tenantId, order.OrderId, ct);
            if (order.State != OrderState.Paid || earlier.Any(r => r.IdentityId == certified.IdentityId)) continue;
            var decision = await pricing.DecideRefundAsync(new DecideRefundRequest
            {
                CoverageYear = order.CoverageYear,
                PolicyVersion = order.PolicyVersion,
                Reason = RefundRules.IdentityCertifiedReason,
                DecisionDate = certifiedOn.ToProtoDate(),
                PaidPersonalAmountFen = order.PersonalAmountFen,
                BenefitStartDate = order.BenefitStart.ToProtoDate(),
                PaymentDate = ShanghaiCalendar.ToDate(order.PaidAt!.Value).ToProtoDate(),
                BirthDate = resident.BirthDate,
                Tier = order.Tier,
                PersonGroup = order.PersonGroup,
                // Re-priced on the payment day as if she had held, then, the identities she holds once certified.
                IdentityCodes = { resident.IdentityCodesOn(certifiedOn) },
            }, ct);
            var now = orders.Now();
            var refund = RefundRules.Differential(order, earlier, decision, certified.IdentityId, IdentityCertifiedRequester,
                Guid.CreateVersion7(now), now);
            if (refund is null)
            {
                logger.LogInformation("Identity {IdentityId} earns no differential refund on order {OrderId}: {Reason}",
                    certified.IdentityId, order.OrderId, decision.Reason);
                continue;
            }
            await RefundStore.InsertAsync(conn, tx, tenantId, refund, ct);
            refunds.Add(refund);
        }
        return refunds;
    }

    private static async Task<DomainOrder?> LockOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid orderId, CancellationToken ct)
    {
        var found = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: false, ct);
        if (found is null) return null;
        // The person-year lock first, as confirmations take it, so the two never deadlock.
        await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, found.ResidentId, found.CoverageYear, ct);
        return await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: true, ct);
    }
}
