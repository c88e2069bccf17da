using System.Net;
using System.Security.Cryptography;
using Grpc.Core;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;
using Medins.Platform.Hosting.Security;

namespace Medins.Gateway.Tests;

/// <summary>HS256 bearer tokens, over gRPC and JSON, against a gateway configured with the signing key and issuer.</summary>
public sealed class SignedTokenTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    private static readonly string[] ReadCollect = ["read", "collect"];

    /// <summary>A good tenant token; <paramref name="claims"/> override its claims (null drops one).</summary>
    private static string TenantToken(string tenant = "cq-lidu", Dictionary<string, object?>? claims = null, byte[]? key = null,
        string algorithm = "HS256")
    {
        var all = new Dictionary<string, object?> { ["sub"] = "village-app", ["tenant"] = tenant, ["scope"] = "tenant", ["roles"] = ReadCollect };
        foreach (var (name, value) in claims ?? []) all[name] = value;
        return TestTokens.SignValid(all, key, algorithm);
    }

    private Task<string> RefusalReasonAsync(string token) => Expect.RpcErrorAsync(StatusCode.Unauthenticated,
        () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), Bearer(token)).ResponseAsync);

    [Fact]
    public async Task ListResidents_ValidTenantToken_AssertionCarriesTokenTenantSubjectAndRoles()
    {
        var assertion = await fixture.AssertionSeenByBackendAsync(Bearer(TenantToken("he-gaoyang")));

        Assert.Equal(("village-app", "he-gaoyang", "tenant"), (assertion.Subject, assertion.TenantId, assertion.Scope));
        Assert.Equal(ReadCollect, assertion.Roles);
    }

    [Fact]
    public async Task ListResidents_TokenWithAudienceList_Accepted()
    {
        var token = TenantToken("cq-linjiang", new() { ["aud"] = new[] { "county-portal", TestTokens.Audience } });

        Assert.Equal("cq-linjiang", (await fixture.AssertionSeenByBackendAsync(Bearer(token))).TenantId);
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
    public async Task ListResidents_ValidCityToken_CityAssertionForCallerTenantWithTokenRoles()
    {
        var token = TestTokens.SignValid(new() { ["sub"] = "city-dashboard", ["scope"] = "city", ["roles"] = new[] { "read", "audit" } });
        var headers = Bearer(token);
        headers.Add("x-tenant-id", "cq-linjiang");

        var assertion = await fixture.AssertionSeenByBackendAsync(headers);

        Assert.Equal(("city-dashboard", "cq-linjiang", "city"), (assertion.Subject, assertion.TenantId, assertion.Scope));
        Assert.Equal(["read", "audit"], assertion.Roles);
    }

    [Fact]
    public async Task ListResidents_SameSubjectWithOtherRoles_AssertionCarriesEachTokensRoles()
    {
        var reader = await fixture.AssertionSeenByBackendAsync(Bearer(TenantToken("he-gaoyang", new() { ["roles"] = new[] { "read" } })));
        var manager = await fixture.AssertionSeenByBackendAsync(Bearer(TenantToken("he-gaoyang", new() { ["roles"] = new[] { "manage" } })));

        Assert.Equal(["read"], reader.Roles);
        Assert.Equal(["manage"], manager.Roles);
    }

    [Fact]
    public async Task ListResidents_ExpiredToken_UnauthenticatedCredentialInvalid()
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new()
        {
            ["iat"] = TestTokens.In(TimeSpan.FromMinutes(-20)), ["exp"] = TestTokens.In(TimeSpan.FromMinutes(-10)),
        })));
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
        var forged = TestTokens.SignValid(new() { ["sub"] = "village-app", ["scope"] = "city", ["roles"] = Roles.All }).Split('.');

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
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new() { ["exp"] = null })));
    }

    [Theory]
    [InlineData("other-sso")]
    [InlineData(null)]
    public async Task ListResidents_TokenFromOtherOrNoIssuer_UnauthenticatedCredentialInvalid(string? issuer)
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new() { ["iss"] = issuer })));
    }

    [Theory]
    [InlineData("other-gateway")]
    [InlineData(null)]
    public async Task ListResidents_TokenForOtherOrNoAudience_UnauthenticatedCredentialInvalid(string? audience)
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new() { ["aud"] = audience })));
    }

    [Fact]
    public async Task ListResidents_TokenLivingLongerThanMaxLifetime_UnauthenticatedCredentialInvalid()
    {
        // Valid right now, but issued for a day: the default maximum is one hour.
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new() { ["exp"] = TestTokens.In(TimeSpan.FromHours(24)) })));
    }

    [Fact]
    public async Task ListResidents_TokenWithoutIssueTime_UnauthenticatedCredentialInvalid()
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new() { ["iat"] = null })));
    }

    [Fact]
    public async Task ListResidents_TokenIssuedInTheFuture_UnauthenticatedCredentialInvalid()
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new()
        {
            ["iat"] = TestTokens.In(TimeSpan.FromMinutes(10)), ["exp"] = TestTokens.In(TimeSpan.FromMinutes(20)),
        })));
    }

    public static TheoryData<object?> BadRoles => new() { null, Array.Empty<string>(), new[] { "read", "superuser" }, "read", new[] { 1 } };

    [Theory]
    [MemberData(nameof(BadRoles))]
    public async Task ListResidents_TokenWithoutValidRoles_UnauthenticatedCredentialInvalid(object? roles)
    {
        Assert.Equal("CREDENTIAL_INVALID", await RefusalReasonAsync(TenantToken(claims: new() { ["roles"] = roles })));
    }

    [Fact]
    public async Task GetResident_ValidTokenOverJson_BackendGetsAssertionOfTokenTenant()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-7");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TenantToken("cq-linjiang"));

        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<EchoedRequest>(response.Content);
        var assertion = TestAssertions.Accepted(echoed!.Headers.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("village-app", "cq-linjiang"), (assertion.Subject, assertion.TenantId));
    }

    [Fact]
    public async Task GetResident_TokenWithoutRolesOverJson_401CredentialInvalid()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-7");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TenantToken(claims: new() { ["roles"] = null }));

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
        var token = TestTokens.SignValid(new() { ["sub"] = "village-app", ["tenant"] = "cq-lidu", ["scope"] = "tenant", ["roles"] = Roles.All });

        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), new Metadata { { "authorization", $"Bearer {token}" } }).ResponseAsync);
        Assert.Equal("CREDENTIAL_INVALID", reason);
    }

    [Fact]
    public async Task ListResidents_ApiKeyWithoutConfiguredTokenKey_StillAccepted()
    {
        Assert.Equal("cq-lidu", (await fixture.AssertionSeenByBackendAsync(new Metadata { { "x-api-key", GatewayFixture.LiduKey } })).TenantId);
    }
}
