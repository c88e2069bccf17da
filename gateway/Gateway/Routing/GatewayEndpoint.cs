using Yarp.ReverseProxy.Configuration;
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

    /// <summary>Route metadata naming the app id of the service a route goes to.</summary>
    public const string AudienceMetadataKey = "medins-audience";

    /// <summary>The YARP route a proxied call matched.</summary>
    public static RouteConfig? RouteOf(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;

    /// <summary>The app id of the service behind the matched route.</summary>
    public static string AudienceOf(HttpContext context) =>
        RouteOf(context)?.Metadata?.GetValueOrDefault(AudienceMetadataKey)
        ?? throw new InvalidOperationException("A proxied route names no service (route metadata " + AudienceMetadataKey + ").");
}

/// <summary>Routes where payment and message providers post signed notices: no client credential, no caller-set tenant.</summary>
public static class ChannelNoticeRoute
{
    public const string MetadataKey = "medins-channel-notice";

    public static bool Is(HttpContext context) => GatewayEndpoint.RouteOf(context)?.Metadata?.ContainsKey(MetadataKey) == true;
}
