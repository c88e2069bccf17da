using Medins.Platform.Hosting.Security;

namespace Medins.Platform.Testing;

/// <summary>
/// Signing keys for one test run: a P-256 pair for the gateway and for every service app id, generated per process,
/// each trusted by every process under its own issuer. <see cref="Settings"/> gives a host its Auth section (its
/// own key and every public key); Auth:ServiceRoles stay as each service's appsettings.json declares them.
/// </summary>
public static class TestAuth
{
    public const string Gateway = Assertion.GatewayIssuer;

    public static readonly IReadOnlyList<string> ServiceIds =
        ["identity-registry", "contribution-calculation", "payment-collection", "quota-tracking", "notification"];

    private static readonly Lazy<IReadOnlyDictionary<string, (string PrivateKey, string PublicKey)>> Keys = new(() =>
        new[] { Gateway }.Concat(ServiceIds).ToDictionary(id => id, _ => AssertionCodec.GenerateKeyPair()));

    /// <summary>The key id each issuer signs with in tests.</summary>
    public static string KeyId(string issuer) => $"test-{issuer}";

    /// <summary>The Auth:* settings (configuration keys with ':') of <paramref name="appId"/>, or of the gateway.</summary>
    public static IReadOnlyDictionary<string, string?> Settings(string appId)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = Key(appId).PrivateKey,
            ["Auth:SigningKeyId"] = KeyId(appId),
        };
        var i = 0;
        foreach (var (issuer, pair) in Keys.Value)
        {
            settings[$"Auth:TrustedKeys:{i}:Id"] = KeyId(issuer);
            settings[$"Auth:TrustedKeys:{i}:Issuer"] = issuer;
            settings[$"Auth:TrustedKeys:{i}:PublicKey"] = pair.PublicKey;
            i++;
        }
        return settings;
    }

    /// <summary>The same settings as environment variables (<c>Auth__...</c>), for a child process.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string appId) =>
        Settings(appId).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value ?? "");

    /// <summary>A codec that signs as <paramref name="issuer"/> and trusts every test key, on <paramref name="time"/>.</summary>
    public static AssertionCodec Codec(string issuer, TimeProvider? time = null) =>
        new(Options(issuer), time ?? TimeProvider.System);

    public static AuthOptions Options(string issuer) => new()
    {
        SigningKey = Key(issuer).PrivateKey,
        SigningKeyId = KeyId(issuer),
        TrustedKeys = [.. Keys.Value.Select(k => new TrustedKeyOptions { Id = KeyId(k.Key), Issuer = k.Key, PublicKey = k.Value.PublicKey })],
    };

    /// <summary>
    /// A caller assertion as the gateway mints it: for <paramref name="audience"/>, tenant scope when
    /// <paramref name="tenantId"/> is given (city scope when <paramref name="cityScope"/>), all four roles unless
    /// <paramref name="roles"/> says fewer.
    /// </summary>
    public static string CallerToken(string audience, string? tenantId, bool cityScope = false, string client = "test-client",
        IReadOnlyList<string>? roles = null, TimeProvider? time = null) =>
        Codec(Gateway, time).Issue(Gateway, client, audience, tenantId, cityScope ? Scopes.City : Scopes.Tenant, roles ?? Roles.All);

    private static (string PrivateKey, string PublicKey) Key(string appId) =>
        Keys.Value.TryGetValue(appId, out var pair) ? pair
            : throw new ArgumentException($"No test key for '{appId}': add it to TestAuth.ServiceIds.", nameof(appId));
}
