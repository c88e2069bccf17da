using Medins.Gateway.Credentials;
using Medins.Gateway.Enforcement;
using Medins.Gateway.Errors;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Medins.Gateway.Tests;

/// <summary>The pure pieces: tenant decisions, configuration validation, grpc-message encoding.</summary>
public sealed class CredentialUnitTests
{
    private static readonly GatewayCaller Lidu = new("demo-lidu", CallerScopes.Tenant, "cq-lidu", ["read", "collect", "manage"]);
    private static readonly GatewayCaller City = new("demo-city", CallerScopes.City, null, ["read", "audit"]);

    [Fact]
    public void TenantPolicy_TenantCallerNamingTwoTenants_RefusedAsInvalid()
    {
        var decision = TenantPolicy.Decide(Lidu, new StringValues(["cq-lidu", "cq-linjiang"]));

        Assert.Null(decision.Caller);
        Assert.Equal(GatewayReasons.TenantHeaderInvalid, decision.Reason);
    }

    [Fact]
    public void TenantPolicy_CityCallerNamingAllTenants_Allowed()
    {
        var decision = TenantPolicy.Decide(City, "*");

        Assert.Equal("*", decision.Caller?.TenantId);
    }

    [Fact]
    public void TenantPolicy_TenantCallerNamingAllTenants_Refused()
    {
        Assert.Equal(GatewayReasons.TenantNotAllowed, TenantPolicy.Decide(Lidu, "*").Reason);
    }

    [Fact]
    public void GatewayOptionsValidator_BadCredentials_EveryProblemReported()
    {
        var options = new GatewayOptions
        {
            Credentials =
            [
                new() { Name = "no tenant", KeySha256 = new string('a', 64), Scope = CallerScopes.Tenant, Roles = ["read"] },
                new() { Name = "short-hash", KeySha256 = "abc", TenantId = "cq-lidu", Scope = CallerScopes.Tenant, Roles = ["read"] },
                new() { Name = "odd-scope", KeySha256 = new string('b', 64), Scope = "province", Roles = ["read"] },
                new() { Name = "no-roles", KeySha256 = new string('c', 64), TenantId = "cq-lidu", Scope = CallerScopes.Tenant },
                new() { Name = "odd-role", KeySha256 = new string('d', 64), TenantId = "cq-lidu", Scope = CallerScopes.Tenant, Roles = ["read", "admin"] },
            ],
            TokenSigningKey = Convert.ToBase64String(new byte[16]),
            RateLimit = new GatewayRateLimitOptions { PerCredential = new RateLimitBucketOptions { Burst = 0 }, PermitsPerSecond = 10 },
        };

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("Credentials:0:Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Credentials:0:TenantId", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Credentials:1:KeySha256", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Credentials:2:Scope", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("TokenSigningKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Credentials:3:Roles is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Credentials:4:Roles names 'admin'", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("Credentials:0:Roles", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("TokenIssuer is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("RateLimit:PerCredential:Burst", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("RateLimit:PermitsPerSecond", StringComparison.Ordinal));
    }

    [Fact]
    public void ApiKeyStore_KeyDifferingInOneCharacter_Refused()
    {
        var store = new ApiKeyStore(Options.Create(new GatewayOptions
        {
            Credentials = [new() { Name = "demo-lidu", TenantId = "cq-lidu", Scope = CallerScopes.Tenant, Roles = ["read", "collect", "manage"],
                KeySha256 = "d43d2e281f929567f0cf71fe8e0ef4c35f7d037cc38d68837e18dbc414bfca40" }],
        }));

        var caller = store.Authenticate("demo-lidu-key").Caller;
        Assert.Equal((Lidu.Client, Lidu.Scope, Lidu.TenantId), (caller?.Client, caller?.Scope, caller?.TenantId));
        Assert.Equal(Lidu.Roles, caller!.Roles);
        Assert.Equal(CredentialReasons.Invalid, store.Authenticate("demo-lidu-kez").Reason);
    }

    [Fact]
    public void GrpcMessage_NonAsciiAndPercent_PercentEncodedUtf8()
    {
        Assert.Equal("100%25 %E7%A6%81", GrpcMessage.PercentEncode("100% 禁"));
    }
}
