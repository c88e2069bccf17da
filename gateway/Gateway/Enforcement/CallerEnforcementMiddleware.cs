using Google.Rpc;
using Medins.Gateway.Credentials;
using Medins.Gateway.Errors;
using Medins.Gateway.Routing;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.Net.Http.Headers;

namespace Medins.Gateway.Enforcement;

/// <summary>
/// Before a call is proxied: establishes the caller from its credential, decides its tenant, and rewrites the
/// headers the services trust (<c>x-tenant-id</c>, <c>x-medins-scope</c>, <c>x-medins-client</c>). Client-sent
/// scope and client headers never pass; neither do the credentials themselves. Channel notice routes need no
/// credential and pass no tenant.
/// </summary>
public sealed class CallerEnforcementMiddleware(RequestDelegate next, CredentialResolver credentials)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!GatewayEndpoint.IsProxied(context)) return next(context);

        var headers = context.Request.Headers;
        headers.Remove(TenantHeaders.Scope);
        headers.Remove(TenantHeaders.Client);

        if (ChannelNoticeRoute.Is(context))
        {
            // Providers authenticate by signature (or callback token) at the service, which takes the tenant from what
            // it verified (a merchant account, a sent message): nothing a sender says about tenant or credentials passes.
            headers.Remove(TenantHeaders.TenantId);
            headers.Remove(CredentialResolver.ApiKeyHeader);
            headers.Remove(HeaderNames.Authorization);
            return next(context);
        }

        var credential = credentials.Resolve(headers);
        if (credential.Caller is null)
            return GatewayErrors.WriteAsync(context, Code.Unauthenticated, credential.Reason, credential.Message);
        headers.Remove(CredentialResolver.ApiKeyHeader);
        headers.Remove(HeaderNames.Authorization);

        var decision = TenantPolicy.Decide(credential.Caller, headers[TenantHeaders.TenantId]);
        if (decision.Caller is not { } caller)
        {
            context.Features.Set(credential.Caller);
            return GatewayErrors.WriteAsync(context, decision.Code, decision.Reason, decision.Message);
        }

        context.Features.Set(caller);
        if (caller.TenantId is null) headers.Remove(TenantHeaders.TenantId);
        else headers[TenantHeaders.TenantId] = caller.TenantId;
        headers[TenantHeaders.Scope] = caller.Scope;
        headers[TenantHeaders.Client] = caller.Client;
        return next(context);
    }
}
