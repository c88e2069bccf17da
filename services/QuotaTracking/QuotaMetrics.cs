using Prometheus;

namespace Medins.QuotaTracking;

internal static class QuotaMetrics
{
    /// <summary>Labelled by tenant only: tenants are a short configured list, so the series stay bounded.</summary>
    public static readonly Counter PaymentsApplied = Metrics.CreateCounter("medins_quota_payments_total",
        "Contribution payments applied to village counters (duplicates excluded), by tenant.", "tenant");
}
