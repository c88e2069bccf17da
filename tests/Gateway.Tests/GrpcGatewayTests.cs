using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;
using Medins.Platform.Hosting.Security;

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
    public async Task ListResidents_TenantKey_BackendGetsAssertionOfOwnTenantScopeClientAndRoles()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LiduKey));

        var assertion = TestAssertions.Accepted(seen.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("gateway", "demo-lidu", "cq-lidu", "tenant"), (assertion.Issuer, assertion.Subject, assertion.TenantId, assertion.Scope));
        Assert.Equal(["read", "collect", "manage"], assertion.Roles);
        Assert.False(seen.ContainsKey("x-api-key"), "the API key must not reach the service");
        Assert.False(seen.ContainsKey("x-tenant-id"), "services believe assertions only: no tenant header is sent");
        Assert.False(seen.ContainsKey("x-medins-scope"));
        Assert.False(seen.ContainsKey("x-medins-client"));
    }

    [Fact]
    public async Task ListResidents_TenantKeyNamingOwnTenant_Allowed()
    {
        var assertion = await fixture.AssertionSeenByBackendAsync(Key(GatewayFixture.LinjiangKey, ("x-tenant-id", "cq-linjiang")));

        Assert.Equal("cq-linjiang", assertion.TenantId);
        Assert.Equal("demo-linjiang", assertion.Subject);
    }

    [Fact]
    public async Task ListResidents_TenantKeyWithForgedScopeClientAndAssertions_NothingForgedReachesTheService()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LiduKey,
            ("x-medins-scope", "city"), ("x-medins-client", "demo-city"), ("x-medins-caller", "forged.caller.token"),
            ("x-medins-service", "forged.service.token"), ("dapr-api-token", "guessed-token")));

        var assertion = TestAssertions.Accepted(seen.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("demo-lidu", "cq-lidu", "tenant"), (assertion.Subject, assertion.TenantId, assertion.Scope));
        Assert.False(seen.ContainsKey("x-medins-service"));
        Assert.False(seen.ContainsKey("dapr-api-token"));
        Assert.False(seen.ContainsKey("x-medins-scope"));
        Assert.False(seen.ContainsKey("x-medins-client"));
    }

    [Fact]
    public async Task ListResidents_TenantKeyAsBearer_Accepted()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(new Metadata { { "authorization", "Bearer demo-gaoyang-key" } });

        var assertion = TestAssertions.Accepted(seen.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("demo-gaoyang", "he-gaoyang"), (assertion.Subject, assertion.TenantId));
        Assert.False(seen.ContainsKey("authorization"), "the bearer credential must not reach the service");
    }

    [Fact]
    public async Task ListResidents_CityKeyNamingTenant_CityAssertionForThatTenantWithReadAndAudit()
    {
        var assertion = await fixture.AssertionSeenByBackendAsync(Key(GatewayFixture.CityKey, ("x-tenant-id", "sc-meishan-dongpo")));

        Assert.Equal(("demo-city", "sc-meishan-dongpo", "city"), (assertion.Subject, assertion.TenantId, assertion.Scope));
        Assert.Equal(["read", "audit"], assertion.Roles);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*")]
    public async Task ListResidents_CityKeyCityWide_CityAssertionWithoutTenant(string? tenant)
    {
        var headers = Key(GatewayFixture.CityKey);
        if (tenant is not null) headers.Add("x-tenant-id", tenant);

        var seen = await fixture.HeadersSeenByBackendAsync(headers);

        var assertion = TestAssertions.Accepted(seen.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal("city", assertion.Scope);
        Assert.Null(assertion.TenantId);
        Assert.False(seen.ContainsKey("x-tenant-id"));
    }

    [Fact]
    public async Task ListResidents_SameCallerTwice_SameAssertionReused()
    {
        var first = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LinjiangKey));
        var second = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LinjiangKey));
        var otherCaller = await fixture.HeadersSeenByBackendAsync(Key(GatewayFixture.LiduKey));

        Assert.Equal(first[AssertionHeaders.Caller], second[AssertionHeaders.Caller]);
        Assert.NotEqual(first[AssertionHeaders.Caller], otherCaller[AssertionHeaders.Caller]);
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

    [Theory]
    [InlineData("medins.unknown.v1.NothingService", "Get")]
    // The services' own health is not routed; reflection is answered by the gateway itself (ReflectionTests).
    [InlineData("grpc.health.v1.Health", "Check")]
    public async Task UnroutedService_TenantKey_NotFoundRouteNotFound(string service, string name)
    {
        var method = new Method<Empty, Empty>(MethodType.Unary, service, name,
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
