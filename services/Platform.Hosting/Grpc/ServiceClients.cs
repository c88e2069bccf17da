using Grpc.Core;
using Grpc.Core.Interceptors;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Platform.Hosting.Grpc;

public static class ServiceClients
{
    /// <summary>
    /// A gRPC client to another platform service, addressed by its app id (<c>Services:{appId}:Grpc</c> in
    /// configuration). Every call carries this service's own assertion for that app id (tenant: the call being
    /// served, or the one <see cref="ActingTenant.For"/> names) and the caller's assertion when serving one.
    /// </summary>
    public static IHttpClientBuilder AddServiceClient<TClient>(this WebApplicationBuilder builder, string appId)
        where TClient : ClientBase
    {
        builder.Services.AddHttpContextAccessor();
        return builder.Services
            .AddGrpcClient<TClient>((sp, o) => o.Address = new Uri(
                sp.GetRequiredService<IConfiguration>()[$"Services:{appId}:Grpc"] ?? $"http://{appId}:8080"))
            .AddInterceptor(sp => new ServiceAssertionInterceptor(appId, sp.GetRequiredService<IHttpContextAccessor>(),
                sp.GetRequiredService<AssertionCodec>(), sp.GetRequiredService<PlatformServiceInfo>()));
    }
}

/// <summary>
/// For work with no caller (background jobs, event handlers): names the tenant (or city scope) a call to another
/// service acts in. The headers go no further than <see cref="ServiceAssertionInterceptor"/>, which signs them
/// into this service's assertion.
/// </summary>
public static class ActingTenant
{
    internal const string TenantHeader = "x-medins-acting-tenant";
    internal const string ScopeHeader = "x-medins-acting-scope";

    public static Metadata For(string? tenantId, bool cityScope = false)
    {
        var headers = new Metadata { { ScopeHeader, cityScope ? Scopes.City : Scopes.Service } };
        if (!string.IsNullOrWhiteSpace(tenantId)) headers.Add(TenantHeader, tenantId);
        return headers;
    }
}

/// <summary>
/// Adds <c>x-medins-service</c> (this service's assertion, audience the target app id) to every outgoing call, and
/// forwards the gateway's <c>x-medins-caller</c> unchanged when the call being served arrived with one. Refuses to
/// start a call while a database transaction is open on the calling flow (see <see cref="RemoteCallGuard"/>).
/// </summary>
public sealed class ServiceAssertionInterceptor(string target, IHttpContextAccessor accessor, AssertionCodec codec,
    PlatformServiceInfo self) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithAssertions(context));

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithAssertions(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithAssertions(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithAssertions(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithAssertions(context));

    private ClientInterceptorContext<TRequest, TResponse> WithAssertions<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        RemoteCallGuard.EnsureNoTransaction(context.Method.FullName);
        var headers = new Metadata();
        string? namedTenant = null, namedScope = null;
        foreach (var entry in context.Options.Headers ?? [])
        {
            switch (entry.Key)
            {
                case ActingTenant.TenantHeader: namedTenant = entry.Value; break;
                case ActingTenant.ScopeHeader: namedScope = entry.Value; break;
                // Only this interceptor speaks for the service.
                case AssertionHeaders.Service or AssertionHeaders.Caller: break;
                default: headers.Add(entry); break;
            }
        }

        var current = accessor.HttpContext?.RequestServices.GetService<TenantContext>();
        string? tenantId;
        string scope;
        if (namedScope is not null)
        {
            tenantId = namedTenant;
            scope = namedScope;
        }
        else
        {
            tenantId = current?.TenantId;
            scope = current?.IsCityScope == true ? Scopes.City : Scopes.Service;
            if (current?.CallerToken is { } callerToken) headers.Add(AssertionHeaders.Caller, callerToken);
        }
        headers.Add(AssertionHeaders.Service, codec.IssueReusable(self.Name, self.Name, target, tenantId, scope));
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}
