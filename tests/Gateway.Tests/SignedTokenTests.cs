using System.Net;
using System.Security.Cryptography;
using Grpc.Core;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;

namespace Medins.Gateway.Tests;

/// <summary>HS256 bearer tokens, over gRPC and JSON, against a gateway configured with the signing key.</summary>
public sealed class SignedTokenTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    private static string TenantToken(string tenant = "cq-lidu", TimeSpan? expiresIn = null, byte[]? key = null, string algorithm = "HS256") =>
        TestTokens.Sign(new { sub = "village-app", tenant, scope = "tenant", exp = TestTokens.In(expiresIn ?? TimeSpan.FromMinutes(5)) },
            key, algorithm);

    private Task<string> RefusalReasonAsync(string token) => Expect.RpcErrorAsync(StatusCode.Unauthenticated,
        () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), Bearer(token)).ResponseAsync);

    [Fact]
    public async Task ListResidents_ValidTenantToken_BackendSeesTokenTenantAndSubject()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(Bearer(TenantToken("he-gaoyang")));

        Assert.Equal("he-gaoyang", seen["x-tenant-id"]);
        Assert.Equal("tenant", seen["x-medins-scope"]);
        Assert.Equal("village-app", seen["x-medins-client"]);
    }

    [Fact]
    public async Task ListResidents_ValidTenantTokenNamingOtherTenant_PermissionDenied()
    {
        var headers = Bearer(TenantToken("cq-lidu"));
        headers.Add("x-tenant-id", "cq-linjiang");

        var reason = await Expect.RpcErrorAsync(StatusCode.PermissionDenied,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), headers).ResponseAsync);
        Assert.Equal("TENANT_NOT_ALLOWED", reason);
    }

    [Fact]
    public async Task ListResidents_ValidCityToken_BackendSeesCityScopeAndCallerTenant()
    {
        var token = TestTokens.Sign(new { sub = "city-dashboard", scope = "city", exp = TestTokens.In(TimeSpan.FromMinutes(5)) });
        var headers = Bearer(token);
        headers.Add("x-tenant-id", "cq-linjiang");

        var seen = await fixture.HeadersSeenByBackendAsync(headers);

        Assert.Equal("city", seen["x-medins-scope"]);
        Assert.Equal("cq-linjiang", seen["x-tenant-id"]);
        Assert.Equal("city-dashboard", seen["x-medins-client"]);
    }

    [Fact]
    public async Task ListResidents_ExpiredToken_UnauthenticatedCredentialInvalid()
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(expiresIn: TimeSpan.FromMinutes(-10))));
    }

    [Fact]
    public async Task ListResidents_TokenSignedWithOtherKey_UnauthenticatedCredentialInvalid()
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(key: RandomNumberGenerator.GetBytes(32))));
    }

    [Fact]
    public async Task ListResidents_TokenWithTamperedPayload_UnauthenticatedCredentialInvalid()
    {
        var genuine = TenantToken("cq-lidu").Split('.');
        var forged = TestTokens.Sign(new { sub = "village-app", scope = "city", exp = TestTokens.In(TimeSpan.FromMinutes(5)) }).Split('.');

        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync($"{genuine[0]}.{forged[1]}.{genuine[2]}"));
    }

    [Fact]
    public async Task ListResidents_UnsignedAlgNoneToken_UnauthenticatedCredentialInvalid()
    {
        var signed = TenantToken(algorithm: "none").Split('.');

        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync($"{signed[0]}.{signed[1]}.AA"));
    }

    [Fact]
    public async Task ListResidents_TokenWithoutExpiry_UnauthenticatedCredentialInvalid()
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TestTokens.Sign(new { sub = "village-app", tenant = "cq-lidu", scope = "tenant" })));
    }

    [Fact]
    public async Task GetResident_ValidTokenOverJson_BackendSeesTenant()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-7");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TenantToken("cq-linjiang"));

        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<EchoedRequest>(response.Content);
        Assert.Equal("cq-linjiang", echoed!.Headers["x-tenant-id"]);
        Assert.Equal("village-app", echoed.Headers["x-medins-client"]);
    }

    [Fact]
    public async Task GetResident_ExpiredTokenOverJson_401CredentialInvalid()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-7");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TenantToken(expiresIn: TimeSpan.FromHours(-1)));

        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal("CREDENTIAL_INVALID", await Expect.JsonErrorAsync(HttpStatusCode.Unauthorized, 16, response));
    }
}

/// <summary>A gateway without <c>Gateway:TokenSigningKey</c> (as appsettings.json ships) refuses every token.</summary>
public sealed class UnconfiguredTokenTests(UnconfiguredTokenTests.Fixture fixture) : IClassFixture<UnconfiguredTokenTests.Fixture>
{
    public sealed class Fixture : GatewayFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();
    }

    [Fact]
    public async Task ListResidents_ValidlySignedTokenWithoutConfiguredKey_UnauthenticatedCredentialInvalid()
    {
        var token = TestTokens.Sign(new { sub = "village-app", tenant = "cq-lidu", scope = "tenant", exp = TestTokens.In(TimeSpan.FromMinutes(5)) });

        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), new Metadata { { "authorization", $"Bearer {token}" } }).ResponseAsync);
        Assert.Equal("CREDENTIAL_INVALID", reason);
    }

    [Fact]
    public async Task ListResidents_ApiKeyWithoutConfiguredTokenKey_StillAccepted()
    {
        var seen = await fixture.HeadersSeenByBackendAsync(new Metadata { { "x-api-key", GatewayFixture.LiduKey } });

        Assert.Equal("cq-lidu", seen["x-tenant-id"]);
    }
}
