using Google.Api;
using Google.Protobuf.Reflection;

namespace Medins.Gateway.Routing;

/// <summary>
/// One backend service as the gateway sees it: its app id (which names its addresses in configuration,
/// <c>Services:{AppId}:Grpc</c> and <c>Services:{AppId}:Http</c>), the fully-qualified gRPC services it serves
/// and the path prefixes of its JSON API.
/// </summary>
public sealed record BackendService(string AppId, IReadOnlyList<string> GrpcServices, IReadOnlyList<string> JsonPrefixes)
{
    /// <summary>
    /// Paths where payment and message providers post signed notices and receipts (with their methods). They pass
    /// without a client credential, as a provider has none of ours: the service verifies each notice's signature
    /// (or callback token) and finds the tenant itself.
    /// </summary>
    public IReadOnlyList<ChannelNoticePath> ChannelNoticePaths { get; init; } = [];

    /// <summary>The contracts of <see cref="GrpcServices"/>, which the gateway describes by gRPC reflection.</summary>
    public IReadOnlyList<Google.Protobuf.Reflection.ServiceDescriptor> Descriptors { get; init; } = [];
}

/// <summary>A provider callback path and the methods it takes.</summary>
public sealed record ChannelNoticePath(string Path, params IReadOnlyList<string> Methods);

/// <summary>
/// What the gateway exposes: every path not listed here is answered with NOT_FOUND. The JSON routes are read from
/// the contracts' google.api.http annotations, so a new RPC is routed as soon as its proto says where it lives.
/// </summary>
public static class ServiceCatalog
{
    public static IReadOnlyList<BackendService> Services { get; } =
    [
        From("identity-registry", Identity.V1.IdentityRegistryService.Descriptor),
        From("contribution-calculation", Contribution.V1.ContributionCalculationService.Descriptor),
        From("payment-collection", Payment.V1.PaymentCollectionService.Descriptor, Payment.V1.VillageCashService.Descriptor,
            Payment.V1.ReconciliationService.Descriptor) with
        {
            ChannelNoticePaths = [new("/channels/{channel}/notify", "POST")],
        },
        From("quota-tracking", Quota.V1.QuotaTrackingService.Descriptor),
        From("notification", Notification.V1.NotificationService.Descriptor) with
        {
            // Tencent SMS status reports and replies; WeChat's server check (GET) and event pushes (POST).
            ChannelNoticePaths =
            [
                new("/providers/tencent-sms/status", "POST"), new("/providers/tencent-sms/replies", "POST"),
                new("/providers/wechat-mp/events", "GET", "POST"),
            ],
        },
    ];

    private static BackendService From(string appId, params Google.Protobuf.Reflection.ServiceDescriptor[] services) =>
        new(appId, services.Select(s => s.FullName).ToList(),
            services.SelectMany(s => s.Methods).Select(HttpPath).OfType<string>().Select(LiteralPrefix).Distinct().Order().ToList())
        {
            Descriptors = services,
        };

    private static string? HttpPath(MethodDescriptor method)
    {
        var rule = method.GetOptions()?.GetExtension(AnnotationsExtensions.Http);
        return rule?.PatternCase switch
        {
            HttpRule.PatternOneofCase.Get => rule.Get,
            HttpRule.PatternOneofCase.Post => rule.Post,
            HttpRule.PatternOneofCase.Put => rule.Put,
            HttpRule.PatternOneofCase.Patch => rule.Patch,
            HttpRule.PatternOneofCase.Delete => rule.Delete,
            _ => null,
        };
    }

    /// <summary>The path up to its first variable: <c>/v1/residents/{resident_id}</c> → <c>/v1/residents</c>;
    /// a collection custom method such as <c>/v1/policies:validate</c> stays whole.</summary>
    internal static string LiteralPrefix(string template) =>
        "/" + string.Join('/', template.Split('/', StringSplitOptions.RemoveEmptyEntries).TakeWhile(s => !s.Contains('{')));
}
