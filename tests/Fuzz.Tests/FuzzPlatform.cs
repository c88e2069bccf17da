using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Net.Client;
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
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Fuzz.Tests;

/// <summary>
/// The five services in process on one database with the demo city, wired to each other over real gRPC, on one
/// stopped clock and with every background job off, so that nothing but the fuzzer's requests can change a row.
/// </summary>
public sealed class FuzzPlatform : IAsyncDisposable
{
    // 2023-11-20 09:00 in Asia/Shanghai, inside every demo tenant's collection period.
    public static readonly DateTimeOffset CampaignDay = new(2023, 11, 20, 1, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> _hosts = [];

    public required TestDatabase Db { get; init; }

    public FakeTimeProvider Clock { get; } = new(CampaignDay);

    /// <summary>Each public gRPC service with the host that serves it.</summary>
    public List<(ServiceDescriptor Service, TestServer Server, string AppId)> Services { get; } = [];

    /// <summary>payment-collection's host: channel notices and its configuration.</summary>
    public TestServer Payment { get; private set; } = null!;

    public IConfiguration PaymentConfiguration { get; private set; } = null!;

    /// <summary>notification's host: the providers' callbacks.</summary>
    public TestServer Notification { get; private set; } = null!;

    public static async Task<FuzzPlatform> StartAsync()
    {
        var platform = new FuzzPlatform { Db = await TestDatabase.CreateAsync() };
        var clock = platform.Clock;
        void UseClock(IServiceCollection s) => s.AddSingleton<TimeProvider>(clock);

        var identity = platform.Add(new ServiceHost<IdentityRegistryGrpcService>(platform.Db, "identity-registry", services: UseClock));
        var calculation = platform.Add(new ServiceHost<ContributionCalculationGrpcService>(platform.Db, "contribution-calculation",
            services: s =>
            {
                UseClock(s);
                s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identity.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(identity.CreateHandler);
            }));
        var quota = platform.Add(new ServiceHost<QuotaTrackingGrpcService>(platform.Db, "quota-tracking",
            new Dictionary<string, string?> { ["QuotaTracking:Progress:Enabled"] = "false" }, UseClock));
        var paymentHost = new ServiceHost<PaymentCollectionGrpcService>(platform.Db, "payment-collection", services: s =>
        {
            UseClock(s);
            s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identity.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(identity.CreateHandler);
            s.AddGrpcClient<ContributionCalculationService.ContributionCalculationServiceClient>(o => o.Address = calculation.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(calculation.CreateHandler);
        });
        var payment = platform.Add(paymentHost);
        var notification = platform.Add(new ServiceHost<NotificationGrpcService>(platform.Db, "notification",
            new Dictionary<string, string?> { ["Notification:Dispatcher:Enabled"] = "false" }, s =>
            {
                UseClock(s);
                s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identity.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(identity.CreateHandler);
                s.AddGrpcClient<QuotaTrackingService.QuotaTrackingServiceClient>(o => o.Address = quota.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(quota.CreateHandler);
            }));

        platform.Payment = payment;
        platform.PaymentConfiguration = paymentHost.Services.GetRequiredService<IConfiguration>();
        platform.Notification = notification;
        platform.Services.AddRange([
            (IdentityRegistryService.Descriptor, identity, "identity-registry"),
            (ContributionCalculationService.Descriptor, calculation, "contribution-calculation"),
            (PaymentCollectionService.Descriptor, payment, "payment-collection"),
            (VillageCashService.Descriptor, payment, "payment-collection"),
            (ReconciliationService.Descriptor, payment, "payment-collection"),
            (QuotaTrackingService.Descriptor, quota, "quota-tracking"),
            (Medins.Notification.V1.NotificationService.Descriptor, notification, "notification"),
        ]);
        return platform;
    }

    private TestServer Add<T>(WebApplicationFactory<T> host) where T : class
    {
        _hosts.Add(host);
        return host.Server;
    }

    public static GrpcChannel ChannelTo(TestServer server) =>
        GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = server.CreateHandler() });

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts)) await host.DisposeAsync();
        await Db.DisposeAsync();
    }
}
