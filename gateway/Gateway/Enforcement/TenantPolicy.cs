using Google.Rpc;
using Medins.Gateway.Credentials;
using Medins.Gateway.Errors;
using Microsoft.Extensions.Primitives;

namespace Medins.Gateway.Enforcement;

/// <summary>The tenant a call may act in, or why it may not.</summary>
public readonly record struct TenantDecision(GatewayCaller? Caller, Code Code, string Reason, string Message)
{
    public static TenantDecision Allow(GatewayCaller caller) => new(caller, Code.Ok, "", "");
    public static TenantDecision Refuse(Code code, string reason, string message) => new(null, code, reason, message);
}

/// <summary>
/// A tenant credential acts only in its own tenant (naming another is refused); a city credential acts in the
/// tenant it names, or across tenants when it names none.
/// </summary>
public static class TenantPolicy
{
    public static TenantDecision Decide(GatewayCaller caller, StringValues requestedTenant)
    {
        var requested = requestedTenant.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).Distinct().ToList();
        if (requested.Count > 1)
            return TenantDecision.Refuse(Code.InvalidArgument, GatewayReasons.TenantHeaderInvalid, "Send at most one tenant id.");
        var tenant = requested.Count == 1 ? requested[0] : null;

        if (!caller.IsCityScope)
        {
            return tenant is null || tenant == caller.TenantId
                ? TenantDecision.Allow(caller)
                : TenantDecision.Refuse(Code.PermissionDenied, GatewayReasons.TenantNotAllowed,
                    "This credential may not act in the requested tenant.");
        }

        // '*' asks a city-scope service call for all tenants explicitly.
        if (tenant is not null && tenant != "*" && !Identifiers.IsValid(tenant))
            return TenantDecision.Refuse(Code.InvalidArgument, GatewayReasons.TenantHeaderInvalid, "The tenant id is malformed.");
        return TenantDecision.Allow(caller with { TenantId = tenant });
    }
}
