using Microsoft.AspNetCore.Http;

namespace Medins.Platform.Hosting.Tenancy;

/// <summary>Headers the gateway sets from the caller's credential; clients cannot set the scope or client id.</summary>
public static class TenantHeaders
{
    /// <summary>The tenant a call acts in. Tenant credentials get their own; city credentials name one.</summary>
    public const string TenantId = "x-tenant-id";
    /// <summary><c>tenant</c> or <c>city</c>.</summary>
    public const string Scope = "x-medins-scope";
    /// <summary>The credential's name, for audit.</summary>
    public const string Client = "x-medins-client";
}

/// <summary>Who is calling and in which tenant, for the current request.</summary>
public sealed class TenantContext
{
    public string? TenantId { get; private set; }
    public bool IsCityScope { get; private set; }
    public string Client { get; private set; } = "anonymous";

    /// <summary>The tenant the call must act in; city-scope callers must name one for tenant-bound operations.</summary>
    public string RequireTenant() =>
        TenantId ?? throw RpcErrors.FailedPrecondition("TENANT_REQUIRED",
            $"This operation acts in one tenant: send the '{TenantHeaders.TenantId}' header.");

    internal void SetFrom(IHeaderDictionary headers)
    {
        var tenant = headers[TenantHeaders.TenantId].ToString();
        TenantId = string.IsNullOrWhiteSpace(tenant) || tenant == "*" ? null : tenant.Trim();
        IsCityScope = string.Equals(headers[TenantHeaders.Scope].ToString(), "city", StringComparison.Ordinal);
        var client = headers[TenantHeaders.Client].ToString();
        if (!string.IsNullOrWhiteSpace(client)) Client = client;
    }

    /// <summary>For event handlers and background work, which carry their tenant in the message.</summary>
    public void UseTenant(string tenantId, string client)
    {
        TenantId = tenantId;
        IsCityScope = false;
        Client = client;
    }
}

internal sealed class TenantContextMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, TenantContext tenant)
    {
        tenant.SetFrom(context.Request.Headers);
        return next(context);
    }
}
