using Grpc.Core;
using Grpc.Core.Interceptors;
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
    /// configuration), that carries the current call's tenant and client along — unless
    /// <paramref name="propagateTenant"/> is false, for a service whose background work names the tenant on each call.
    /// </summary>
    public static IHttpClientBuilder AddServiceClient<TClient>(this WebApplicationBuilder builder, string appId,
        bool propagateTenant = true)
        where TClient : ClientBase
    {
        var client = builder.Services
            .AddGrpcClient<TClient>((sp, o) => o.Address = new Uri(
                sp.GetRequiredService<IConfiguration>()[$"Services:{appId}:Grpc"] ?? $"http://{appId}:8080"));
        if (!propagateTenant) return client;
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<TenantPropagationInterceptor>();
        return client.AddInterceptor<TenantPropagationInterceptor>();
    }
}

/// <summary>Copies the tenant, scope and client of the call being served onto an outgoing call.</summary>
public sealed class TenantPropagationInterceptor(IHttpContextAccessor accessor) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var tenant = accessor.HttpContext?.RequestServices.GetService<TenantContext>();
        if (tenant?.TenantId is null) return continuation(request, context);
        var headers = context.Options.Headers ?? [];
        headers.Add(TenantHeaders.TenantId, tenant.TenantId);
        headers.Add(TenantHeaders.Client, tenant.Client);
        if (tenant.IsCityScope) headers.Add(TenantHeaders.Scope, "city");
        var options = context.Options.WithHeaders(headers);
        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options));
    }
}
