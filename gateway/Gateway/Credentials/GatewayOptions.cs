namespace Medins.Gateway.Credentials;

/// <summary>The <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>API-key credentials. Only the SHA-256 of each key is configured, never the key.</summary>
    public List<ClientCredentialOptions> Credentials { get; set; } = [];

    /// <summary>Base64 HMAC key (at least 32 bytes) for HS256 tokens; when empty, signed tokens are refused.</summary>
    public string? TokenSigningKey { get; set; }

    public GatewayRateLimitOptions RateLimit { get; set; } = new();
}

public sealed class ClientCredentialOptions
{
    /// <summary>The client's name, sent to the services as <c>x-medins-client</c> and written in the audit log.</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the UTF-8 API key.</summary>
    public string KeySha256 { get; set; } = "";

    /// <summary>The one tenant a tenant-scope credential acts in; empty for city scope.</summary>
    public string? TenantId { get; set; }

    /// <summary><c>tenant</c> or <c>city</c>.</summary>
    public string Scope { get; set; } = CallerScopes.Tenant;
}

/// <summary>A token bucket per tenant (tenant scope) or per credential (city scope).</summary>
public sealed class GatewayRateLimitOptions
{
    public int PermitsPerSecond { get; set; } = 2000;

    /// <summary>How many calls may arrive at once before the rate applies.</summary>
    public int Burst { get; set; } = 4000;
}
