using Prometheus;

namespace Medins.PaymentCollection.Refunds;

/// <summary>Money returned, for ops and dashboards; labels are bounded (tenants, two kinds).</summary>
internal static class RefundMetrics
{
    private static readonly Counter Refunded = Metrics.CreateCounter("medins_payment_refunded_fen_total",
        "Money returned to residents by completed refunds, in fen.", "tenant", "kind");

    public static void RefundCompleted(string tenantId, Refund refund) =>
        Refunded.WithLabels(tenantId, refund.Kind == RefundKind.Full ? "full" : "differential").Inc(refund.AmountFen);
}
