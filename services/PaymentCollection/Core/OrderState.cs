namespace Medins.PaymentCollection.Core;

/// <summary>Where a payment order stands. Created orders end paid, expired or cancelled; paid ones may be refunded.</summary>
public enum OrderState
{
    Created,
    Paid,
    Expired,
    Cancelled,
    RefundRequested,
    Refunded,
}

/// <summary>The order life cycle: created → paid | expired | cancelled; paid → refund_requested → refunded.</summary>
public static class OrderStateMachine
{
    private static readonly IReadOnlyDictionary<OrderState, OrderState[]> Next = new Dictionary<OrderState, OrderState[]>
    {
        [OrderState.Created] = [OrderState.Paid, OrderState.Expired, OrderState.Cancelled],
        [OrderState.Paid] = [OrderState.RefundRequested],
        [OrderState.RefundRequested] = [OrderState.Refunded],
        [OrderState.Expired] = [],
        [OrderState.Cancelled] = [],
        [OrderState.Refunded] = [],
    };

    public static bool CanMove(OrderState from, OrderState to) => Next[from].Contains(to);

    public static void EnsureCanMove(OrderState from, OrderState to)
    {
        if (!CanMove(from, to)) throw new InvalidOrderTransitionException(from, to);
    }

    /// <summary>States in which the order settles the person's contribution for its coverage year.</summary>
    public static bool SettlesCoverageYear(OrderState state) => state is OrderState.Paid or OrderState.RefundRequested;

    /// <summary>States in which a channel has collected the money of this order.</summary>
    public static bool HoldsPayment(OrderState state) =>
        state is OrderState.Paid or OrderState.RefundRequested or OrderState.Refunded;
}

/// <summary>The codes <c>payment_orders.state</c> and <c>household_orders.state</c> store.</summary>
public static class OrderStateCodes
{
    public static string Code(OrderState state) => state switch
    {
        OrderState.Created => "created",
        OrderState.Paid => "paid",
        OrderState.Expired => "expired",
        OrderState.Cancelled => "cancelled",
        OrderState.RefundRequested => "refund_requested",
        OrderState.Refunded => "refunded",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static OrderState Parse(string code) => code switch
    {
        "created" => OrderState.Created,
        "paid" => OrderState.Paid,
        "expired" => OrderState.Expired,
        "cancelled" => OrderState.Cancelled,
        "refund_requested" => OrderState.RefundRequested,
        "refunded" => OrderState.Refunded,
        _ => throw new InvalidOperationException($"Unknown order state '{code}' in payment_orders."),
    };
}

/// <summary>A move the life cycle does not allow: the rules check the state first, so this is a broken invariant (an
/// INTERNAL error), never a refusal a caller can act on.</summary>
public sealed class InvalidOrderTransitionException(OrderState from, OrderState to)
    : Exception($"A payment order cannot go from {from} to {to}.")
{
    public OrderState From { get; } = from;
    public OrderState To { get; } = to;
}
