using Medins.PaymentCollection.Core;
using Prometheus;

namespace Medins.PaymentCollection.Orders;

/// <summary>
/// Collection throughput for ops and dashboards. Labels are bounded: tenants (a city's counties and townships),
/// the eight channels, and the outcome codes of the rules. Counted as the rules decide, inside the transaction: the
/// rare transaction retried after a conflict counts twice, which a throughput figure tolerates.
/// </summary>
internal static class PaymentMetrics
{
    private static readonly Counter Orders = Metrics.CreateCounter("medins_payment_orders_created_total",
        "Payment orders opened (a household order's members each count).", "tenant", "channel");

    private static readonly Counter Confirmations = Metrics.CreateCounter("medins_payment_confirmations_total",
        "Payment notices decided, by outcome (confirmed, replayed, zero_contribution, or a refusal sent to review).",
        "tenant", "channel", "outcome");

    private static readonly Counter Collected = Metrics.CreateCounter("medins_payment_collected_fen_total",
        "Personal contributions collected, in fen (zero-contribution enrolments add 0).", "tenant", "channel");

    public static void OrderOpened(string tenantId, PaymentOrder order)
    {
        Orders.WithLabels(tenantId, order.Channel).Inc();
        if (order.IsZeroContribution) Decided(tenantId, order.Channel, "zero_contribution", 0);
    }

    public static void Decided(string tenantId, string channel, string outcome, long collectedFen)
    {
        Confirmations.WithLabels(tenantId, channel, outcome).Inc();
        if (collectedFen > 0) Collected.WithLabels(tenantId, channel).Inc(collectedFen);
    }
}
