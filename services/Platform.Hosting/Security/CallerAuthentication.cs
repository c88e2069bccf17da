using Grpc.Core;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Security;

/// <summary>Who a verified request speaks for; the only source of <see cref="TenantContext"/>.</summary>
/// <param name="Via">The calling platform service, when a service made the call (alone or for a caller).</param>
/// <param name="CallerToken">The gateway's assertion addressed to this service, to forward on calls this one makes.</param>
public sealed record VerifiedCaller(string? TenantId, bool IsCityScope, string Client, IReadOnlyList<string> Roles,
    string? Via, string? CallerToken);

/// <summary>Sets the request's <see cref="TenantContext"/> from a verified assertion, the only way it is set for a caller.</summary>
public static class VerifiedCallerContext
{
    public static void SetFrom(this TenantContext tenant, VerifiedCaller caller) =>
        tenant.SetVerified(caller.TenantId, caller.IsCityScope, caller.Client, caller.Roles, caller.Via, caller.CallerToken);
}

/// <summary>The outcome of authenticating a request: a caller, or why not.</summary>
public readonly record struct CallerCheck(VerifiedCaller? Caller, StatusCode Code, string Reason, string Message)
{
    public static CallerCheck Refused(string reason, string message, StatusCode code = StatusCode.Unauthenticated) =>
        new(null, code, reason, message);
}

/// <summary>Endpoint metadata: the route takes no caller assertion (probes, scrapes, provider callbacks, event routes).</summary>
public sealed class AllowAnonymousCallerMetadata
{
    public static readonly AllowAnonymousCallerMetadata Instance = new();
}

public static class CallerAuthenticationEndpointExtensions
{
    /// <summary>
    /// Lets the route answer without a caller assertion. Only for routes that authenticate otherwise (a provider's
    /// signature, an event delivery's signature) or disclose nothing (health, metrics).
    /// </summary>
    public static TBuilder AllowAnonymousCaller<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AllowAnonymousCallerMetadata.Instance);
}

/// <summary>
/// Decides who speaks for a request from its assertions alone: the gateway's <c>x-medins-caller</c> for this
/// service, or a platform service's <c>x-medins-service</c> for this service, optionally with the caller assertion
/// it received (addressed to that service). Tenant, scope and client headers are never read.
/// </summary>
public sealed class CallerAuthenticator
{
    /// <summary>A service assertion from a service this one does not list in Auth:ServiceRoles.</summary>
    public static readonly string ServiceNotAllowed = ErrorReasons.Code(PlatformReason.CallerServiceNotAllowed);

    private readonly AssertionCodec _codec;
    private readonly AuthOptions _options;
    private readonly string _self;

    public CallerAuthenticator(AssertionCodec codec, IOptions<AuthOptions> options, PlatformServiceInfo service)
    {
        _codec = codec;
        _options = options.Value;
        _self = service.Name;
        if (_options.TrustedKeys.Count == 0)
            throw new InvalidOperationException(
                $"{service.Name}: Auth:TrustedKeys is empty, so no caller could ever be verified. Configure the gateway's and the services' public keys.");
        if (!codec.CanSign)
            throw new InvalidOperationException(
                $"{service.Name}: Auth:SigningKey is not configured; a service needs its own key for the calls and event deliveries it makes.");
        foreach (var (appId, roles) in _options.ServiceRoles)
            if (roles.FirstOrDefault(r => !Roles.IsKnown(r)) is { } unknown)
                throw new InvalidOperationException($"Auth:ServiceRoles:{appId} names unknown role '{unknown}'.");
    }

    public CallerCheck Authenticate(string? callerToken, string? serviceToken)
    {
        if (!string.IsNullOrEmpty(serviceToken)) return AuthenticateService(serviceToken, callerToken);

        var check = _codec.Validate(callerToken, _self);
        if (!check.IsValid) return CallerCheck.Refused(check.Reason, check.Message);
        var caller = check.Assertion!;
        if (caller.Issuer != Assertion.GatewayIssuer)
            return CallerCheck.Refused(AssertionReasons.WrongIssuer, "Only the gateway asserts callers.");
        return FromCaller(caller, via: null, token: callerToken, roles: caller.Roles);
    }

    private CallerCheck AuthenticateService(string serviceToken, string? callerToken)
    {
        var check = _codec.Validate(serviceToken, _self);
        if (!check.IsValid) return CallerCheck.Refused(check.Reason, check.Message);
        var service = check.Assertion!;
        if (service.Issuer == Assertion.GatewayIssuer || service.Subject != service.Issuer)
            return CallerCheck.Refused(AssertionReasons.WrongIssuer, "A service assertion is issued by a platform service for itself.");
        if (service.BodyDigest is not null)
            return CallerCheck.Refused(AssertionReasons.BodyMismatch, "An event delivery's assertion does not authorise API calls.");
        if (!_options.ServiceRoles.TryGetValue(service.Issuer, out var roles))
            return CallerCheck.Refused(ServiceNotAllowed, $"{service.Issuer} is not a service {_self} takes calls from.");

        if (string.IsNullOrEmpty(callerToken))
            return new CallerCheck(new VerifiedCaller(service.TenantId, service.Scope == Scopes.City, service.Issuer, roles,
                service.Issuer, null), StatusCode.OK, "", "");

        // The caller's assertion was addressed to the calling service: it proves for whom that service acts.
        var delegated = _codec.Validate(callerToken, service.Issuer);
        if (!delegated.IsValid) return CallerCheck.Refused(delegated.Reason, $"The forwarded caller assertion: {delegated.Message}");
        if (delegated.Assertion!.Issuer != Assertion.GatewayIssuer)
            return CallerCheck.Refused(AssertionReasons.WrongIssuer, "Only the gateway asserts callers.");
        return FromCaller(delegated.Assertion, via: service.Issuer, token: null, roles: roles);
    }

    private static CallerCheck FromCaller(Assertion caller, string? via, string? token, IReadOnlyList<string> roles)
    {
        var city = caller.Scope == Scopes.City;
        if (!city && (caller.Scope != Scopes.Tenant || string.IsNullOrWhiteSpace(caller.TenantId)))
            return CallerCheck.Refused(AssertionReasons.Malformed, "A caller assertion names a tenant, or city scope.");
        return new CallerCheck(new VerifiedCaller(string.IsNullOrWhiteSpace(caller.TenantId) ? null : caller.TenantId, city,
            caller.Subject, roles, via, token), StatusCode.OK, "", "");
    }
}
