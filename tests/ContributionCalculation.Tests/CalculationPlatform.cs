using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Grpc;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Grpc;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Medins.ContributionCalculation.Tests;

/// <summary>
/// contribution-calculation on a fresh database holding the demo city (the shipped policies published as version 1),
/// calling the real identity-registry in process over real gRPC. Both stand on one fake clock. Each service is named
/// through a type of its own assembly, as both have a global <c>Program</c>.
/// </summary>
public sealed class CalculationPlatform : IAsyncDisposable
{
    // 2023-11-20 09:00 in Asia/Shanghai: inside every demo tenant's concentrated collection period, and a payment
    // day (1–25) in Gaoyang.
    public static readonly DateTimeOffset CampaignDay = new(2023, 11, 20, 1, 0, 0, TimeSpan.Zero);

    private ServiceHost<IdentityRegistryGrpcService> _identity = null!;
    private int _registered;

    public TestDatabase Db { get; private init; } = null!;
    public FakeTimeProvider Clock { get; } = new(CampaignDay);
    public ServiceHost<ContributionCalculationGrpcService> Host { get; private set; } = null!;

    private CalculationPlatform() { }

    public static async Task<CalculationPlatform> StartAsync()
    {
        var platform = new CalculationPlatform { Db = await TestDatabase.CreateAsync() };
        var clock = platform.Clock;
        platform._identity = new ServiceHost<IdentityRegistryGrpcService>(platform.Db, "identity-registry",
            services: s => s.AddSingleton<TimeProvider>(clock));
        var identityServer = platform._identity.Server;
        platform.Host = new ServiceHost<ContributionCalculationGrpcService>(platform.Db, "contribution-calculation",
            services: services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                // A second registration of a client adds configuration after the service's own: address and handler win.
                services.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = identityServer.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(() => identityServer.CreateHandler());
            });
        return platform;
    }

    public ContributionCalculationService.ContributionCalculationServiceClient Client(string? tenantId, bool cityScope = false,
        string client = "test-client") => new(Host.Channel(tenantId, cityScope, client));

    /// <summary>Registers a resident in identity-registry (a demo village of the tenant) and returns her id.</summary>
    public async Task<string> RegisterResidentAsync(string tenantId, string villageCode, DateOnly birthDate)
    {
        var sequence = Interlocked.Increment(ref _registered);
        var response = await new IdentityRegistryService.IdentityRegistryServiceClient(_identity.Channel(tenantId))
            .RegisterResidentAsync(new RegisterResidentRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                NationalId = NationalIds.Make(villageCode[..6], birthDate, sequence),
                Name = "测试居民" + sequence,
                VillageCode = villageCode,
            });
        return response.Resident.ResidentId;
    }

    /// <summary>A scalar read as the owner (row-level security bypassed), for asserting what was stored.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = Db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Runs SQL as the owner.</summary>
    public async Task<int> ExecuteAsync(string sql, params object[] args)
    {
        await using var cmd = Db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        return await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await _identity.DisposeAsync();
        await Db.DisposeAsync();
    }
}

/// <summary>Reading the google.rpc details of a refused call.</summary>
public static class RpcErrorDetails
{
    public static IReadOnlyDictionary<string, string> Metadata(this RpcException ex) =>
        ex.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Metadata ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>();
}
