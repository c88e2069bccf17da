using Medins.Gateway.Assertions;
using Medins.Gateway.Credentials;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Gateway.Tests;

/// <summary>The assertions the gateway mints, on a clock the test moves (lifetime 2 minutes, the default).</summary>
public sealed class CallerAssertionIssuerTests
{
    private static readonly GatewayCaller Lidu = new("demo-lidu", CallerScopes.Tenant, "cq-lidu", ["read", "collect", "manage"]);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 12, 20, 1, 0, 0, TimeSpan.Zero));
    private readonly CallerAssertionIssuer _issuer;

    public CallerAssertionIssuerTests() =>
        _issuer = new CallerAssertionIssuer(TestAssertions.Signer(_time), Options.Create(new AuthOptions()), _time);

    private Assertion Decode(string token, string audience)
    {
        var check = TestAssertions.Verifier(_time).Validate(token, audience);
        Assert.True(check.IsValid, check.Message);
        return check.Assertion!;
    }

    [Fact]
    public void AssertionFor_TenantCaller_SignedByGatewayForThatAudienceWithTwoMinuteLifetime()
    {
        var assertion = Decode(_issuer.AssertionFor(Lidu, "payment-collection"), "payment-collection");

        Assert.Equal(("gateway", "demo-lidu", "payment-collection", "cq-lidu", "tenant"),
            (assertion.Issuer, assertion.Subject, assertion.Audience, assertion.TenantId, assertion.Scope));
        Assert.Equal(["read", "collect", "manage"], assertion.Roles);
        Assert.Equal(_time.GetUtcNow(), assertion.IssuedAt);
        Assert.Equal(TimeSpan.FromMinutes(2), assertion.ExpiresAt - assertion.IssuedAt);
        Assert.Null(assertion.BodyDigest);
    }

    [Fact]
    public void AssertionFor_WithMoreThanHalfItsLifetimeLeft_ReusedThenRenewed()
    {
        var first = _issuer.AssertionFor(Lidu, "identity-registry");

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first, _issuer.AssertionFor(Lidu, "identity-registry"));

        // At half its lifetime (60 s left) it is no longer handed out: the service gets a fresh one.
        _time.Advance(TimeSpan.FromSeconds(1));
        var renewed = _issuer.AssertionFor(Lidu, "identity-registry");
        Assert.NotEqual(first, renewed);
        Assert.Equal(_time.GetUtcNow(), Decode(renewed, "identity-registry").IssuedAt);
    }

    [Fact]
    public void AssertionFor_OtherAudienceTenantOrRoles_MintedSeparately()
    {
        var token = _issuer.AssertionFor(Lidu, "identity-registry");

        Assert.NotEqual(token, _issuer.AssertionFor(Lidu, "quota-tracking"));
        Assert.NotEqual(token, _issuer.AssertionFor(Lidu with { Roles = ["read"] }, "identity-registry"));
        var city = new GatewayCaller("demo-city", CallerScopes.City, "cq-lidu", ["read", "audit"]);
        Assert.Equal("cq-lidu", Decode(_issuer.AssertionFor(city, "identity-registry"), "identity-registry").TenantId);
        Assert.Null(Decode(_issuer.AssertionFor(city with { TenantId = "*" }, "identity-registry"), "identity-registry").TenantId);
        Assert.Null(Decode(_issuer.AssertionFor(city with { TenantId = null }, "identity-registry"), "identity-registry").TenantId);
    }
}
