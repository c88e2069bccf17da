using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Orders;

/// <summary>A channel's notice that it collected money for an order.</summary>
public sealed record ConfirmationNotice(string ChannelTransactionId, long AmountFen, DateTimeOffset? ReportedPaidAt)
{
    /// <summary>The channel that sent it, when it says (a signed notice does; ConfirmPayment does not): the review
    /// item of a notice naming an unknown order keeps it.</summary>
    public string? Channel { get; init; }
}

/// <summary>What storage knows beyond the order itself, read under the person-year lock.</summary>
public sealed record ConfirmationFacts(bool CoverageYearSettledByAnotherOrder, bool TransactionSettledAnotherOrder);

public enum ConfirmationOutcome
{
    /// <summary>The order is now paid.</summary>
    Confirmed,
    /// <summary>The same transaction confirmed this order before: nothing changes.</summary>
    Replayed,
    AmountMismatch,
    DuplicatePayment,
    TransactionReused,
    OrderExpired,
    OrderCancelled,
    /// <summary>The notice named a member order: only its household order is paid, by one channel payment.</summary>
    HouseholdMemberOrder,
    /// <summary>A household order whose members no longer all await this payment (a member settled alone before
    /// members were tied to their household): its total is no longer what is owed.</summary>
    HouseholdMembersChanged,
}

/// <summary>How a notice is answered, and the order as it stands afterwards.</summary>
public sealed record ConfirmationDecision(ConfirmationOutcome Outcome, PaymentOrder Order, string Explanation)
{
    /// <summary>For a household order's notice: the household order and its members as they stand afterwards.</summary>
    public (HouseholdOrder Order, IReadOnlyList<PaymentOrder> Members)? Household { get; init; }

    /// <summary>For a notice refused because it named a member order: the household order to pay instead.</summary>
    public Guid? PayHouseholdOrderId { get; init; }

    /// <summary>The zh-CN text of a refusal for the clerk, with its amounts and times; null takes the catalog's.</summary>
    public string? Clerk { get; init; }

    public bool Accepted => Outcome is ConfirmationOutcome.Confirmed or ConfirmationOutcome.Replayed;

    /// <summary>A refused notice means a channel holds money the platform did not take: a person must act on it.</summary>
    public bool NeedsReview => !Accepted;

    /// <summary>The reason code of a refusal, as clients and the review queue see it.</summary>
    public string? Reason => ReasonValue is { } reason ? ErrorReasons.Code(reason) : null;

    /// <summary>The refusal's <see cref="ErrorReason"/>; null for an accepted notice.</summary>
    public ErrorReason? ReasonValue => Outcome switch
    {
        ConfirmationOutcome.AmountMismatch => ErrorReason.AmountMismatch,
        ConfirmationOutcome.DuplicatePayment => ErrorReason.DuplicatePayment,
        ConfirmationOutcome.TransactionReused => ErrorReason.ChannelTransactionReused,
        ConfirmationOutcome.OrderExpired => ErrorReason.OrderExpired,
        ConfirmationOutcome.OrderCancelled => ErrorReason.OrderCancelled,
        ConfirmationOutcome.HouseholdMemberOrder => ErrorReason.HouseholdMemberOrder,
        ConfirmationOutcome.HouseholdMembersChanged => ErrorReason.HouseholdMembersChanged,
        _ => null,
    };
}

/// <summary>
/// Decides what a confirmation notice does. Money is never kept silently: every notice that does not settle the
/// order exactly once at exactly its price is refused and goes to review.
/// </summary>
public static class ConfirmationRules
{
    public static ConfirmationDecision Decide(PaymentOrder order, ConfirmationNotice notice, ConfirmationFacts facts,
        DateTimeOffset now)
    {
        if (OrderStateMachine.HoldsPayment(order.State))
        {
            if (order.ChannelTransactionId == notice.ChannelTransactionId)
                return notice.AmountFen == order.PersonalAmountFen
                    ? new(ConfirmationOutcome.Replayed, order, "This transaction already confirmed the order.")
                    : Mismatch(order, notice);
            return new(ConfirmationOutcome.DuplicatePayment, order,
                order.ChannelTransactionId is null
                    ? $"Order {order.OrderId} was settled by zero-contribution enrolment; transaction {notice.ChannelTransactionId} is a duplicate payment."
                    : $"Order {order.OrderId} was already paid by transaction {order.ChannelTransactionId}; transaction {notice.ChannelTransactionId} is a duplicate payment.")
            {
                Clerk = $"这笔缴费单已经{PaidAtText(order)}缴清，本次收到的 {ClerkText.Yuan(notice.AmountFen)} 是重复付款，"
                            + "已转入待核对款项，由县医保中心核对后退还。请不要再次付款。",
            };
        }

        if (facts.TransactionSettledAnotherOrder)
            return new(ConfirmationOutcome.TransactionReused, order,
                $"Channel transaction {notice.ChannelTransactionId} already settled another order.");

        switch (order.State)
        {
            case OrderState.Cancelled:
                return new(ConfirmationOutcome.OrderCancelled, order, $"Order {order.OrderId} was cancelled.");
            case OrderState.Expired:
                return Expired(order);
            case OrderState.Created when order.IsOverdue(now):
                return Expired(order.MarkExpired());
        }

        if (facts.CoverageYearSettledByAnotherOrder)
            return new(ConfirmationOutcome.DuplicatePayment, order.Cancel(),
                $"Resident {order.ResidentId} has already paid for coverage year {order.CoverageYear} through another order; this order is cancelled.")
            {
                Clerk = $"这位居民 {order.CoverageYear} 年度已通过另一笔缴费单缴清，本单已撤销；本次收到的 {ClerkText.Yuan(notice.AmountFen)} "
                            + "已转入待核对款项，由县医保中心核对后退还。",
            };

        if (notice.AmountFen != order.PersonalAmountFen)
            return Mismatch(order, notice);

        return new(ConfirmationOutcome.Confirmed, order.MarkPaid(notice.ChannelTransactionId, notice.ReportedPaidAt ?? now),
            "Paid.");
    }

