using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Medins.Platform.Hosting;

/// <summary>What the gRPC layer learns about a call that the HTTP pipeline cannot see: its request id and status.</summary>
public sealed class RequestLogFeature
{
    public string? RequestId { get; set; }
    public StatusCode? GrpcStatus { get; set; }
}

/// <summary>
/// One line per request at Information: gRPC calls, JSON (transcoded) calls and event deliveries alike, with the
/// gRPC method or route, HTTP and gRPC status, duration, request id and tenant. Probes and scrapes log at Debug.
/// Framework categories default to Warning (<see cref="PlatformHostingExtensions.DefaultLogLevels"/>), so this is
/// the only per-request line a service writes unless its own code has something to say.
/// </summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    private const int MaxLoggedLength = 128;

    public async Task InvokeAsync(HttpContext context)
    {
        var level = IsProbe(context.Request.Path) ? LogLevel.Debug : LogLevel.Information;
        if (!logger.IsEnabled(level))
        {
            await next(context);
            return;
        }

        var call = new RequestLogFeature();
        context.Features.Set(call);
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
            Write(context, call, level, Stopwatch.GetElapsedTime(started), failed);
        }
    }

    private void Write(HttpContext context, RequestLogFeature call, LogLevel level, TimeSpan elapsed, bool failed)
    {
        var request = context.Request;
        var endpoint = context.GetEndpoint();
        var rpc = endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.FullName;
        var isGrpc = request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        var isEvent = request.Path.StartsWithSegments("/events");
        var route = isGrpc && rpc is not null ? rpc
            : (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? Clip(request.Path.Value ?? "", 256);

        var grpcStatus = isGrpc ? GrpcStatusOf(context) ?? (int?)call.GrpcStatus : (int?)call.GrpcStatus;
        var headers = request.Headers;
        // Events carry their id and tenant as CloudEvent attributes, forwarded as headers by the CloudEvents middleware.
        var requestId = call.RequestId ?? (isEvent ? headers["Cloudevent.id"].ToString() : null);
        // The verified tenant: headers a sender sets prove nothing.
        var tenant = context.RequestServices?.GetService(typeof(TenantContext)) is TenantContext { TenantId: { } verified } ? verified : "";
        if (tenant.Length == 0 && isEvent) tenant = headers["Cloudevent." + CloudEvent.TenantAttribute].ToString();

        LogRequest(logger, level, isGrpc ? "grpc" : isEvent ? "event" : "http", request.Method, route,
            isGrpc ? "-" : rpc ?? "-", failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode,
            grpcStatus, elapsed.TotalMilliseconds, string.IsNullOrEmpty(requestId) ? "-" : Clip(requestId, MaxLoggedLength),
            tenant.Length == 0 ? "-" : Clip(tenant, MaxLoggedLength), Activity.Current?.TraceId.ToHexString() ?? "-");
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics")
        || path.StartsWithSegments("/grpc.health.v1.Health");

    /// <summary>From the trailers, or the headers of a trailers-only answer.</summary>
    private static int? GrpcStatusOf(HttpContext context)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var value = trailers is not null && trailers.TryGetValue("grpc-status", out var t) ? t.ToString()
            : context.Response.Headers["grpc-status"].ToString();
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];

    [LoggerMessage(EventId = 1, EventName = "Request",
        Message = "{Protocol} {HttpMethod} {Route} rpc={Rpc} status={Status} grpcStatus={GrpcStatus} in {DurationMs:0.0} ms " +
                  "requestId={RequestId} tenant={Tenant} trace={TraceId}")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string protocol, string httpMethod, string route,
        string rpc, int status, int? grpcStatus, double durationMs, string requestId, string tenant, string traceId);
}

/// <summary>Hands the request's <c>request_id</c> and the call's status to <see cref="RequestLoggingMiddleware"/>.</summary>
public sealed class RequestLoggingInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var call = context.GetHttpContext().Features.Get<RequestLogFeature>();
        if (call is null) return await continuation(request, context);
        call.RequestId = RequestIdField<TRequest>.Read(request);
        try
        {
            var response = await continuation(request, context);
            call.GrpcStatus = StatusCode.OK;
            return response;
        }
        catch (RpcException ex)
        {
            call.GrpcStatus = ex.StatusCode;
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = context.GetHttpContext().Features.Get<RequestLogFeature>();
        if (call is not null) call.RequestId = RequestIdField<TRequest>.Read(request);
        try
        {
            await continuation(request, responseStream, context);
            if (call is not null) call.GrpcStatus = StatusCode.OK;
        }
        catch (RpcException ex) when (call is not null)
        {
            call.GrpcStatus = ex.StatusCode;
            throw;
        }
    }

    /// <summary>The message's string <c>request_id</c> field, looked up once per message type.</summary>
    private static class RequestIdField<T>
    {
        private static readonly IFieldAccessor? Accessor = Find();

        private static IFieldAccessor? Find()
        {
            if (!typeof(IMessage).IsAssignableFrom(typeof(T))) return null;
            var descriptor = typeof(T).GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MessageDescriptor;
            var field = descriptor?.FindFieldByName("request_id");
            return field is { FieldType: FieldType.String, IsRepeated: false } ? field.Accessor : null;
        }

        public static string? Read(T request) =>
            Accessor is not null && request is IMessage message && Accessor.GetValue(message) is string { Length: > 0 } id ? id : null;
    }
}
