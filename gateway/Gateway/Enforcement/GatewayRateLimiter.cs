using System.Threading.RateLimiting;
using Google.Rpc;
using Medins.Gateway.Credentials;
using Medins.Gateway.Errors;
using Medins.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Enforcement;

/// <summary>Which bucket refused a call, and when a permit is expected; null Reason when the call may pass.</summary>
public readonly record struct RateLimitDecision(string? Reason, TimeSpan? RetryAfter)
{
    public static readonly RateLimitDecision Allowed = new(null, null);

    public bool IsAllowed => Reason is null;
}

/// <summary>
/// Token buckets sized by <c>Gateway:RateLimit</c>. A caller's call needs a permit from its credential's bucket and
/// from its tenant's (a tenant's credentials share that one; city-wide calls share <c>*</c>), so neither one busy
/// client nor one tenant's many clients can take the platform. Provider callbacks carry no credential: each callback
/// route has its own bucket, keyed by the route, never by anything the sender writes.
/// </summary>
public sealed class GatewayRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _credentials;
    private readonly PartitionedRateLimiter<string> _tenants;
    private readonly PartitionedRateLimiter<string> _callbackRoutes;

    public GatewayRateLimiter(IOptions<GatewayOptions> options)
    {
        var limits = options.Value.RateLimit;
        _credentials = Buckets(limits.PerCredential);
        _tenants = Buckets(limits.PerTenant);
        _callbackRoutes = Buckets(limits.PerCallbackRoute);
    }

    public RateLimitDecision Acquire(GatewayCaller caller)
    {
        // The credential first: a client over its own limit does not drain the bucket its tenant's other clients share.
        var credential = Take(_credentials, caller.Client, GatewayReasons.CredentialRateLimited);
        return credential.IsAllowed ? Take(_tenants, caller.AssertedTenant ?? "*", GatewayReasons.TenantRateLimited) : credential;
    }

    public RateLimitDecision AcquireCallback(string routeId) => Take(_callbackRoutes, routeId, GatewayReasons.CallbackRateLimited);

    private static RateLimitDecision Take(PartitionedRateLimiter<string> buckets, string key, string reason)
    {
        using var lease = buckets.AttemptAcquire(key);
        if (lease.IsAcquired) return RateLimitDecision.Allowed;
        return new RateLimitDecision(reason, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : null);
    }

    private static PartitionedRateLimiter<string> Buckets(RateLimitBucketOptions bucket) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = bucket.Burst,
                TokensPerPeriod = bucket.Permits,
                ReplenishmentPeriod = bucket.Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }), StringComparer.Ordinal);

    public void Dispose()
    {
        _credentials.Dispose();
        _tenants.Dispose();
        _callbackRoutes.Dispose();
    }
}

/// <summary>Runs after caller enforcement: refuses a call whose bucket is empty with RESOURCE_EXHAUSTED / 429, RetryInfo and Retry-After.</summary>
public sealed class RateLimitMiddleware(RequestDelegate next, GatewayRateLimiter limiter)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!GatewayEndpoint.NeedsCaller(context)) return next(context);

        RateLimitDecision decision;
        if (ChannelNoticeRoute.Is(context)) decision = limiter.AcquireCallback(GatewayEndpoint.RouteOf(context)!.RouteId);
        else if (context.Features.Get<GatewayCaller>() is { } caller) decision = limiter.Acquire(caller);
        else throw new InvalidOperationException("Rate limiting runs after caller enforcement, which names every caller.");

        if (decision.IsAllowed) return next(context);
        var message = decision.Reason switch
        {
            var reason when reason == GatewayReasons.CredentialRateLimited => "Too many calls with this credential; slow down and retry.",
            var reason when reason == GatewayReasons.TenantRateLimited => "Too many calls for this tenant; slow down and retry.",
            _ => "Too many calls to this callback route; retry later.",
        };
        return GatewayErrors.WriteAsync(context, Code.ResourceExhausted, decision.Reason!, message, decision.RetryAfter);
    }
}
