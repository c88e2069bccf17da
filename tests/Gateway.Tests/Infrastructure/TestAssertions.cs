using Medins.Platform.Hosting.Security;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>The gateway's signing key for this test run, and a service-side codec that trusts only it.</summary>
public static class TestAssertions
{
    public const string KeyId = "gateway-test";

    private static readonly (string Private, string Public) Key = AssertionCodec.GenerateKeyPair();

    /// <summary>What the gateway needs to sign.</summary>
    public static IReadOnlyDictionary<string, string?> GatewaySettings { get; } = new Dictionary<string, string?>
    {
        ["Auth:SigningKey"] = Key.Private,
        ["Auth:SigningKeyId"] = KeyId,
    };

    /// <summary>A verifier as a service configures it: the gateway's public key, bound to issuer <c>gateway</c>.</summary>
    public static AssertionCodec Verifier(TimeProvider? time = null) => new(new AuthOptions
    {
        TrustedKeys = [new TrustedKeyOptions { Id = KeyId, Issuer = Assertion.GatewayIssuer, PublicKey = Key.Public }],
    }, time ?? TimeProvider.System);

    /// <summary>A signer holding the gateway's key, for unit tests of the gateway's own pieces.</summary>
    public static AssertionCodec Signer(TimeProvider time) =>
        new(new AuthOptions { SigningKey = Key.Private, SigningKeyId = KeyId }, time);

    /// <summary>The assertion a service named <paramref name="audience"/> would accept from this token; fails the test otherwise.</summary>
    public static Assertion Accepted(string? token, string audience)
    {
        var check = Verifier().Validate(token, audience);
        Assert.True(check.IsValid, $"{check.Reason}: {check.Message}");
        return check.Assertion!;
    }
}
