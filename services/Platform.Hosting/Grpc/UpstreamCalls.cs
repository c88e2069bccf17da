using Google.Rpc;
using Grpc.Core;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Grpc;

/// <summary>
/// Calls to another platform service: one default deadline, timed by the injected clock, and one mapping of what can
/// go wrong upstream into this service's own <see cref="RuleViolation"/> — the caller learns what went wrong upstream
/// (upstream's reason, facts and clerk text where they mean something to the caller), never an INTERNAL with a trace.
/// </summary>
public static class UpstreamCalls
{
    /// <summary>
    /// How long a call may take. A stuck upstream must not hold the caller long: the gateway's own deadline is longer,
    /// so the caller hears UPSTREAM_UNAVAILABLE (retry with the same request id) rather than a bare DEADLINE_EXCEEDED.
    /// </summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    public static readonly string Unavailable = ErrorReasons.Code(PlatformReason.UpstreamUnavailable);
    public static readonly string Failed = ErrorReasons.Code(PlatformReason.UpstreamFailed);
    public static readonly string InvalidResponse = ErrorReasons.Code(PlatformReason.UpstreamInvalidResponse);
    public static readonly string NotFound = ErrorReasons.Code(PlatformReason.UpstreamNotFound);
    public static readonly string RejectedRequest = ErrorReasons.Code(PlatformReason.UpstreamRejectedRequest);

    /// <summary>
    /// Runs <paramref name="call"/> (given a token that ends at the deadline) and maps its failure.
    /// </summary>
    /// <param name="upstream">The app id called.</param>
    /// <param name="notFoundReason">The reason to answer NOT_FOUND with, when upstream's NOT_FOUND means the caller's
    /// key is unknown; when null, upstream's NOT_FOUND means this service cannot proceed (FAILED_PRECONDITION).</param>
    /// <param name="field">The request field that carried what upstream refused as INVALID_ARGUMENT
    /// (<c>members[1].resident_id</c>); when null, upstream's own field violations are passed on.</param>
    public static async Task<T> CallAsync<T>(string upstream, Func<CancellationToken, Task<T>> call, TimeProvider time,
        CancellationToken ct, string? notFoundReason = null, string? field = null, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? DefaultDeadline, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await call(linked.Token);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException
                                   && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw TimedOut(upstream);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            throw Map(ex, upstream, notFoundReason, field);
        }
    }

    /// <summary>Upstream's failure as this service's refusal (see <see cref="CallAsync{T}"/> for the parameters).</summary>
    public static RuleViolation Map(RpcException ex, string upstream, string? notFoundReason = null, string? field = null)
    {
        var status = ex.GetRpcStatus();
        var upstreamInfo = status?.GetDetail<ErrorInfo>();
        var upstreamReason = upstreamInfo?.Reason;
        // Upstream's metadata tells the caller what to do next (SETTLEMENT_DAYS' next_possible_date, the policy).
        var facts = upstreamInfo?.Metadata.ToDictionary(m => m.Key, m => m.Value) ?? [];
        facts["upstream"] = upstream;
        facts["upstream_code"] = ex.StatusCode.ToString();
        if (upstreamReason is not null) facts["upstream_reason"] = upstreamReason;
        var message = $"{upstream}: {ex.Status.Detail}";
        // Upstream's own text for the clerk (a quote's refusal names the day and the clause) is passed on as is.
        var clerk = status?.GetDetail<LocalizedMessage>()?.Message;

        return ex.StatusCode switch
        {
            StatusCode.NotFound when notFoundReason is not null =>
                new RuleViolation(notFoundReason, RefusalStatus.NotFound, message, facts, clerk),
            StatusCode.NotFound =>
                new RuleViolation(upstreamReason ?? NotFound, RefusalStatus.FailedPrecondition, message, facts, clerk),
            // Upstream's field violations name fields of the request this service passed on, which share names here.
            StatusCode.InvalidArgument =>
                new RuleViolation(upstreamReason ?? RejectedRequest, RefusalStatus.InvalidArgument, message, facts, clerk,
                    field is not null
                        ? [new FieldProblem(field, ex.Status.Detail)]
                        : status?.GetDetail<BadRequest>()?.FieldViolations.Select(v => new FieldProblem(v.Field, v.Description)).ToList()),
            StatusCode.FailedPrecondition or StatusCode.PermissionDenied or StatusCode.OutOfRange =>
                new RuleViolation(upstreamReason ?? Failed, (RefusalStatus)(int)ex.StatusCode, message, facts, clerk),
            StatusCode.Cancelled =>
                new RuleViolation(PlatformReason.Cancelled, RefusalStatus.Cancelled, message, facts),
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted =>
                new RuleViolation(Unavailable, RefusalStatus.Unavailable,
                    $"{upstream} is unavailable; retry later with the same request.", facts),
            _ => new RuleViolation(Failed, RefusalStatus.Unavailable,
                $"{upstream} failed ({ex.StatusCode}); retry later with the same request.", facts),
        };
    }

    public static RuleViolation TimedOut(string upstream) =>
        new(Unavailable, RefusalStatus.Unavailable, $"{upstream} did not answer in time; retry later with the same request.",
            new Dictionary<string, string> { ["upstream"] = upstream });

    public static RuleViolation BadResponse(string upstream, string problem) =>
        new(InvalidResponse, RefusalStatus.Unavailable, $"{upstream} answered with {problem}.",
            new Dictionary<string, string> { ["upstream"] = upstream });
}
