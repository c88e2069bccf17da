using Google.Rpc;
using Medins.Gateway.Credentials;
using Medins.Gateway.Errors;
using Medins.Gateway.Routing;
using Medins.Platform.Hosting.Security;
using Microsoft.Net.Http.Headers;

namespace Medins.Gateway.Enforcement;

/// <summary>Headers a client may send the gateway, and headers it never passes on.</summary>
public static class CallerHeaders
{
    /// <summary>The tenant a city-scope caller acts in (or <c>*</c>); a tenant-scope caller may only name its own.</summary>
    public const string TenantId = "x-tenant-id";

    /// <summary>
    /// Never forwarded as a client sent them: the assertion headers (only the gateway and the services mint those),
    /// Dapr's app token, and the tenant/scope/client headers services used to trust.
    /// </summary>
    public static readonly IReadOnlyList<string> Stripped =
    [
        AssertionHeaders.Caller, AssertionHeaders.Service, AssertionHeaders.DaprApiToken,
        TenantId, "x-medins-scope", "x-medins-client",
    ];
}

/// <summary>
/// Before a call is proxied: strips what a client may not speak for, establishes the caller from its credential and
/// decides its tenant. The caller's assertion is attached later (<see cref="Assertions.CallerAssertionMiddleware"/>),
/// after the rate limit. Channel notice routes need no credential and carry no caller.
/// </summary>
public sealed class CallerEnforcementMiddleware(RequestDelegate next, CredentialResolver credentials)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!GatewayEndpoint.NeedsCaller(context)) return next(context);

        var headers = context.Request.Headers;
        var requestedTenant = headers[CallerHeaders.TenantId];
        foreach (var header in CallerHeaders.Stripped) headers.Remove(header);

        if (ChannelNoticeRoute.Is(context))
        {
            // Providers authenticate by signature (or callback token) at the service, which takes the tenant from what
            // it verified (a merchant account, a sent message): nothing a sender says about tenant or credentials passes.
            headers.Remove(CredentialResolver.ApiKeyHeader);
            headers.Remove(HeaderNames.Authorization);
            return next(context);
        }

        var credential = credentials.Resolve(headers);
        if (credential.Caller is null)
            return GatewayErrors.WriteAsync(context, Code.Unauthenticated, credential.Reason, credential.Message);
        headers.Remove(CredentialResolver.ApiKeyHeader);
        headers.Remove(HeaderNames.Authorization);

        var decision = TenantPolicy.Decide(credential.Caller, requestedTenant);
        if (decision.Caller is not { } caller)
        {
            context.Features.Set(credential.Caller);
            return GatewayErrors.WriteAsync(context, decision.Code, decision.Reason, decision.Message);
        }

        context.Features.Set(caller);
        return next(context);
    }
}
