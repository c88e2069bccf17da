using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Medins.Platform.Hosting.Tests;

public sealed class AssertionCodecTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 12, 1, 2, 0, 0, TimeSpan.Zero));
    private static readonly (string Private, string Public) GatewayKey = AssertionCodec.GenerateKeyPair();
    private static readonly (string Private, string Public) NextGatewayKey = AssertionCodec.GenerateKeyPair();
    private static readonly (string Private, string Public) PaymentKey = AssertionCodec.GenerateKeyPair();

    private AssertionCodec Signer((string Private, string Public) key, string id) =>
        new(new AuthOptions { SigningKey = key.Private, SigningKeyId = id }, _time);

    private AssertionCodec Verifier(params (string Id, string Issuer, string Public)[] keys) =>
        new(new AuthOptions { TrustedKeys = [.. keys.Select(k => new TrustedKeyOptions { Id = k.Id, Issuer = k.Issuer, PublicKey = k.Public })] }, _time);

    private AssertionCodec IdentityRegistry => Verifier(("gw-1", "gateway", GatewayKey.Public), ("pc-1", "payment-collection", PaymentKey.Public));

    private string CallerToken(string audience = "identity-registry") =>
        Signer(GatewayKey, "gw-1").Issue("gateway", "demo-lidu", audience, "cq-lidu", Scopes.Tenant, [Roles.Read, Roles.Collect]);

    [Fact]
    public void Validate_TokenFromTrustedIssuer_ReturnsItsClaims()
    {
        var check = IdentityRegistry.Validate(CallerToken(), "identity-registry");

        Assert.True(check.IsValid, check.Message);
        Assert.Equal(("gateway", "demo-lidu", "cq-lidu", Scopes.Tenant), (check.Assertion!.Issuer, check.Assertion.Subject, check.Assertion.TenantId, check.Assertion.Scope));
        Assert.Equal([Roles.Read, Roles.Collect], check.Assertion.Roles);
    }

    [Fact]
    public void Validate_OtherAudience_IsRefused()
    {
        Assert.Equal(AssertionReasons.WrongAudience, IdentityRegistry.Validate(CallerToken("payment-collection"), "identity-registry").Reason);
    }

    [Fact]
    public void Validate_AfterExpiryAndSkew_IsRefusedEvenWhenCached()
    {
        var verifier = IdentityRegistry;
        var token = CallerToken();
        Assert.True(verifier.Validate(token, "identity-registry").IsValid);

        _time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(31));

        Assert.Equal(AssertionReasons.Expired, verifier.Validate(token, "identity-registry").Reason);
    }

    [Fact]
    public void Validate_ServiceKeySigningAsGateway_IsRefused()
    {
        var forged = Signer(PaymentKey, "pc-1").Issue("gateway", "demo-city", "identity-registry", null, Scopes.City, Roles.All);

        Assert.Equal(AssertionReasons.WrongIssuer, IdentityRegistry.Validate(forged, "identity-registry").Reason);
    }

    [Fact]
    public void Validate_TamperedClaims_IsRefused()
    {
        var parts = CallerToken().Split('.');
        var other = Signer(GatewayKey, "gw-1").Issue("gateway", "demo-lidu", "identity-registry", "cq-linjiang", Scopes.Tenant, [Roles.Read]).Split('.');

        var check = IdentityRegistry.Validate($"{parts[0]}.{other[1]}.{parts[2]}", "identity-registry");

        Assert.Equal(AssertionReasons.BadSignature, check.Reason);
    }

    [Fact]
    public void Validate_UntrustedKeyOrGarbage_IsRefused()
    {
        var stranger = Signer(AssertionCodec.GenerateKeyPair(), "gw-1").Issue("gateway", "x", "identity-registry", "cq-lidu", Scopes.Tenant, Roles.All);

        Assert.Equal(AssertionReasons.BadSignature, IdentityRegistry.Validate(stranger, "identity-registry").Reason);
        Assert.Equal(AssertionReasons.UnknownKey, Verifier().Validate(CallerToken(), "identity-registry").Reason);
        Assert.Equal(AssertionReasons.Malformed, IdentityRegistry.Validate("eyJhbGciOiJub25lIn0.e30.", "identity-registry").Reason);
        Assert.Equal(AssertionReasons.Missing, IdentityRegistry.Validate(null, "identity-registry").Reason);
    }

    [Fact]
    public void Validate_LifetimeBeyondMaximum_IsRefused()
    {
        var now = _time.GetUtcNow();
        var longLived = Signer(GatewayKey, "gw-1").Sign(new Assertion("gateway", "demo-lidu", "identity-registry", now, now.AddHours(1), "cq-lidu", Scopes.Tenant, [Roles.Read]));

        Assert.Equal(AssertionReasons.LifetimeTooLong, IdentityRegistry.Validate(longLived, "identity-registry").Reason);
    }

    [Fact]
    public void Validate_DuringKeyRollover_AcceptsOldAndNewKeys()
    {
        var verifier = Verifier(("gw-1", "gateway", GatewayKey.Public), ("gw-2", "gateway", NextGatewayKey.Public));
        var next = Signer(NextGatewayKey, "gw-2").Issue("gateway", "demo-lidu", "identity-registry", "cq-lidu", Scopes.Tenant, [Roles.Read]);

        Assert.True(verifier.Validate(CallerToken(), "identity-registry").IsValid);
        Assert.True(verifier.Validate(next, "identity-registry").IsValid);
        Assert.Equal(AssertionReasons.UnknownKey, IdentityRegistry.Validate(next, "identity-registry").Reason);
    }

    [Fact]
    public void IssueReusable_SameKeyWithinHalfLifetime_ReturnsTheSameValidToken()
    {
        var signer = Signer(PaymentKey, "pc-1");
        var first = signer.IssueReusable("payment-collection", "payment-collection", "identity-registry", "cq-lidu", Scopes.Service);

        _time.Advance(TimeSpan.FromSeconds(59));
        var second = signer.IssueReusable("payment-collection", "payment-collection", "identity-registry", "cq-lidu", Scopes.Service);

        Assert.Equal(first, second);
        Assert.True(IdentityRegistry.Validate(second, "identity-registry").IsValid);
    }

    [Fact]
    public void IssueReusable_PastHalfLifetime_SignsAFreshToken()
    {
        var signer = Signer(PaymentKey, "pc-1");
        var first = signer.IssueReusable("payment-collection", "payment-collection", "identity-registry", "cq-lidu", Scopes.Service);

        _time.Advance(TimeSpan.FromSeconds(61));
        var second = signer.IssueReusable("payment-collection", "payment-collection", "identity-registry", "cq-lidu", Scopes.Service);

        Assert.NotEqual(first, second);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), IdentityRegistry.Validate(second, "identity-registry").Assertion!.IssuedAt.ToUnixTimeSeconds());
    }

    [Fact]
    public void IssueReusable_OtherTenantScopeOrAudience_GetsItsOwnToken()
    {
        var signer = Signer(PaymentKey, "pc-1");
        string Issue(string audience, string? tenant, string scope) =>
            signer.IssueReusable("payment-collection", "payment-collection", audience, tenant, scope);

        var tokens = new[]
        {
            Issue("identity-registry", "cq-lidu", Scopes.Service),
            Issue("identity-registry", "cq-gaoyang", Scopes.Service),
            Issue("identity-registry", null, Scopes.City),
            Issue("contribution-calculation", "cq-lidu", Scopes.Service),
        };

        Assert.Equal(tokens.Length, tokens.Distinct().Count());
        var lidu = IdentityRegistry.Validate(tokens[0], "identity-registry").Assertion!;
        var gaoyang = IdentityRegistry.Validate(tokens[1], "identity-registry").Assertion!;
        Assert.Equal(("cq-lidu", "cq-gaoyang"), (lidu.TenantId, gaoyang.TenantId));
    }

    [Fact]
    public async Task IssueReusable_ConcurrentCallers_AllGetValidTokens()
    {
        var signer = Signer(PaymentKey, "pc-1");

        var tokens = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() =>
            signer.IssueReusable("payment-collection", "payment-collection", "identity-registry", $"tenant-{i % 4}", Scopes.Service))));

        Assert.All(tokens, t => Assert.True(IdentityRegistry.Validate(t, "identity-registry").IsValid));
        Assert.Equal(4, tokens.Select(t => IdentityRegistry.Validate(t, "identity-registry").Assertion!.TenantId).Distinct().Count());
    }
}
