namespace Medins.PaymentCollection.Domain;

/// <summary>A channel's notice that it collected money for an order.</summary>
public sealed record ConfirmationNotice(string ChannelTransactionId, long AmountFen, DateTimeOffset? ReportedPaidAt);

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
}

/// <summary>How a notice is answered, and the order as it stands afterwards.</summary>
public sealed record ConfirmationDecision(ConfirmationOutcome Outcome, PaymentOrder Order, string Explanation)
{
    /// <summary>For a household order's notice: the household order and its members as they stand afterwards.</summary>
    public (HouseholdOrder Order, IReadOnlyList<PaymentOrder> Members)? Household { get; init; }

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

    private static ConfirmationDecision Mismatch(PaymentOrder order, ConfirmationNotice notice) =>
        new(ConfirmationOutcome.AmountMismatch, order,
            $"The channel reports {notice.AmountFen} fen but order {order.OrderId} is for {order.PersonalAmountFen} fen.");

    private static ConfirmationDecision Expired(PaymentOrder order) =>
        new(ConfirmationOutcome.OrderExpired, order, $"Order {order.OrderId} expired at {order.ExpiresAt:u}.");
}
