using Google.Protobuf.WellKnownTypes;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Npgsql;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;
using DomainRefund = Medins.PaymentCollection.Refunds.Refund;

namespace Medins.PaymentCollection.Refunds;

/// <summary>
/// Refunds inside the caller's tenant transaction: full refunds asked by a clerk, differential refunds raised by an
/// identity certified after payment, and their completion (which publishes contribution.refunded).
/// </summary>
public sealed class RefundDesk(Outbox outbox, ResidentPricing pricing, RefundPolicy policy, OrderBook orders, PlatformDatabase db,
    ILogger<RefundDesk> logger)
{
    /// <summary>The requester of refunds raised by <c>identity.certified</c>.</summary>
    public const string IdentityCertifiedRequester = "identity.certified";

    /// <summary>
    /// Asks the policy, before the transaction opens, what it decides for the order as it stands now; the transaction
    /// then uses that answer only if it builds the very same question (else <see cref="OrderBook.StaleQuote"/>).
    /// </summary>
    public async Task<RefundDecisions> PrepareFullAsync(string tenantId, Guid orderId, string reason, CancellationToken ct)
    {
        var (order, earlier) = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var found = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: false, ct);
            return (found, found is null ? [] : await RefundStore.ForOrderAsync(conn, tx, tenantId, orderId, ct));
        }, ct);
        if (order is not { State: OrderState.Paid }) return new RefundDecisions(null);
        // Her life events give the day the reason happened on (a death on 28 December reported on 5 January).
        var resident = EventKindOf(reason) is null ? null : await pricing.GetResidentAsync(order.ResidentId, ct);
        var decisions = new RefundDecisions(resident);
        var question = FullRefundQuestion(order, earlier, reason, resident);
        decisions.Add(question, await policy.DecideRefundAsync(question, ct));
        return decisions;
    }

    public async Task<(DomainOrder Order, DomainRefund Refund)> RequestFullAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, Guid orderId, string reason, string evidenceReference, string requestedBy, RefundDecisions decisions,
        CancellationToken ct)
    {
        var order = await LockOrderAsync(conn, tx, tenantId, orderId, ct)
            ?? throw RpcErrors.NotFound(ErrorReason.OrderNotFound, $"No payment order {orderId}.");
        var earlier = await RefundStore.ForOrderAsync(conn, tx, tenantId, orderId, ct);
        var decision = order.State == OrderState.Paid
            ? decisions.For(FullRefundQuestion(order, earlier, reason, decisions.Resident))
            : new PolicyRefundDecision(false, ErrorReasons.Code(ErrorReason.OrderNotPaid), 0, "");
        var now = orders.Now();
        var (refunding, refund) = RefundRules.RequestFull(order, earlier, decision, reason, evidenceReference, requestedBy,
            Guid.CreateVersion7(now), now);
        await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, refunding, ct);
        await RefundStore.InsertAsync(conn, tx, tenantId, refund, ct);
        // In the same transaction: the registry suspends the enrolment as the order leaves 'paid'.
        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionRefundRequested,
            RefundEvents.RefundRequested(tenantId, refunding, refund), ct);
        return (refunding, refund);
    }

    /// <summary>The money is back with the person: the refund completes, a full refund ends the order, the event goes out.</summary>
    public async Task<DomainRefund> CompleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid refundId,
        string refundReference, CancellationToken ct)
    {
        var open = await RefundStore.FindAsync(conn, tx, tenantId, refundId, ct)
            ?? throw RpcErrors.NotFound(ErrorReason.RefundNotFound, $"No refund {refundId}.");
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
        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionRefunded, RefundEvents.Refunded(tenantId, order, refund), ct);
        RefundMetrics.RefundCompleted(tenantId, refund);
        return refund;
    }

    /// <summary>
    /// The policy is asked about what she still has paid (her payment less every differential refund, asked or
    /// completed), so its answer and explanation state the money that goes back; and, where the reason is a life
    /// event, on the day it happened.
    /// </summary>
    private DecideRefundRequest FullRefundQuestion(DomainOrder order, IReadOnlyList<DomainRefund> earlier, string reason,
        Resident? resident)
    {
        var asked = ShanghaiCalendar.ToDate(orders.Now());
        return new DecideRefundRequest
        {
            CoverageYear = order.CoverageYear,
            PolicyVersion = order.PolicyVersion,
            Reason = reason,
            DecisionDate = asked.ToProtoDate(),
            PaidPersonalAmountFen = RefundRules.LeftToRefund(order, earlier),
            BenefitStartDate = order.BenefitStart.ToProtoDate(),
            EventDate = resident is null ? null : EventDateOf(resident, reason, asked)?.ToProtoDate(),
        };
    }

    /// <summary>
    /// The day of the death, enlistment, imprisonment or other event a full refund's reason names, from her recorded life
    /// events: the latest of its kind on or before <paramref name="asked"/>. Null when none is recorded (the policy then
    /// judges on the day asked).
    /// </summary>
    public static DateOnly? EventDateOf(Resident resident, string reason, DateOnly asked) =>
        EventKindOf(reason) is { } kind
            ? resident.LifeEvents
                .Where(e => e.Kind == kind)
                .Select(e => e.OccurredDate.ToDateOnly())
                .Where(d => d is { } day && day <= asked)
                .Max()
            : null;

    /// <summary>The registry's life event behind a policy's refund reason; null for reasons that are no event ("duplicate").</summary>
    private static Identity.V1.LifeEventKind? EventKindOf(string reason) => reason switch
    {
        "death" => Identity.V1.LifeEventKind.Death,
        "army" => Identity.V1.LifeEventKind.Army,
        "prison" => Identity.V1.LifeEventKind.Prison,
        "employee-insurance" => Identity.V1.LifeEventKind.EmployeeInsurance,
        "other-region" => Identity.V1.LifeEventKind.InsuredElsewhere,
        _ => null,
    };

    /// <summary>
    /// Before the inbox transaction: the person (identity-registry) and the policy's differential decision for each
    /// of her paid orders still owed one, so <see cref="RefundDifferenceAsync"/> calls no other service. Null when
    /// she has no paid order.
    /// </summary>
    public async Task<RefundDecisions?> PrepareDifferenceAsync(string tenantId, IdentityCertified certified, CancellationToken ct)
    {
        var owed = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var candidates = new List<DomainOrder>();
            foreach (var order in await PaymentOrderStore.PaidOrdersOfResidentAsync(conn, tx, tenantId, certified.ResidentId, ct))
                if (!(await RefundStore.ForOrderAsync(conn, tx, tenantId, order.OrderId, ct)).Any(r => r.IdentityId == certified.IdentityId))
                    candidates.Add(order);
            return candidates;
        }, ct);
        if (owed.Count == 0) return null;
        var resident = await pricing.GetResidentAsync(certified.ResidentId, ct);
        var decisions = new RefundDecisions(resident);
        foreach (var order in owed)
        {
            var question = DifferentialQuestion(order, resident, certified);
            decisions.Add(question, await policy.DecideRefundAsync(question, ct));
        }
        return decisions;
    }

    private DecideRefundRequest DifferentialQuestion(DomainOrder order, Resident resident, IdentityCertified certified)
    {
        var certifiedOn = CertifiedOn(certified);
        return new DecideRefundRequest
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
        };
    }

    private DateOnly CertifiedOn(IdentityCertified certified) =>
        certified.ValidFrom.ToDateOnly() ?? ShanghaiCalendar.ToDate(orders.Now());

    /// <summary>
    /// An identity certified after the person paid as ordinary: each of her paid orders gets the differential refund
    /// its policy grants (Gaoyang seed 004 §二(五)3), none where the policy grants none (Lidu seed 000 §三(三)). The
    /// policy's answers come from <see cref="PrepareDifferenceAsync"/>; an order that changed since throws
    /// QUOTE_EXPIRED (<see cref="OrderBook.StaleQuote"/>), so the event is redelivered and prepared again.
    /// </summary>
    public async Task<IReadOnlyList<DomainRefund>> RefundDifferenceAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IdentityCertified certified, RefundDecisions? decisions, CancellationToken ct)
    {
        var paid = await PaymentOrderStore.PaidOrdersOfResidentAsync(conn, tx, tenantId, certified.ResidentId, ct);
        if (paid.Count == 0) return [];
        var refunds = new List<DomainRefund>();
        foreach (var candidate in paid)
        {
            var order = (await LockOrderAsync(conn, tx, tenantId, candidate.OrderId, ct))!;
            var earlier = await RefundStore.ForOrderAsync(conn, tx, tenantId, order.OrderId, ct);
            if (order.State != OrderState.Paid || earlier.Any(r => r.IdentityId == certified.IdentityId)) continue;
            var resident = decisions?.Resident ?? throw OrderBook.StaleQuote();
            var decision = decisions.For(DifferentialQuestion(order, resident, certified));
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

    /// <summary>The policy's refund decisions asked before a transaction, by the exact question asked.</summary>
    public sealed class RefundDecisions(Resident? resident)
    {
        private readonly Dictionary<DecideRefundRequest, PolicyRefundDecision> _answers = [];

        public Resident? Resident => resident;

        public void Add(DecideRefundRequest question, PolicyRefundDecision answer) => _answers[question] = answer;

        /// <summary>The answer to this question; a question not asked means the order changed since: prepare again.</summary>
        public PolicyRefundDecision For(DecideRefundRequest question) =>
            _answers.TryGetValue(question, out var answer) ? answer : throw OrderBook.StaleQuote();
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
