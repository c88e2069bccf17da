using System.Globalization;
using System.Threading.RateLimiting;
using Google.Rpc;
using Medins.Gateway.Credentials;
using Medins.Gateway.Errors;
using Medins.Gateway.Routing;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Enforcement;

/// <summary>
/// A token bucket per tenant (or per city credential), sized by <c>Gateway:RateLimit</c>; callers over it get
/// RESOURCE_EXHAUSTED / 429 with reason RATE_LIMITED.
/// </summary>
public static class TenantRateLimiting
{
    public static IServiceCollection AddTenantRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<GatewayOptions>>((options, gateway) =>
        {
            var limits = gateway.Value.RateLimit;
            options.AddPolicy(ProxyConfigFactory.RateLimiterPolicy, context =>
                RateLimitPartition.GetTokenBucketLimiter(
                    context.Features.Get<GatewayCaller>()?.RateLimitPartition ?? "anonymous",
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.Burst,
                        TokensPerPeriod = limits.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            options.OnRejected = (rejected, _) =>
            {
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    rejected.HttpContext.Response.Headers.RetryAfter =
                        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return new ValueTask(GatewayErrors.WriteAsync(rejected.HttpContext, Code.ResourceExhausted,
                    GatewayReasons.RateLimited, "Too many calls for this tenant; slow down and retry."));
            };
        });
        return services;
    }
}