    /// <summary>
    /// A notice naming a member order is refused whatever it reports: the member is paid with her household (one
    /// transaction for all), so money reported for her alone is money received that no order may keep.
    /// </summary>
    public static ConfirmationDecision DecideMember(PaymentOrder member, ConfirmationNotice notice) =>
        member.HouseholdOrderId is not { } household
            ? throw new ArgumentException("Not a member of a household order.", nameof(member))
            : new(ConfirmationOutcome.HouseholdMemberOrder, member,
                $"Order {member.OrderId} belongs to household order {household}; a channel pays the household order, " +
                $"not a member alone (transaction {notice.ChannelTransactionId} is held for review).")
            {
                PayHouseholdOrderId = household,
            };

    /// <summary>
    /// A household order is paid in one go for exactly its members' orders: every member still unpaid, their sum
    /// its total. Anything else (a member settled alone) is refused rather than guessed at.
    /// </summary>
    public static ConfirmationDecision? CheckHouseholdMembers(HouseholdOrder household, IReadOnlyList<PaymentOrder> members)
    {
        if (household.State != OrderState.Created) return null;
        var owed = members.Where(m => m.State == OrderState.Created).Sum(m => m.PersonalAmountFen);
        var allAwaiting = members.All(m => m.State == OrderState.Created || m is { IsZeroContribution: true, State: OrderState.Paid });
        return allAwaiting && owed == household.TotalPersonalFen
            ? null
            : new(ConfirmationOutcome.HouseholdMembersChanged, household.AsPayable(),
                $"Household order {household.HouseholdOrderId} is for {ClerkText.YuanNumber(household.TotalPersonalFen)} yuan but its members " +
                $"still owe {ClerkText.YuanNumber(owed)} yuan: a member was settled alone.")
            {
                Clerk = $"这笔家庭缴费单合计 {ClerkText.Yuan(household.TotalPersonalFen)}，但户内成员现在只欠 {ClerkText.Yuan(owed)}"
                            + "（有成员已单独缴费）。请重新按户开单后再缴费；已收到的款项会转人工核对。",
            };
    }

    private static ConfirmationDecision Mismatch(PaymentOrder order, ConfirmationNotice notice) =>
        new(ConfirmationOutcome.AmountMismatch, order,
            $"The channel reports {ClerkText.YuanNumber(notice.AmountFen)} yuan but order {order.OrderId} is for " +
            $"{ClerkText.YuanNumber(order.PersonalAmountFen)} yuan.")
        {
            Clerk = $"支付渠道报告收款 {ClerkText.Yuan(notice.AmountFen)}，但这笔缴费单应缴 {ClerkText.Yuan(order.PersonalAmountFen)}，"
                        + "金额不一致，本次未记为缴费。这笔款项已转入待核对款项，请核对金额后重新提交，或联系县医保中心处理。",
        };

    private static ConfirmationDecision Expired(PaymentOrder order) =>
        new(ConfirmationOutcome.OrderExpired, order, $"Order {order.OrderId} expired at {ClerkText.BeijingTimeEnglish(order.ExpiresAt)}.")
        {
            Clerk = $"这笔缴费单已于 {ClerkText.BeijingTime(order.ExpiresAt)}过期，本次未记为缴费。请重新开单后再缴费；"
                        + "已收到的款项已转入待核对款项，由县医保中心核对处理。",
        };

    private static string PaidAtText(PaymentOrder order) =>
        order.PaidAt is { } paidAt ? $"于 {ClerkText.BeijingTime(paidAt)}" : "";
}
