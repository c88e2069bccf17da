using Google.Protobuf.Reflection;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.Platform.Hosting.Pipeline;

/// <summary>
/// Runs before anything reads a request: every route needs a verified caller unless its endpoint allows anonymous
/// callers, and event routes need an authenticated delivery. A refusal reads and writes nothing.
/// </summary>
internal sealed partial class CallerAuthenticationMiddleware(RequestDelegate next, CallerAuthenticator authenticator,
    EventDeliveryAuthenticator deliveries, ILogger<CallerAuthenticationMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, TenantContext tenant)
    {
        var endpoint = context.GetEndpoint();
        // No endpoint: the request ends in 404 (or 405) without reaching any handler.
        if (endpoint is null)
        {
            await next(context);
            return;
        }
        if (endpoint.Metadata.GetMetadata<EventRouteMetadata>() is { } eventRoute)
        {
            var delivery = await deliveries.AuthenticateAsync(context.Request, eventRoute);
            if (delivery is { } refused)
            {
                LogRefused(logger, context.Request.Path.Value ?? "", refused.Reason);
                await WriteRefusalAsync(context, refused.Code, refused.Reason, refused.Message);
                return;
            }
            await next(context);
            return;
        }
        if (endpoint.Metadata.GetMetadata<AllowAnonymousCallerMetadata>() is not null)
        {
            await next(context);
            return;
        }

        var headers = context.Request.Headers;
        var check = authenticator.Authenticate(headers[AssertionHeaders.Caller].ToString(), headers[AssertionHeaders.Service].ToString());
        if (check.Caller is null)
        {
            LogRefused(logger, context.Request.Path.Value ?? "", check.Reason);
            await WriteRefusalAsync(context, check.Code, check.Reason, check.Message);
            return;
        }
        tenant.SetFrom(check.Caller);
        await next(context);
    }

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(ErrorInfo.Descriptor, LocalizedMessage.Descriptor)));

    /// <summary>
    /// A gRPC call gets a trailers-only gRPC status with google.rpc details; anything else the HTTP status the JSON
    /// API maps that gRPC status to, with the same {code, message, details} body as a transcoded error.
    /// </summary>
    internal static async Task WriteRefusalAsync(HttpContext context, StatusCode code, string reason, string message)
    {
        var status = RpcErrors.Status((Code)(int)code, reason, message, RpcErrors.DomainOf(context.RequestServices.GetRequiredService<PlatformServiceInfo>().Name));
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
            return;
        }
        response.StatusCode = code switch
        {
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        };
        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync(Json.Format(status));
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Refused unauthenticated request to {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string reason);
}
