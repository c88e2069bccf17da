using Medins.Gateway.Assertions;
using Medins.Gateway.Audit;
using Medins.Gateway.WebConsole;
using Medins.Gateway.Credentials;
using Medins.Gateway.Enforcement;
using Medins.Gateway.Errors;
using Medins.Gateway.Reflection;
using Medins.Gateway.Routing;
using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Medins.Gateway;

public static class GatewayHostingExtensions
{
    /// <summary>
    /// Credentials, tenant enforcement, rate limits per credential, tenant and callback route, caller assertions and
    /// the YARP routes to every service.
    /// </summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<SignedTokenValidator>();
        services.AddSingleton<CredentialResolver>();
        services.AddSingleton<GatewayRateLimiter>();

        // The gateway signs (issuer 'gateway') with its own key and refuses to start without one.
        services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, GatewayAuthValidator>();
        services.TryAddSingleton(sp => new AssertionCodec(sp.GetRequiredService<IOptions<AuthOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<CallerAssertionIssuer>();

        var (routes, clusters) = ProxyConfigFactory.Build(ServiceCatalog.Services, builder.Configuration);
        services.AddReverseProxy().LoadFromMemory(routes, clusters);
        services.AddContractReflection();
        return builder;
    }

    /// <summary>
    /// The pipeline for the gateway's traffic: audit, then credential and tenant enforcement, then the rate limits,
    /// then the caller assertion, then the proxy. gRPC reflection of the public contracts is answered here, after the
    /// same credential check and rate limits. Paths no service serves get NOT_FOUND.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        app.UseMiddleware<GatewayAuditMiddleware>();
        app.UseMiddleware<CallerEnforcementMiddleware>();
        app.UseMiddleware<RateLimitMiddleware>();
        app.UseMiddleware<CallerAssertionMiddleware>();

        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<UpstreamFailureHandler>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        }).WithMetadata(GatewayEndpoint.Proxied);
        app.MapContractReflection();
        // Public static pages without data; their calls to the JSON API pass the credential checks above.
        app.MapConsole();

        app.MapFallback("{**path}", (HttpContext context) => GatewayErrors.WriteAsync(context, Google.Rpc.Code.NotFound,
                GatewayReasons.RouteNotFound, "No service serves this path."))
            .WithMetadata(GatewayEndpoint.Unmatched);
        return app;
    }
}
