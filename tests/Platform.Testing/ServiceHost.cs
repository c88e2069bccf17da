using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Platform.Testing;

/// <summary>
/// One service, in process, on its real database (its own non-owner role, row-level security on), reached
/// through real gRPC calls. Settings override appsettings; <paramref name="services"/> can replace the TimeProvider.
/// </summary>
public sealed class ServiceHost<TProgram>(TestDatabase database, string appId,
    IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<TProgram> where TProgram : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Platform", database.ConnectionStringFor(appId));
        // In-process tests drive the outbox relay themselves when they need it.
        builder.UseSetting("Events:RelayEnabled", "false");
        builder.UseSetting("Retention:Enabled", "false");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureServices(services);
    }

    /// <summary>A gRPC channel to this host; calls carry the tenant headers the gateway would set.</summary>
    public CallInvoker Channel(string? tenantId, bool cityScope = false, string client = "test-client")
    {
        var channel = GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
        return channel.Intercept(new TenantHeadersInterceptor(tenantId, cityScope, client));
    }

    private sealed class TenantHeadersInterceptor(string? tenantId, bool cityScope, string client) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
            ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            var headers = context.Options.Headers ?? [];
            if (tenantId is not null) headers.Add(TenantHeaders.TenantId, tenantId);
            headers.Add(TenantHeaders.Scope, cityScope ? "city" : "tenant");
            headers.Add(TenantHeaders.Client, client);
            return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(
                context.Method, context.Host, context.Options.WithHeaders(headers)));
        }
    }
}
