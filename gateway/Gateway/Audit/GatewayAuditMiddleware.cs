using System.Diagnostics;
using Medins.Gateway.Credentials;
using Medins.Gateway.Errors;
using Medins.Gateway.Routing;

namespace Medins.Gateway.Audit;

/// <summary>
/// One structured log line and one counter increment per call through the gateway, whether proxied or refused.
/// It records who (credential name, scope, tenant), what (method, path without query) and how it ended; never
/// credentials, headers or bodies.
/// </summary>
public sealed partial class GatewayAuditMiddleware(RequestDelegate next, ILogger<GatewayAuditMiddleware> logger)
{
    private const int MaxLoggedPathLength = 256;

    public async Task InvokeAsync(HttpContext context)
    {
        if (GatewayEndpoint.Of(context) is null)
        {
            await next(context);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            Record(context, Stopwatch.GetElapsedTime(started), failed);
        }
    }

    private void Record(HttpContext context, TimeSpan elapsed, bool failed)
    {
        var caller = context.Features.Get<GatewayCaller>();
        var isGrpc = GatewayErrors.IsGrpc(context.Request);
        var grpcStatus = isGrpc ? CallOutcome.GrpcStatus(context) : null;
        var httpStatus = failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var outcome = CallOutcome.Of(httpStatus, grpcStatus);
        var scope = caller?.Scope ?? "none";
        GatewayMetrics.Requests.WithLabels(scope, outcome).Inc();

        var path = context.Request.Path.Value ?? "";
        if (path.Length > MaxLoggedPathLength) path = path[..MaxLoggedPathLength];
        LogCall(logger, isGrpc ? "grpc" : "json", context.Request.Method, path, caller?.Client ?? "-", scope,
            caller?.TenantId ?? "-", httpStatus, grpcStatus, outcome, context.Features.Get<GatewayRejection>()?.Reason ?? "-",
            elapsed.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 1, EventName = "GatewayCall", Level = LogLevel.Information,
        Message = "{Protocol} {Method} {Path} client={Client} scope={Scope} tenant={Tenant} status={Status} " +
                  "grpcStatus={GrpcStatus} outcome={Outcome} reason={Reason} in {DurationMs:0.0} ms")]
    private static partial void LogCall(ILogger logger, string protocol, string method, string path, string client,
        string scope, string tenant, int status, int? grpcStatus, string outcome, string reason, double durationMs);
}
