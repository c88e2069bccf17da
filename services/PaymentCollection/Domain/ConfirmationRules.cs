namespace Medins.PaymentCollection.Domain;

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

    public bool Accepted => Outcome is ConfirmationOutcome.Confirmed or ConfirmationOutcome.Replayed;

    /// <summary>A refused notice means a channel holds money the platform did not take: a person must act on it.</summary>
    public bool NeedsReview => !Accepted;

    /// <summary>The reason code of a refusal, as clients and the review queue see it.</summary>
    public string? Reason => Outcome switch
    {
        ConfirmationOutcome.AmountMismatch => "AMOUNT_MISMATCH",
        ConfirmationOutcome.DuplicatePayment => "DUPLICATE_PAYMENT",
        ConfirmationOutcome.TransactionReused => "CHANNEL_TRANSACTION_REUSED",
        ConfirmationOutcome.OrderExpired => "ORDER_EXPIRED",
        ConfirmationOutcome.OrderCancelled => "ORDER_CANCELLED",
        ConfirmationOutcome.HouseholdMemberOrder => HouseholdOrderRules.MemberOrder,
        ConfirmationOutcome.HouseholdMembersChanged => HouseholdOrderRules.MembersChanged,
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
                    : $"Order {order.OrderId} was already paid by transaction {order.ChannelTransactionId}; transaction {notice.ChannelTransactionId} is a duplicate payment.");
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
                $"Resident {order.ResidentId} has already paid for coverage year {order.CoverageYear} through another order; this order is cancelled.");

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
                $"Household order {household.HouseholdOrderId} is for {household.TotalPersonalFen} fen but its members " +
                $"still owe {owed} fen: a member was settled alone.");
    }

    private static ConfirmationDecision Mismatch(PaymentOrder order, ConfirmationNotice notice) =>
        new(ConfirmationOutcome.AmountMismatch, order,
            $"The channel reports {notice.AmountFen} fen but order {order.OrderId} is for {order.PersonalAmountFen} fen.");

    private static ConfirmationDecision Expired(PaymentOrder order) =>
        new(ConfirmationOutcome.OrderExpired, order, $"Order {order.OrderId} expired at {order.ExpiresAt:u}.");
}
