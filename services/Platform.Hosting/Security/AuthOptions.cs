namespace Medins.Platform.Hosting.Security;

/// <summary>
/// The <c>Auth</c> configuration section: this process's signing key, the public keys it trusts and the limits it
/// applies. Keys rotate without downtime: add the new public key to every process's <see cref="TrustedKeys"/>,
/// then switch the signer's <see cref="SigningKey"/> and <see cref="SigningKeyId"/>, and remove the old public key
/// once <see cref="MaxLifetime"/> has passed. Both keys are accepted in between.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>PEM of this process's ECDSA P-256 private key (PKCS#8 or SEC1), from a Secret. Empty: it signs nothing.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The id (JWS <c>kid</c>) of <see cref="SigningKey"/>, as the verifiers' <see cref="TrustedKeys"/> name it.</summary>
    public string? SigningKeyId { get; set; }

    /// <summary>Every public key this process accepts, each bound to the one issuer allowed to sign with it.</summary>
    public List<TrustedKeyOptions> TrustedKeys { get; set; } = [];

    /// <summary>How long an assertion this process issues stays valid.</summary>
    public TimeSpan AssertionLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest lifetime (exp − iat) accepted, whatever the issuer wrote.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Tolerated difference between the issuer's clock and this one.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Roles a platform service holds when it calls this one on its own (not for a caller), by its app id: for
    /// example <c>notification: [read]</c>. A service not listed may not call alone.
    /// </summary>
    public Dictionary<string, List<string>> ServiceRoles { get; set; } = [];

    /// <summary>
    /// With the Dapr transport: the token the sidecar sends as <c>dapr-api-token</c> on every delivery (Dapr's
    /// APP_API_TOKEN, from a Secret). Event routes refuse deliveries without it.
    /// </summary>
    public string? AppApiToken { get; set; }
}

public sealed class TrustedKeyOptions
{
    /// <summary>The key id (JWS <c>kid</c>) signers put in their assertions' header.</summary>
    public string Id { get; set; } = "";

    /// <summary>The only issuer (<c>gateway</c> or a service's app id) whose assertions this key may sign.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>PEM of the public key (<c>PUBLIC KEY</c>) or of a certificate holding it (<c>CERTIFICATE</c>).</summary>
    public string PublicKey { get; set; } = "";
}
