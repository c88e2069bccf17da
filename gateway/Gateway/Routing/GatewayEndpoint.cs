using Yarp.ReverseProxy.Model;

namespace Medins.Gateway.Routing;

/// <summary>Endpoint metadata marking the gateway's own traffic (as opposed to health and metrics endpoints).</summary>
public sealed class GatewayEndpoint
{
    public static readonly GatewayEndpoint Proxied = new(proxied: true);
    public static readonly GatewayEndpoint Unmatched = new(proxied: false);

    private GatewayEndpoint(bool proxied) => IsProxiedRoute = proxied;

    /// <summary>True for routes to a service; false for the catch-all that answers NOT_FOUND.</summary>
    public bool IsProxiedRoute { get; }

    public static GatewayEndpoint? Of(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<GatewayEndpoint>();

    public static bool IsProxied(HttpContext context) => Of(context)?.IsProxiedRoute == true;
}

/// <summary>Routes where payment and message providers post signed notices: no client credential, no caller-set tenant.</summary>
public static class ChannelNoticeRoute
{
    public const string MetadataKey = "medins-channel-notice";

    public static bool Is(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.Metadata?.ContainsKey(MetadataKey) == true;
}
