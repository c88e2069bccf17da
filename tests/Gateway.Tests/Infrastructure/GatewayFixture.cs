using Grpc.Core;
using Grpc.Net.Client;
using Medins.Identity.V1;
using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>An echo backend and a gateway in front of it that also accepts tokens signed with <see cref="TestTokens"/>.</summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string LiduKey = "demo-lidu-key";
    public const string LinjiangKey = "demo-linjiang-key";
    public const string CityKey = "demo-city-key";

    private EchoBackend? _backend;
    private GatewayHost? _gateway;
    private GrpcChannel? _channel;

    public GatewayHost Gateway => _gateway ?? throw new InvalidOperationException("Not started.");
    protected EchoBackend Backend => _backend ?? throw new InvalidOperationException("Not started.");
    public HttpClient Http { get; } = new();
    public IdentityRegistryService.IdentityRegistryServiceClient Identity { get; private set; } = null!;
    public GrpcChannel Channel => _channel ?? throw new InvalidOperationException("Not started.");

    protected virtual IReadOnlyDictionary<string, string?> Settings => TestTokens.GatewaySettings;

    /// <summary>Extra services for the gateway, added after its own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        _backend = await EchoBackend.StartAsync();
        _gateway = GatewayHost.Start(_backend, Settings, ConfigureServices);
        Http.BaseAddress = new Uri(_gateway.HttpAddress);
        _channel = GrpcChannel.ForAddress(_gateway.GrpcAddress);
        Identity = new IdentityRegistryService.IdentityRegistryServiceClient(_channel);
    }

    /// <summary>Lists "residents" through the gateway; the backend answers with the headers it saw.</summary>
    public async Task<Dictionary<string, string>> HeadersSeenByBackendAsync(Metadata headers)
    {
        var response = await Identity.ListResidentsAsync(new ListResidentsRequest(), headers);
        return response.Residents.GroupBy(r => r.Name).ToDictionary(g => g.Key, g => string.Join(",", g.Select(r => r.NationalId)));
    }

    /// <summary>The caller assertion identity-registry received for a ListResidents call, as it would accept it.</summary>
    public async Task<Assertion> AssertionSeenByBackendAsync(Metadata headers)
    {
        var seen = await HeadersSeenByBackendAsync(headers);
        return TestAssertions.Accepted(seen.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        _channel?.Dispose();
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_backend is not null) await _backend.DisposeAsync();
    }
}
