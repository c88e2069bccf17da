namespace Medins.Gateway.Credentials;

/// <summary>The <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>API-key credentials. Only the SHA-256 of each key is configured, never the key.</summary>
    public List<ClientCredentialOptions> Credentials { get; set; } = [];

    /// <summary>Base64 HMAC key (at least 32 bytes) for HS256 tokens; when empty, signed tokens are refused.</summary>
    public string? TokenSigningKey { get; set; }

    /// <summary>The <c>iss</c> every HS256 token must carry; required when <see cref="TokenSigningKey"/> is set.</summary>
    public string? TokenIssuer { get; set; }

    /// <summary>The <c>aud</c> every HS256 token must name, so a token minted for another system is refused here.</summary>
    public string TokenAudience { get; set; } = "medins-gateway";

    /// <summary>The longest lifetime (<c>exp</c> − <c>iat</c>) a token may claim, whatever its issuer wrote.</summary>
    public TimeSpan TokenMaxLifetime { get; set; } = TimeSpan.FromHours(1);

    public GatewayRateLimitOptions RateLimit { get; set; } = new();
}

public sealed class ClientCredentialOptions
{
    /// <summary>The client's name: the subject of its caller assertions and the name in the audit log.</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the UTF-8 API key.</summary>
    public string KeySha256 { get; set; } = "";

    /// <summary>The one tenant a tenant-scope credential acts in; empty for city scope.</summary>
    public string? TenantId { get; set; }

    /// <summary><c>tenant</c> or <c>city</c>.</summary>
    public string Scope { get; set; } = CallerScopes.Tenant;

    /// <summary>What the credential may do: <c>read</c>, <c>collect</c>, <c>manage</c>, <c>audit</c>; at least one.</summary>
    public List<string> Roles { get; set; } = [];
}

/// <summary>
/// Token buckets: a call needs a permit from its credential's bucket and from its tenant's (city-wide calls share
/// the tenant bucket <c>*</c>); each provider callback route has a bucket of its own.
/// </summary>
public sealed class GatewayRateLimitOptions
{
    public RateLimitBucketOptions PerTenant { get; set; } = new();

    public RateLimitBucketOptions PerCredential { get; set; } = new();

    public RateLimitBucketOptions PerCallbackRoute { get; set; } = new() { Permits = 500, Burst = 1000 };

    /// <summary>Names of an older shape (one bucket per tenant or city credential); refused at startup so they are never silently ignored.</summary>
    public int? PermitsPerSecond { get; set; }

    /// <inheritdoc cref="PermitsPerSecond"/>
    public int? Burst { get; set; }
}

/// <summary>One token bucket: <see cref="Permits"/> added every <see cref="Period"/>, holding at most <see cref="Burst"/>.</summary>
public sealed class RateLimitBucketOptions
{
    public int Permits { get; set; } = 2000;

    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many calls may arrive at once before the rate applies.</summary>
    public int Burst { get; set; } = 4000;
}
