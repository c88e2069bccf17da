using Prometheus;

namespace Medins.QuotaTracking;

/// <summary>
/// Every label is bounded: tenants are a configured list, channels a fixed enum, townships the division table's
/// (tens per county). No label takes a village, a person or an order.
/// </summary>
internal static class QuotaMetrics
{
    public static readonly Counter PaymentsApplied = Metrics.CreateCounter("medins_quota_payments_total",
        "Contribution payments applied to village counters (duplicates excluded), by tenant and payment channel.", "tenant", "channel");

    public static readonly Gauge VillagesBehindSchedule = Metrics.CreateGauge("medins_quota_villages_behind_schedule",
        "Villages whose enrolment rate trails the rules' schedule for today, by tenant.", "tenant");

    public static readonly Gauge TownshipEnrolmentRatio = Metrics.CreateGauge("medins_quota_township_enrolment_ratio",
        "Enrolled people over the base of the township's villages with a target (1 = 100%), by tenant and township code.",
        "tenant", "township");

    /// <summary>wechat_pay for PAYMENT_CHANNEL_WECHAT_PAY.</summary>
    public static string ChannelLabel(string channelKey) =>
        channelKey.StartsWith("PAYMENT_CHANNEL_", StringComparison.Ordinal) ? channelKey["PAYMENT_CHANNEL_".Length..].ToLowerInvariant() : "unspecified";
}
