using Medins.Gateway.Audit;
using Medins.Gateway.Credentials;
using Medins.Gateway.Enforcement;
using Medins.Gateway.Errors;
using Medins.Gateway.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Medins.Gateway;

public static class GatewayHostingExtensions
{
    /// <summary>Credentials, tenant enforcement, per-tenant rate limits and the YARP routes to every service.</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<SignedTokenValidator>();
        services.AddSingleton<CredentialResolver>();
        services.AddTenantRateLimiting();

        var (routes, clusters) = ProxyConfigFactory.Build(ServiceCatalog.Services, builder.Configuration);
        services.AddReverseProxy().LoadFromMemory(routes, clusters);
        return builder;
    }

    /// <summary>
    /// The pipeline for the gateway's traffic: audit, then credential and tenant enforcement, then the rate limit,
    /// then the proxy. Paths no service serves get NOT_FOUND.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        app.UseMiddleware<GatewayAuditMiddleware>();
        app.UseMiddleware<CallerEnforcementMiddleware>();
        app.UseRateLimiter();

        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<UpstreamFailureHandler>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        }).WithMetadata(GatewayEndpoint.Proxied);

        app.MapFallback("{**path}", (HttpContext context) => GatewayErrors.WriteAsync(context, Google.Rpc.Code.NotFound,
                GatewayReasons.RouteNotFound, "No service serves this path."))
            .WithMetadata(GatewayEndpoint.Unmatched);
        return app;
    }
}
