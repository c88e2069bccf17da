using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Medins.Gateway.Routing;

/// <summary>Endpoint metadata marking the gateway's own traffic (as opposed to health and metrics endpoints).</summary>
public sealed class GatewayEndpoint
{
    public static readonly GatewayEndpoint Proxied = new(proxied: true, servedHere: false);
    /// <summary>Answered by the gateway itself (gRPC reflection of the contracts): a caller needs a credential, as
    /// on a proxied route, but no service is behind it, so no caller assertion is minted.</summary>
    public static readonly GatewayEndpoint ServedHere = new(proxied: false, servedHere: true);
    public static readonly GatewayEndpoint Unmatched = new(proxied: false, servedHere: false);

    private GatewayEndpoint(bool proxied, bool servedHere)
    {
        IsProxiedRoute = proxied;
        IsServedHere = servedHere;
    }

    /// <summary>True for routes to a service; false for the catch-all that answers NOT_FOUND.</summary>
    public bool IsProxiedRoute { get; }

    /// <summary>True for what the gateway answers itself for an authenticated caller.</summary>
    public bool IsServedHere { get; }

    public static GatewayEndpoint? Of(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<GatewayEndpoint>();

    public static bool IsProxied(HttpContext context) => Of(context)?.IsProxiedRoute == true;

    /// <summary>Routes a caller reaches only with a credential, within its rate limits: proxied and served here.</summary>
    public static bool NeedsCaller(HttpContext context) => Of(context) is { } endpoint && (endpoint.IsProxiedRoute || endpoint.IsServedHere);

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
