using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using HttpRequest = Microsoft.AspNetCore.Http.HttpRequest;
using Medins.Platform.Hosting;
using Microsoft.Net.Http.Headers;
using GatewayReason = Medins.Gateway.V1.ErrorReason;

namespace Medins.Gateway.Errors;

/// <summary>Reason codes of errors the gateway itself raises (besides the credential ones).</summary>
public static class GatewayReasons
{
    public static readonly string TenantNotAllowed = ErrorReasons.Code(GatewayReason.TenantNotAllowed);
    public static readonly string TenantHeaderInvalid = ErrorReasons.Code(GatewayReason.TenantHeaderInvalid);
    /// <summary>The credential's own bucket is empty.</summary>
    public static readonly string CredentialRateLimited = ErrorReasons.Code(GatewayReason.RateLimitedCredential);
    /// <summary>The tenant's bucket (shared by its credentials) is empty.</summary>
    public static readonly string TenantRateLimited = ErrorReasons.Code(GatewayReason.RateLimitedTenant);
    /// <summary>A provider callback route's bucket is empty.</summary>
    public static readonly string CallbackRateLimited = ErrorReasons.Code(GatewayReason.RateLimitedCallbackRoute);
    public static readonly string RouteNotFound = ErrorReasons.Code(GatewayReason.RouteNotFound);
    public static readonly string UpstreamUnavailable = ErrorReasons.Code(GatewayReason.UpstreamUnavailable);
}

/// <summary>
/// Answers a request with an error in the shape its client expects, the same a service would give: gRPC
/// callers get a trailers-only response whose <c>grpc-status-details-bin</c> carries a google.rpc.Status with an
/// ErrorInfo; JSON callers get the HTTP status and the body gRPC JSON transcoding writes.
/// </summary>
public static class GatewayErrors
{
    /// <summary>The ErrorInfo domain of the gateway's own refusals; the services' errors pass through with theirs.</summary>
    public static readonly string Domain = RpcErrors.DomainOf("gateway");

    private static readonly JsonFormatter Json =
        new(JsonFormatter.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(ErrorInfo.Descriptor, RetryInfo.Descriptor, LocalizedMessage.Descriptor)));

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <param name="retryAfter">When set, a google.rpc.RetryInfo detail and a <c>Retry-After</c> header (whole seconds, at least 1).</param>
    /// <param name="clerk">The zh-CN text for the clerk; null takes the catalog's (with the wait, when there is one).</param>
    public static Task WriteAsync(HttpContext context, Code code, string reason, string message, TimeSpan? retryAfter = null,
        string? clerk = null)
    {
        RetryInfo? retry = null;
        if (retryAfter is { } delay)
        {
            retry = new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) };
            var seconds = Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds));
            context.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            clerk ??= ClerkMessages.For(reason, code).TrimEnd('。') + $"（约 {seconds} 秒后可再办理）。";
        }
        var status = RpcErrors.Status(code, reason, message, Domain, retry, clerk: clerk);
        context.Features.Set(new GatewayRejection(code, reason));

        var response = context.Response;
        if (IsGrpc(context.Request))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = GrpcMessage.PercentEncode(message);
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
            // No body and no trailers: Kestrel ends the stream with the headers, which makes this trailers-only.
            return Task.CompletedTask;
        }

        response.StatusCode = HttpStatusOf(code);
        if (code == Code.Unauthenticated) response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(Json.Format(status), context.RequestAborted);
    }

    /// <summary>The HTTP status gRPC JSON transcoding gives a status code.</summary>
    public static int HttpStatusOf(Code code) => code switch
    {
        Code.Ok => StatusCodes.Status200OK,
        Code.InvalidArgument or Code.FailedPrecondition or Code.OutOfRange => StatusCodes.Status400BadRequest,
        Code.Unauthenticated => StatusCodes.Status401Unauthorized,
        Code.PermissionDenied => StatusCodes.Status403Forbidden,
        Code.NotFound => StatusCodes.Status404NotFound,
        Code.AlreadyExists or Code.Aborted => StatusCodes.Status409Conflict,
        Code.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        Code.Cancelled => 499,
        Code.Unimplemented => StatusCodes.Status501NotImplemented,
        Code.Unavailable => StatusCodes.Status503ServiceUnavailable,
        Code.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };
}

/// <summary>Set on a request the gateway answered itself, for the audit log.</summary>
public sealed record GatewayRejection(Code Code, string Reason);

/// <summary>The <c>grpc-message</c> encoding: UTF-8, with '%' and bytes outside printable ASCII percent-encoded.</summary>
public static class GrpcMessage
{
    public static string PercentEncode(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%') builder.Append((char)b);
            else builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
