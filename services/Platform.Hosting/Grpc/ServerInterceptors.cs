using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Grpc;

/// <summary>
/// The one place a refusal becomes a gRPC error: a <see cref="RuleViolation"/> leaves with its status and google.rpc
/// details in this service's error domain; anything else unexpected becomes a clean status: no stack trace reaches a
/// client, and what the caller sees carries a reason code and a trace id to quote to operations. Every error that
/// leaves carries a zh-CN text for the clerk: one built without it (elsewhere, or as a bare status) gets the catalog's.
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger, PlatformServiceInfo service) : Interceptor
{
    private readonly string _domain = RpcErrors.DomainOf(service.Name);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    private RpcException? Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case RuleViolation violation:
                return RpcErrors.ToRpcException(violation, _domain);
            case RpcException rpc:
                return RpcErrors.WithClerkText(rpc);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return RpcErrors.WithClerkText(new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled.")));
            case PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege }:
                logger.LogWarning("Row-level security refused {Method}", context.Method);
                return RpcErrors.ToRpcException(
                    RpcErrors.PermissionDenied(PlatformReason.TenantMismatch, "The record belongs to another tenant."), _domain);
            case NpgsqlException { IsTransient: true }:
                logger.LogWarning(ex, "Database unavailable during {Method}", context.Method);
                return RpcErrors.ToRpcException(
                    RpcErrors.Unavailable(PlatformReason.DatabaseUnavailable, "The database is unavailable; retry with the same request id."), _domain);
            default:
                var traceId = Activity.Current?.TraceId.ToString() ?? context.GetHttpContext().TraceIdentifier;
                logger.LogError(ex, "Unhandled error in {Method} (trace {TraceId})", context.Method, traceId);
                return RpcErrors.ToRpcException(RpcErrors.Internal(ErrorReasons.Code(PlatformReason.Internal), $"Internal error; quote trace id {traceId} to operations.",
                    $"系统繁忙，暂时无法办理。请稍后重试；如仍不成功，请把追踪号 {traceId} 告诉运维人员。"), _domain);
        }
    }
}

/// <summary>Counts and times every gRPC call by service, method and status code (names as grpc-ecosystem uses).</summary>
public sealed class GrpcMetricsInterceptor : Interceptor
{
    private static readonly Counter Handled = Metrics.CreateCounter("grpc_server_handled_total",
        "gRPC calls completed, by status code.", "grpc_service", "grpc_method", "grpc_code");

    private static readonly Histogram Duration = Metrics.CreateHistogram("grpc_server_handling_seconds",
        "gRPC call duration in seconds.", new HistogramConfiguration
        {
            LabelNames = ["grpc_service", "grpc_method"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 14),
        });

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var (service, method) = Split(context.Method);
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        catch
        {
            code = StatusCode.Unknown;
            throw;
        }
        finally
        {
            Duration.WithLabels(service, method).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            Handled.WithLabels(service, method, code.ToString()).Inc();
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var (service, method) = Split(context.Method);
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await continuation(requestStream, context);
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        finally
        {
            Duration.WithLabels(service, method).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            Handled.WithLabels(service, method, code.ToString()).Inc();
        }
    }

    private static (string Service, string Method) Split(string fullMethod)
    {
        var parts = fullMethod.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 ? (parts[0], parts[1]) : ("unknown", fullMethod);
    }
}
