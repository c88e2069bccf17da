using Prometheus;

namespace Medins.Notification;

/// <summary>Labels are bounded: tenants are configured, template keys and channels fixed lists, outcomes a handful.</summary>
internal static class NotificationMetrics
{
    public static readonly Counter Created = Metrics.CreateCounter("medins_notification_messages_created_total",
        "Messages created, by tenant, template key and whether they were queued or skipped at once (opt-out).",
        "tenant", "template", "outcome");

    public static readonly Counter Unaddressed = Metrics.CreateCounter("medins_notification_unaddressed_total",
        "Alerts and bulletins with no active official to receive them (a village without a head, a township without a leader), by tenant and template key.",
        "tenant", "template");

    public static readonly Counter Attempts = Metrics.CreateCounter("medins_notification_send_attempts_total",
        "Provider calls and their outcome (accepted, retry, rejected) and messages skipped at send time, by channel and provider.",
        "channel", "provider", "outcome");

    public static readonly Counter Finished = Metrics.CreateCounter("medins_notification_messages_finished_total",
        "Messages reaching a final state (sent, failed, skipped, delivered), by tenant and channel.", "tenant", "channel", "status");

    public static readonly Histogram SendSeconds = Metrics.CreateHistogram("medins_notification_send_seconds",
        "Time of one provider call, by provider.", new HistogramConfiguration
        {
            LabelNames = ["provider"],
            Buckets = Histogram.ExponentialBuckets(0.005, 2, 12),
        });

    public static readonly Gauge DueMessages = Metrics.CreateGauge("medins_notification_due_messages",
        "Pending messages whose time has come (quiet hours over, retry due) but that are not yet sent.");
}
