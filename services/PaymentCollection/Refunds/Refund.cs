using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Refunds;

public enum RefundKind
{
    /// <summary>The whole personal payment goes back and the year's enrolment ends.</summary>
    Full,
    /// <summary>An identity certified after an ordinary payment: the newly subsidised part goes back.</summary>
    Differential,
}

public enum RefundState
{
    Requested,
    Completed,
}

/// <summary>What the policy that priced the payment says about a refund (contribution-calculation decides it).</summary>
public sealed record PolicyRefundDecision(bool Allowed, string Reason, long AmountFen, string Explanation)
{
    /// <summary>Differential refunds: the subsidy lines of the re-priced quote under the new identity.</summary>
    public IReadOnlyList<SubsidyLine> RequotedSubsidyLines { get; init; } = [];
}

/// <summary>Money returned to a person for a paid order.</summary>
public sealed record Refund(
    Guid RefundId,
    Guid OrderId,
    string ResidentId,
    int CoverageYear,
    RefundKind Kind,
    string Reason,
    long AmountFen,
    RefundState State,
    string EvidenceReference,
    string Explanation,
    DateTimeOffset RequestedAt,
    string RequestedBy,
    DateTimeOffset? CompletedAt,
    string? RefundReference,
    IReadOnlyList<SubsidyLine> WithdrawnSubsidyLines,
    IReadOnlyList<SubsidyLine> GrantedSubsidyLines,
    string? IdentityId)
{
    public Refund Complete(string refundReference, DateTimeOffset at) => State == RefundState.Completed
        ? throw new RuleViolation(ErrorReason.RefundAlreadyCompleted, RefusalStatus.FailedPrecondition,
            $"Refund {RefundId} was completed with reference {RefundReference}.",
            clerk: $"这笔退费（{ClerkText.Yuan(AmountFen)}）已于{(CompletedAt is { } done ? " " + ClerkText.BeijingTime(done) : "此前")}办结"
                   + $"{(RefundReference is null ? "" : $"，退款凭证号 {RefundReference}")}，无需重复办理。")
        : this with { State = RefundState.Completed, CompletedAt = at, RefundReference = refundReference };
}

/// <summary>
/// How refunds follow from the policy's decision and the order's history. Money never goes back twice: a full
/// refund returns what the person paid less any differential refund she already had, and successive differential
/// refunds return only what the previous ones did not.
/// </summary>
public static class RefundRules
{
    public const string IdentityCertifiedReason = "identity-certified";

    /// <summary>The subsidy lines the funds owe for the order now: the latest differential refund's, or the payment's.</summary>
    public static IReadOnlyList<SubsidyLine> SubsidyLinesInForce(PaymentOrder order, IReadOnlyList<Refund> earlier) =>
        earlier.Where(r => r.Kind == RefundKind.Differential).MaxBy(r => r.RequestedAt)?.GrantedSubsidyLines
        ?? order.SubsidyLines;

    /// <summary>What she still has paid: her payment less every differential refund, asked for or completed.</summary>
    public static long LeftToRefund(PaymentOrder order, IReadOnlyList<Refund> earlier) =>
        Math.Max(0, order.PersonalAmountFen - earlier.Where(r => r.Kind == RefundKind.Differential).Sum(r => r.AmountFen));

    /// <summary>
    /// Suspends the order's enrolment and opens a full refund the policy allowed — also while a differential refund is
    /// pending, and with no money to move when differential refunds already return everything she paid.
    /// </summary>
    public static (PaymentOrder Order, Refund Refund) RequestFull(PaymentOrder order, IReadOnlyList<Refund> earlier,
        PolicyRefundDecision decision, string reason, string evidenceReference, string requestedBy, Guid refundId,
        DateTimeOffset now)
    {
        if (order.State != OrderState.Paid)
            throw new RuleViolation(order.State == OrderState.RefundRequested || order.State == OrderState.Refunded
                    ? ErrorReason.RefundAlreadyRequested
                    : ErrorReason.OrderNotPaid, RefusalStatus.FailedPrecondition,
                $"Order {order.OrderId} is {order.State.English()}; only a paid order can be refunded.",
                clerk: order.State is OrderState.RefundRequested or OrderState.Refunded
                    ? $"这笔缴费{order.State.Chinese()}，不能再次申请退费。请查看已有退费的办理结果。"
                    : $"这笔缴费单{order.State.Chinese()}，只有已付款的缴费才能退费。");
        var left = LeftToRefund(order, earlier);
        // Differential refunds already return all she paid: the policy finds nothing to refund, yet her enrolment must
        // still end (an enlisted person's), so the full refund moves no money and only ends it.
        // (The policy allows it with an amount of 0, or — an older policy engine — refuses with NOTHING_TO_REFUND.)
        var nothingLeft = left == 0 && earlier.Any(r => r.Kind == RefundKind.Differential)
                          && (decision.Allowed || decision.Reason == ErrorReasons.Code(ErrorReason.NothingToRefund));
        if (!decision.Allowed && !nothingLeft)
            // The policy's explanation is written for the clerk, in Chinese with its clause.
            throw new RuleViolation(decision.Reason, RefusalStatus.FailedPrecondition, decision.Explanation,
                clerk: decision.Explanation);
        // The policy was asked about what is left, so its amount never returns a differential refund's money again.
        var amount = nothingLeft ? 0 : Math.Min(decision.AmountFen, left);
        if (amount <= 0 && !nothingLeft)
            throw new RuleViolation(ErrorReason.NothingToRefund, RefusalStatus.FailedPrecondition,
                $"Order {order.OrderId} has nothing left to refund.",
                clerk: $"这笔缴费的个人缴费 {ClerkText.Yuan(order.PersonalAmountFen)} 已通过差额退费全部退还，没有可退的金额。");
        var explanation = nothingLeft
            ? "个人缴费已由差额退费全部退还，本次不再退款，仅终止本年度参保关系。"
            : decision.Explanation;
        var refund = new Refund(refundId, order.OrderId, order.ResidentId, order.CoverageYear, RefundKind.Full, reason,
            amount, RefundState.Requested, evidenceReference, explanation, now, requestedBy, null, null,
            SubsidyLinesInForce(order, earlier), [], IdentityId: null);
        return (order.RequestRefund(), refund);
    }

    /// <summary>
    /// The differential refund an identity certified after payment earns, or null when there is none to make (the
    /// policy grants none, nothing is left, the order is no longer paid, or this identity was refunded already).
    /// </summary>
    public static Refund? Differential(PaymentOrder order, IReadOnlyList<Refund> earlier, PolicyRefundDecision decision,
        string identityId, string requestedBy, Guid refundId, DateTimeOffset now)
    {
        if (order.State != OrderState.Paid || !decision.Allowed || earlier.Any(r => r.IdentityId == identityId))
            return null;
        var amount = decision.AmountFen - earlier.Where(r => r.Kind == RefundKind.Differential).Sum(r => r.AmountFen);
        if (amount <= 0)
            return null;
        return new Refund(refundId, order.OrderId, order.ResidentId, order.CoverageYear, RefundKind.Differential,
            IdentityCertifiedReason, amount, RefundState.Requested, identityId, decision.Explanation, now, requestedBy, null,
            null, SubsidyLinesInForce(order, earlier), decision.RequotedSubsidyLines, identityId);
    }
}
