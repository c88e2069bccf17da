using Prometheus;

namespace Medins.Gateway.Audit;

public static class GatewayMetrics
{
    /// <summary>Calls through the gateway by caller scope (tenant, city, none) and outcome (see <see cref="CallOutcome"/>).</summary>
    public static readonly Counter Requests = Metrics.CreateCounter("medins_gateway_requests_total",
        "Calls through the gateway, by caller scope and outcome.",
        new CounterConfiguration { LabelNames = ["scope", "outcome"] });
}
