namespace Medins.Gateway.Routing;

/// <summary>
/// One backend service as the gateway sees it: its app id (which names its addresses in configuration,
/// <c>Services:{AppId}:Grpc</c> and <c>Services:{AppId}:Http</c>), the fully-qualified gRPC services it serves
/// and the path prefixes of its JSON API.
/// </summary>
public sealed record BackendService(string AppId, IReadOnlyList<string> GrpcServices, IReadOnlyList<string> JsonPrefixes);

/// <summary>What the gateway exposes: every path not listed here is answered with NOT_FOUND.</summary>
public static class ServiceCatalog
{
    public static IReadOnlyList<BackendService> Services { get; } =
    [
        new("identity-registry", ["medins.identity.v1.IdentityRegistryService"], ["/v1/divisions", "/v1/residents"]),
        new("contribution-calculation", ["medins.contribution.v1.ContributionCalculationService"], ["/v1/quotes", "/v1/policies"]),
        new("payment-collection", ["medins.payment.v1.PaymentCollectionService"], ["/v1/paymentOrders"]),
        new("quota-tracking", ["medins.quota.v1.QuotaTrackingService"], ["/v1/villageProgress"]),
        new("notification", ["medins.notification.v1.NotificationService"], ["/v1/messages"]),
    ];
}
