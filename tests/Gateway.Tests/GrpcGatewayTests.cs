using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;

namespace Medins.Gateway.Tests;

/// <summary>gRPC calls through the gateway's h2c port to a real backend.</summary>
public sealed class GrpcGatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static Metadata Key(string key, params (string Name, string Value)[] extra)
    {
        var headers = new Metadata { { "x-api-key", key } };
        foreach (var (name, value) in extra) headers.Add(name, value);
        return headers;
    }

    [Fact]
    public async Task ListResidents_NoCredential_UnauthenticatedCredentialMissing()
    {
        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest()).ResponseAsync);
        Assert.Equal("CREDENTIAL_MISSING", reason);
    }

    [Fact]
    public async Task ListResidents_WrongApiKey_UnauthenticatedCredentialInvalid()
    {
        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), Key("demo-lidu-key-wrong")).ResponseAsync);
        Assert.Equal("CREDENTIAL_INVALID", reason);
    }

    [Fact]
    public async Task ListResidents_WrongBearerKey_UnauthenticatedCredentialInvalid()
    {
        var headers = new Metadata { { "authorization", "Bearer not-a-known-key" } };
        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), headers).ResponseAsync);
        Assert.Equal("CREDENTIAL_INVALID", reason);
    }

    [Fact]
    public async Task ListResidents_TenantKeyNamingOtherTenant_PermissionDeniedTenantNotAllowed()
    {
        var reason = await Expect.RpcErrorAsync(StatusCode.PermissionDenied,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(),
                Key(GatewayFixture.LiduKey, ("x-tenant-id", "cq-linjiang"))).ResponseAsync);
        Assert.Equal("TENANT_NOT_ALLOWED", reason);
    }

    [Fact]
    public async Task ListResidents_TenantKey_BackendSeesOwnTenantScopeAndClient()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LiduKey));

        Assert.Equal("cq-lidu", seen["x-tenant-id"]);
        Assert.Equal("tenant", seen["x-medins-scope"]);
        Assert.Equal("demo-lidu", seen["x-medins-client"]);
        Assert.False(seen.ContainsKey("x-api-key"), "the API key must not reach the service");
    }

    [Fact]
    public async Task ListResidents_TenantKeyNamingOwnTenant_Allowed()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LinjiangKey, ("x-tenant-id", "cq-linjiang")));

        Assert.Equal("cq-linjiang", seen["x-tenant-id"]);
        Assert.Equal("demo-linjiang", seen["x-medins-client"]);
    }

    [Fact]
    public async Task ListResidents_TenantKeyWithForgedScopeAndClient_ForgedHeadersReplaced()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LiduKey,
            ("x-medins-scope", "city"), ("x-medins-client", "demo-city")));

        Assert.Equal("tenant", seen["x-medins-scope"]);
        Assert.Equal("demo-lidu", seen["x-medins-client"]);
        Assert.Equal("cq-lidu", seen["x-tenant-id"]);
    }

    [Fact]
    public async Task ListResidents_TenantKeyAsBearer_Accepted()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(new Metadata { { "authorization", "Bearer demo-gaoyang-key" } });

        Assert.Equal("he-gaoyang", seen["x-tenant-id"]);
        Assert.Equal("demo-gaoyang", seen["x-medins-client"]);
        Assert.False(seen.ContainsKey("authorization"), "the bearer credential must not reach the service");
    }

    [Fact]
    public async Task ListResidents_CityKeyNamingTenant_BackendSeesCityScopeAndThatTenant()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.CityKey, ("x-tenant-id", "sc-meishan-dongpo")));

        Assert.Equal("city", seen["x-medins-scope"]);
        Assert.Equal("sc-meishan-dongpo", seen["x-tenant-id"]);
        Assert.Equal("demo-city", seen["x-medins-client"]);
    }

    [Fact]
    public async Task ListResidents_CityKeyWithoutTenant_NoTenantForwarded()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.CityKey));

        Assert.Equal("city", seen["x-medins-scope"]);
        Assert.False(seen.ContainsKey("x-tenant-id"));
    }

    [Fact]
    public async Task GetResident_TenantKey_RoutedToTheMethod()
    {
        var response = await fixture.Identity.GetResidentAsync(new GetResidentRequest { ResidentId = "r-42" }, Key(GatewayFixture.LiduKey));

        Assert.Equal("r-42", response.Resident.ResidentId);
    }

    [Fact]
    public async Task GetResident_BackendError_PassesThroughWithDetails()
    {
        var reason = await Expect.RpcErrorAsync(StatusCode.NotFound,
            () => fixture.Identity.GetResidentAsync(new GetResidentRequest { ResidentId = "missing" }, Key(GatewayFixture.LiduKey)).ResponseAsync);
        Assert.Equal("RESIDENT_NOT_FOUND", reason);
    }

    [Fact]
    public async Task UnknownService_TenantKey_NotFoundRouteNotFound()
    {
        var method = new Method<Empty, Empty>(MethodType.Unary, "medins.unknown.v1.NothingService", "Get",
            Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom));

        var reason = await Expect.RpcErrorAsync(StatusCode.NotFound,
            () => fixture.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(Key(GatewayFixture.LiduKey)), new Empty()).ResponseAsync);
        Assert.Equal("ROUTE_NOT_FOUND", reason);
    }

    [Fact]
    public async Task GetPolicy_ServiceDown_UnavailableUpstreamUnavailable()
    {
        var client = new ContributionCalculationService.ContributionCalculationServiceClient(fixture.Channel);

        var reason = await Expect.RpcErrorAsync(StatusCode.Unavailable,
            () => client.GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2026 }, Key(GatewayFixture.LiduKey)).ResponseAsync);
        Assert.Equal("UPSTREAM_UNAVAILABLE", reason);
    }
}
