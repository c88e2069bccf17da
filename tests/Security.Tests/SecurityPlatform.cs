using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Grpc;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Grpc;
using Medins.Notification.Grpc;
using Medins.Payment.V1;
using Medins.PaymentCollection.Grpc;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Medins.QuotaTracking.Grpc;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Medins.Security.Tests;

/// <summary>
/// The five services in process on one database with the demo city, wired to each other over real gRPC, on one
/// stopped clock with every background job off, so only the tests' calls change a row. Callers reach each service
/// as through the gateway: a caller assertion with the roles and scope a test chooses.
/// </summary>
public sealed class SecurityPlatform : IAsyncLifetime
{
    // 2023-11-20 09:00 in Asia/Shanghai, inside every demo tenant's collection period.
    public static readonly DateTimeOffset CampaignDay = new(2023, 11, 20, 1, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> _hosts = [];
    private readonly Dictionary<string, Func<Caller, CallInvoker>> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<Caller, HttpClient>> _jsonClients = new(StringComparer.Ordinal);

    /// <summary>Who calls: a tenant (null for none), city or tenant scope, and the credential's roles.</summary>
    public sealed record Caller(string? TenantId, bool CityScope, IReadOnlyList<string> Roles, string Client = "security-test");

    public TestDatabase Db { get; private set; } = null!;

    public FakeTimeProvider Clock { get; } = new(CampaignDay);

    public async Task InitializeAsync()
    {
        Db = await TestDatabase.CreateAsync();
        void UseClock(IServiceCollection s) => s.AddSingleton<TimeProvider>(Clock);

        var identity = Add(IdentityRegistryService.Descriptor, new ServiceHost<IdentityRegistryGrpcService>(Db, "identity-registry", services: UseClock));
        var calculation = Add(ContributionCalculationService.Descriptor, new ServiceHost<ContributionCalculationGrpcService>(Db, "contribution-calculation",
            services: s =>
            {
                UseClock(s);
                s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identity.Server.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(identity.Server.CreateHandler);
            }));
        var quota = Add(QuotaTrackingService.Descriptor, new ServiceHost<QuotaTrackingGrpcService>(Db, "quota-tracking",
            new Dictionary<string, string?> { ["QuotaTracking:Progress:Enabled"] = "false" }, UseClock));
        Add(PaymentCollectionService.Descriptor, new ServiceHost<PaymentCollectionGrpcService>(Db, "payment-collection", services: s =>
        {
            UseClock(s);
            s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identity.Server.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(identity.Server.CreateHandler);
            s.AddGrpcClient<ContributionCalculationService.ContributionCalculationServiceClient>(o => o.Address = calculation.Server.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(calculation.Server.CreateHandler);
        }));
        // payment-collection serves three services.
        Alias(VillageCashService.Descriptor, PaymentCollectionService.Descriptor);
        Alias(ReconciliationService.Descriptor, PaymentCollectionService.Descriptor);
        Add(Medins.Notification.V1.NotificationService.Descriptor, new ServiceHost<NotificationGrpcService>(Db, "notification",
            new Dictionary<string, string?> { ["Notification:Dispatcher:Enabled"] = "false" }, s =>
            {
                UseClock(s);
                s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identity.Server.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(identity.Server.CreateHandler);
                s.AddGrpcClient<QuotaTrackingService.QuotaTrackingServiceClient>(o => o.Address = quota.Server.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(quota.Server.CreateHandler);
            }));
    }

    /// <summary>A channel to the host serving <paramref name="service"/>; every call carries the caller's assertion.</summary>
    public CallInvoker Channel(ServiceDescriptor service, Caller caller) => _channels[service.FullName](caller);

    /// <summary>A JSON API client of the host serving <paramref name="service"/>, as the caller.</summary>
    public HttpClient Json(ServiceDescriptor service, Caller caller) => _jsonClients[service.FullName](caller);

    private WebApplicationFactory<T> Add<T>(ServiceDescriptor service, ServiceHost<T> host) where T : class
    {
        _hosts.Add(host);
        _ = host.Server; // started now, so that a failure to start fails the fixture, not the first test
        _channels[service.FullName] = c => host.Channel(c.TenantId, c.CityScope, c.Client, c.Roles);
        _jsonClients[service.FullName] = c => host.JsonClient(c.TenantId, c.CityScope, c.Client, c.Roles);
        return host;
    }

    private void Alias(ServiceDescriptor alias, ServiceDescriptor served)
    {
        _channels[alias.FullName] = _channels[served.FullName];
        _jsonClients[alias.FullName] = _jsonClients[served.FullName];
    }

    public async Task DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts)) await host.DisposeAsync();
        if (Db is not null) await Db.DisposeAsync();
    }
}
