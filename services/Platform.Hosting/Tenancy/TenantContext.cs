using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Tenancy;

/// <summary>
/// Headers the gateway used to set for the services. Services no longer read them (only signed assertions say who
/// calls); the gateway still strips any a client sends, and a city-scope credential names its tenant with
/// <see cref="TenantId"/> at the gateway.
/// </summary>
public static class TenantHeaders
{
    /// <summary>The tenant a city-scope credential names at the gateway.</summary>
    public const string TenantId = "x-tenant-id";
    /// <summary><c>tenant</c> or <c>city</c>.</summary>
    public const string Scope = "x-medins-scope";
    /// <summary>The credential's name.</summary>
    public const string Client = "x-medins-client";
}

/// <summary>Who is calling and in which tenant, for the current request: set only from a verified assertion.</summary>
public sealed class TenantContext
{
    public string? TenantId { get; private set; }
    public bool IsCityScope { get; private set; }
    /// <summary>The credential (or, for a service acting alone, the service's app id), for audit.</summary>
    public string Client { get; private set; } = "anonymous";
    /// <summary>What the caller may do (<see cref="Security.Roles"/>).</summary>
    public IReadOnlyList<string> Roles { get; private set; } = [];
    /// <summary>The platform service that made this call (for itself or for a caller); null for a call from the gateway.</summary>
    public string? Via { get; private set; }
    public bool IsAuthenticated { get; private set; }
    /// <summary>The gateway's assertion this call arrived with, addressed to this service: forwarded on calls it makes.</summary>
    internal string? CallerToken { get; private set; }

    public bool HasRole(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>The tenant the call must act in; city-scope callers must name one for tenant-bound operations.</summary>
    public string RequireTenant() =>
        TenantId ?? throw RpcErrors.FailedPrecondition(PlatformReason.TenantRequired,
            $"This operation acts in one tenant: a city-scope credential names it with the '{TenantHeaders.TenantId}' header at the gateway.");

    /// <summary>Only from a verified assertion (the security middleware's <c>SetFrom</c>).</summary>
    internal void SetVerified(string? tenantId, bool isCityScope, string client, IReadOnlyList<string> roles, string? via,
        string? callerToken)
    {
        TenantId = tenantId;
        IsCityScope = isCityScope;
        Client = client;
        Roles = roles;
        Via = via;
        CallerToken = callerToken;
        IsAuthenticated = true;
    }

    /// <summary>For event handlers and background work, which carry their tenant in the message.</summary>
    public void UseTenant(string tenantId, string client)
    {
        TenantId = tenantId;
        IsCityScope = false;
        Client = client;
    }
}
