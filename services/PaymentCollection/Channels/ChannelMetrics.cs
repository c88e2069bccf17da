using Prometheus;

namespace Medins.PaymentCollection.Channels;

internal static class ChannelMetrics
{
    /// <summary>
    /// Labels stay bounded: channel is one of the configured codes (an unknown channel is answered 404 uncounted),
    /// outcome one of a fixed set (the order book's confirmation outcomes, the rejection reasons, ignored, error).
    /// </summary>
    public static readonly Counter Notices = Metrics.CreateCounter("medins_payment_channel_notices_total",
        "Channel notices received, by channel and outcome.", "channel", "outcome");

    public static readonly Histogram ConfirmationLatency = Metrics.CreateHistogram(
        "medins_payment_confirmation_latency_seconds",
        "From the paid time a channel reports to the platform receiving its notice, for notices that paid an order.",
        new HistogramConfiguration
        {
            LabelNames = ["channel"],
            // Online channels notify within seconds; bureau channels may batch for hours.
            Buckets = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
        });
}
