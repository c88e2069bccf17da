using Microsoft.Extensions.DependencyInjection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Platform.Hosting.Security;

/// <summary>Who a verified request speaks for; the only source of <see cref="TenantContext"/>.</summary>
/// <param name="Via">The calling platform service, when a service made the call (alone or for a caller).</param>
/// <param name="CallerToken">The gateway's assertion addressed to this service, to forward on calls this one makes.</param>
public sealed record VerifiedCaller(string? TenantId, bool IsCityScope, string Client, IReadOnlyList<string> Roles,
    string? Via, string? CallerToken);

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
    public const string ServiceNotAllowed = "CALLER_SERVICE_NOT_ALLOWED";

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

/// <summary>
/// Runs before anything reads a request: every route needs a verified caller unless its endpoint allows anonymous
/// callers, and event routes need an authenticated delivery. A refusal reads and writes nothing.
/// </summary>
internal sealed partial class CallerAuthenticationMiddleware(RequestDelegate next, CallerAuthenticator authenticator,
    EventDeliveryAuthenticator deliveries, ILogger<CallerAuthenticationMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, TenantContext tenant)
    {
        var endpoint = context.GetEndpoint();
        // No endpoint: the request ends in 404 (or 405) without reaching any handler.
        if (endpoint is null)
        {
            await next(context);
            return;
        }
        if (endpoint.Metadata.GetMetadata<EventRouteMetadata>() is { } eventRoute)
        {
            var delivery = await deliveries.AuthenticateAsync(context.Request, eventRoute);
            if (delivery is { } refused)
            {
                LogRefused(logger, context.Request.Path.Value ?? "", refused.Reason);
                await WriteRefusalAsync(context, refused.Code, refused.Reason, refused.Message);
                return;
            }
            await next(context);
            return;
        }
        if (endpoint.Metadata.GetMetadata<AllowAnonymousCallerMetadata>() is not null)
        {
            await next(context);
            return;
        }

        var headers = context.Request.Headers;
        var check = authenticator.Authenticate(headers[AssertionHeaders.Caller].ToString(), headers[AssertionHeaders.Service].ToString());
        if (check.Caller is null)
        {
            LogRefused(logger, context.Request.Path.Value ?? "", check.Reason);
            await WriteRefusalAsync(context, check.Code, check.Reason, check.Message);
            return;
        }
        tenant.SetFrom(check.Caller);
        await next(context);
    }

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(ErrorInfo.Descriptor, LocalizedMessage.Descriptor)));

    /// <summary>
    /// A gRPC call gets a trailers-only gRPC status with google.rpc details; anything else the HTTP status the JSON
    /// API maps that gRPC status to, with the same {code, message, details} body as a transcoded error.
    /// </summary>
    internal static async Task WriteRefusalAsync(HttpContext context, StatusCode code, string reason, string message)
    {
        var status = RpcErrors.Status((Code)(int)code, reason, message, RpcErrors.DomainOf(context.RequestServices.GetRequiredService<PlatformServiceInfo>().Name));
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
            return;
        }
        response.StatusCode = code switch
        {
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        };
        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync(Json.Format(status));
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Refused unauthenticated request to {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string reason);
}
