extern alias registry;
extern alias quota;
using Google.Protobuf.WellKnownTypes;
using Medins.Identity.V1;
using Medins.Notification.Campaigns;
using Medins.Notification.Delivery;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Medins.Quota.V1;
using QuotaService = quota::Medins.QuotaTracking.Grpc.QuotaTrackingGrpcService;
using RegistryService = registry::Medins.IdentityRegistry.Grpc.IdentityRegistryGrpcService;

namespace Medins.Notification.Tests;

/// <summary>
/// notification on a fresh database with the demo city, reading the real identity-registry (in process, same
/// database) over real gRPC, on one fake clock, and on request the real quota-tracking too (campaign periods). The
/// dispatcher's loop is off: tests run its passes themselves.
/// </summary>
public sealed class NotificationPlatform : IAsyncDisposable
{
    private ServiceHost<RegistryService> _registry = null!;
    private ServiceHost<Program> _notification = null!;
    private ServiceHost<QuotaService>? _quota;
    private int _registered;

    public TestDatabase Db { get; private init; } = null!;
    public FakeTimeProvider Clock { get; }

    private NotificationPlatform(DateTimeOffset now) => Clock = new FakeTimeProvider(now);

    public static async Task<NotificationPlatform> StartAsync(DateTimeOffset now,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, bool withQuota = false)
    {
        var platform = new NotificationPlatform(now) { Db = await TestDatabase.CreateAsync() };
        var clock = platform.Clock;
        platform._registry = new ServiceHost<RegistryService>(platform.Db, "identity-registry",
            services: s => s.AddSingleton<TimeProvider>(clock));
        var registryServer = platform._registry.Server;
        if (withQuota)
            platform._quota = new ServiceHost<QuotaService>(platform.Db, "quota-tracking",
                settings: new Dictionary<string, string?> { ["QuotaTracking:Progress:Enabled"] = "false" },
                services: s => s.AddSingleton<TimeProvider>(clock));
        var quotaServer = platform._quota?.Server;
        var all = new Dictionary<string, string?> { ["Notification:Dispatcher:Enabled"] = "false" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        platform._notification = new ServiceHost<Program>(platform.Db, "notification", all, s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = registryServer.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(() => registryServer.CreateHandler());
            if (quotaServer is not null)
                s.AddGrpcClient<QuotaTrackingService.QuotaTrackingServiceClient>(o => o.Address = quotaServer.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(() => quotaServer.CreateHandler());
            services?.Invoke(s);
        });
        return platform;
    }

    public NotificationService.NotificationServiceClient Client(string tenantId) => new(_notification.Channel(tenantId));

    public IdentityRegistryService.IdentityRegistryServiceClient Registry(string tenantId) => new(_registry.Channel(tenantId));

    public HttpClient NotificationHttp() => _notification.CreateClient();

    /// <summary>notification's services, to drive its background work directly.</summary>
    public IServiceProvider Services => _notification.Services;

    /// <summary>Runs the dispatcher's job once, as its loop would: start due campaigns, send what is due, close campaigns.</summary>
    public async Task RunDispatchPassAsync()
    {
        var campaigns = _notification.Services.GetRequiredService<CampaignRunner>();
        await campaigns.StartDueAsync(CancellationToken.None);
        await _notification.Services.GetRequiredService<Dispatcher>().DrainAsync(CancellationToken.None);
        await campaigns.CompleteFinishedAsync(CancellationToken.None);
    }

    public async Task<string> RegisterResidentAsync(string tenantId, string villageCode, string phone = "13900001111", string name = "")
    {
        var sequence = Interlocked.Increment(ref _registered);
        var response = await Registry(tenantId).RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            NationalId = NationalIds.Make(villageCode[..6], new DateOnly(1980, 5, 1), sequence),
            Name = name.Length > 0 ? name : "居民" + sequence,
            VillageCode = villageCode,
            RegistrationType = RegistrationType.HouseholdRegistered,
            Phone = phone,
        });
        return response.Resident.ResidentId;
    }

    /// <summary>Enrols her for a year as payment-collection would: a contribution.paid event to the registry.</summary>
    public async Task EnrolAsync(string tenantId, string residentId, int coverageYear)
    {
        using var http = _registry.CreateClient();
        await CloudEventPoster.DeliverAsync(http, "contribution.paid", tenantId, new ContributionPaid
        {
            TenantId = tenantId,
            ResidentId = residentId,
            OrderId = Guid.NewGuid().ToString(),
            CoverageYear = coverageYear,
            PersonalAmountFen = 38000,
            PaidTime = Timestamp.FromDateTimeOffset(Clock.GetUtcNow()),
        });
    }

    public async Task RecordDeathAsync(string tenantId, string residentId, DateOnly date) =>
        await Registry(tenantId).RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = residentId,
            Kind = LifeEventKind.Death,
            OccurredDate = date.ToProtoDate(),
            EvidenceReference = "公安注销证明-" + residentId,
        });

    public async Task OptOutAsync(string tenantId, string residentId, string scope)
    {
        await using var cmd = Db.Owner.CreateCommand($"""
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, source, update_time)
            VALUES ('{tenantId}', '{residentId}', '{scope}', 'test', now())
            ON CONFLICT (tenant_id, resident_id) DO UPDATE SET opt_out = excluded.opt_out
            """);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<List<Message>> MessagesAsync(string tenantId, string campaignId = "", string residentId = "")
    {
        var all = new List<Message>();
        var token = "";
        do
        {
            var page = await Client(tenantId).ListMessagesAsync(new ListMessagesRequest
            {
                CampaignId = campaignId, ResidentId = residentId, PageSize = 500, PageToken = token,
            });
            all.AddRange(page.Messages);
            token = page.NextPageToken;
        } while (token.Length > 0);
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        await _notification.DisposeAsync();
        if (_quota is not null) await _quota.DisposeAsync();
        await _registry.DisposeAsync();
        await Db.DisposeAsync();
    }
}
