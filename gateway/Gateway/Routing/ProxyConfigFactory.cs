using System.Net;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Medins.Gateway.Routing;

/// <summary>Turns the service catalog and the configured addresses into YARP routes and clusters.</summary>
public static class ProxyConfigFactory
{
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(
        IEnumerable<BackendService> services, IConfiguration configuration)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var service in services)
        {
            var grpcCluster = $"{service.AppId}-grpc";
            var jsonCluster = $"{service.AppId}-json";
            clusters.Add(Cluster(grpcCluster, Address(configuration, service.AppId, "Grpc"), new ForwarderRequestConfig
            {
                // The services speak cleartext HTTP/2 with prior knowledge on their gRPC port.
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            }));
            clusters.Add(Cluster(jsonCluster, Address(configuration, service.AppId, "Http"), new ForwarderRequestConfig
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            }));

            foreach (var (grpcService, i) in service.GrpcServices.Select((s, i) => (s, i)))
                routes.Add(Route($"{service.AppId}-grpc-{i}", service.AppId, grpcCluster, $"/{grpcService}/{{**method}}"));
            foreach (var (prefix, i) in service.JsonPrefixes.Select((p, i) => (p, i)))
            {
                // The bare collection path (/v1/residents) and everything below it (/v1/residents/r-1, .../o-1:confirm).
                routes.Add(Route($"{service.AppId}-json-{i}", service.AppId, jsonCluster, prefix));
                routes.Add(Route($"{service.AppId}-json-{i}-sub", service.AppId, jsonCluster, $"{prefix}/{{**rest}}"));
            }
            foreach (var (notice, i) in service.ChannelNoticePaths.Select((p, i) => (p, i)))
                routes.Add(Route($"{service.AppId}-notice-{i}", service.AppId, jsonCluster, notice.Path) with
                {
                    Match = new RouteMatch { Path = notice.Path, Methods = [.. notice.Methods] },
                    Metadata = new Dictionary<string, string>
                    {
                        [GatewayEndpoint.AudienceMetadataKey] = service.AppId, [ChannelNoticeRoute.MetadataKey] = "true",
                    },
                });
        }
        return (routes, clusters);
    }

    private static string Address(IConfiguration configuration, string appId, string kind)
    {
        var key = $"Services:{appId}:{kind}";
        var value = configuration[key];
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new InvalidOperationException($"Configuration '{key}' must be an absolute http(s) address of the {appId} service.");
        return value;
    }

    private static ClusterConfig Cluster(string id, string address, ForwarderRequestConfig request) => new()
    {
        ClusterId = id,
        HttpRequest = request,
        Destinations = new Dictionary<string, DestinationConfig> { ["primary"] = new() { Address = address } },
    };

    private static RouteConfig Route(string id, string appId, string cluster, string path) => new()
    {
        RouteId = id,
        ClusterId = cluster,
        Match = new RouteMatch { Path = path },
        // The service behind the route: the audience of the caller assertions sent along it.
        Metadata = new Dictionary<string, string> { [GatewayEndpoint.AudienceMetadataKey] = appId },
    };
}
