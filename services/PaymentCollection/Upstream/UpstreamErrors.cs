using Google.Rpc;
using Grpc.Core;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Upstream;

/// <summary>
/// Turns a failed call to another platform service into this service's own error: the caller learns what went
/// wrong upstream (the upstream reason where it means something to the caller), never an INTERNAL with a trace.
/// </summary>
internal static class UpstreamErrors
{
    public const string Unavailable = "UPSTREAM_UNAVAILABLE";
    public const string Failed = "UPSTREAM_FAILED";
    public const string InvalidResponse = "UPSTREAM_INVALID_RESPONSE";

    /// <param name="upstream">The app id called.</param>
    /// <param name="notFoundReason">The reason to answer NOT_FOUND with, when upstream's NOT_FOUND means the caller's
    /// key is unknown; when null, upstream's NOT_FOUND means this service cannot proceed (FAILED_PRECONDITION).</param>
    public static RuleViolation Map(RpcException ex, string upstream, string? notFoundReason = null)
    {
        var status = ex.GetRpcStatus();
        var upstreamInfo = status?.GetDetail<ErrorInfo>();
        var upstreamReason = upstreamInfo?.Reason;
        // Upstream's metadata tells the caller what to do next (SETTLEMENT_DAYS' next_possible_date, the policy).
        var metadata = upstreamInfo?.Metadata.ToDictionary(m => m.Key, m => m.Value) ?? [];
        metadata["upstream"] = upstream;
        metadata["upstream_code"] = ex.StatusCode.ToString();
        if (upstreamReason is not null) metadata["upstream_reason"] = upstreamReason;
        var message = $"{upstream}: {ex.Status.Detail}";
        // Upstream's own text for the clerk (a quote's refusal names the day and the clause) is passed on as is.
        var clerk = status?.GetDetail<LocalizedMessage>()?.Message;

        return ex.StatusCode switch
        {
            StatusCode.NotFound when notFoundReason is not null =>
                RpcErrors.Build(Code.NotFound, notFoundReason, message, null, metadata, clerk),
            StatusCode.NotFound =>
                RpcErrors.Build(Code.FailedPrecondition, upstreamReason ?? "UPSTREAM_NOT_FOUND", message, null, metadata, clerk),
            // Upstream's field violations name fields of the request this service passed on, which share names here.
            StatusCode.InvalidArgument =>
                RpcErrors.Build(Code.InvalidArgument, upstreamReason ?? "UPSTREAM_REJECTED_REQUEST", message,
                    status?.GetDetail<BadRequest>(), metadata, clerk),
            StatusCode.FailedPrecondition or StatusCode.PermissionDenied or StatusCode.OutOfRange =>
                RpcErrors.Build((Code)(int)ex.StatusCode, upstreamReason ?? Failed, message, null, metadata, clerk),
            StatusCode.Cancelled =>
                RpcErrors.Build(Code.Cancelled, "CANCELLED", message, null, metadata),
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted =>
                RpcErrors.Build(Code.Unavailable, Unavailable, $"{upstream} is unavailable; retry later with the same request.",
                    null, metadata),
            _ => RpcErrors.Build(Code.Unavailable, Failed, $"{upstream} failed ({ex.StatusCode}); retry later with the same request.",
                null, metadata),
        };
    }

    public static RuleViolation Timeout(string upstream) =>
        RpcErrors.Build(Code.Unavailable, Unavailable, $"{upstream} did not answer in time; retry later with the same request.",
            null, new Dictionary<string, string> { ["upstream"] = upstream });

    public static RuleViolation BadResponse(string upstream, string problem) =>
        RpcErrors.Build(Code.Unavailable, InvalidResponse, $"{upstream} answered with {problem}.", null,
            new Dictionary<string, string> { ["upstream"] = upstream });
}
