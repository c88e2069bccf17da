using System.Globalization;
using Google.Rpc;
using Microsoft.AspNetCore.Http.Features;

namespace Medins.Gateway.Audit;

/// <summary>
/// What became of a call, as a small fixed set of labels: ok, unauthenticated, permission_denied, not_found,
/// rate_limited, client_error, upstream_unavailable, server_error.
/// </summary>
public static class CallOutcome
{
    /// <summary>The gRPC status of a gRPC call: from the trailers, or the headers of a trailers-only answer.</summary>
    public static int? GrpcStatus(HttpContext context)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var value = trailers is not null && trailers.TryGetValue("grpc-status", out var t) ? t.ToString()
            : context.Response.Headers["grpc-status"].ToString();
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    public static string Of(int httpStatus, int? grpcStatus)
    {
        if (grpcStatus is { } grpc && httpStatus == StatusCodes.Status200OK)
        {
            return (Code)grpc switch
            {
                Code.Ok => "ok",
                Code.Unauthenticated => "unauthenticated",
                Code.PermissionDenied => "permission_denied",
                Code.NotFound => "not_found",
                Code.ResourceExhausted => "rate_limited",
                Code.Unavailable or Code.DeadlineExceeded => "upstream_unavailable",
                Code.Internal or Code.Unknown or Code.DataLoss or Code.Unimplemented => "server_error",
                _ => "client_error",
            };
        }
        return httpStatus switch
        {
            < 400 => "ok",
            StatusCodes.Status401Unauthorized => "unauthenticated",
            StatusCodes.Status403Forbidden => "permission_denied",
            StatusCodes.Status404NotFound => "not_found",
            StatusCodes.Status429TooManyRequests => "rate_limited",
            StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout
                => "upstream_unavailable",
            < 500 => "client_error",
            _ => "server_error",
        };
    }
}
