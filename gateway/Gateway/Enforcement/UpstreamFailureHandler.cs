using Google.Rpc;
using Medins.Gateway.Errors;
using Yarp.ReverseProxy.Forwarder;

namespace Medins.Gateway.Enforcement;

/// <summary>
/// Runs in the proxy pipeline: when the service behind a route cannot be reached and nothing was sent yet, the
/// caller gets UNAVAILABLE (reason UPSTREAM_UNAVAILABLE) in its own protocol instead of a bare 502.
/// </summary>
public sealed partial class UpstreamFailureHandler(RequestDelegate next, ILogger<UpstreamFailureHandler> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var failure = context.GetForwarderErrorFeature();
        if (failure is null || context.Response.HasStarted || IsClientSide(failure.Error)) return;

        // YARP's forwarder has already logged the exception itself.
        LogUpstreamFailure(logger, failure.Error, context.Request.Path);
        context.Response.Clear();
        await GatewayErrors.WriteAsync(context, failure.Error == ForwarderError.RequestTimedOut ? Code.DeadlineExceeded : Code.Unavailable,
            GatewayReasons.UpstreamUnavailable, "The service behind this path is unavailable; retry later.");
    }

    private static bool IsClientSide(ForwarderError error) => error is ForwarderError.RequestCanceled
        or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
        or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream failure {Error} proxying {Path}")]
    private static partial void LogUpstreamFailure(ILogger logger, ForwarderError error, PathString path);
}
