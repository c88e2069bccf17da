using Google.Rpc;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>
/// A resident's registered facts from identity-registry, in the caller's tenant: her birth date and her certified
/// identities.
/// </summary>
internal static class ResidentFacts
{
    private const string Upstream = "identity-registry";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <param name="field">The request field that named the resident, for errors ("resident_id", "members[1].resident_id").</param>
    public static async Task<Resident> GetAsync(IdentityRegistryService.IdentityRegistryServiceClient registry, string residentId,
        string field, TimeProvider time, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            var response = await registry.GetResidentAsync(new GetResidentRequest { ResidentId = residentId },
                cancellationToken: linked.Token);
            return response.Resident ?? throw RpcErrors.Unavailable("UPSTREAM_INVALID_RESPONSE", $"{Upstream} answered with no resident.");
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException
                                   && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw RpcErrors.Unavailable("UPSTREAM_UNAVAILABLE", $"{Upstream} did not answer in time; retry later.");
        }
        catch (RpcException ex)
        {
            throw Map(ex, field);
        }
    }

    private static RuleViolation Map(RpcException ex, string field)
    {
        var reason = ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
        var metadata = new Dictionary<string, string> { ["upstream"] = Upstream };
        var message = $"{Upstream}: {ex.Status.Detail}";
        // The registry's own text for the clerk is passed on as is.
        var clerk = ex.GetRpcStatus()?.GetDetail<LocalizedMessage>()?.Message;
        switch (ex.StatusCode)
        {
            case StatusCode.NotFound:
                return RpcErrors.Build(Code.NotFound, reason ?? "RESIDENT_NOT_FOUND", message, metadata: metadata, clerk: clerk);
            case StatusCode.InvalidArgument:
                var badRequest = new BadRequest();
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = ex.Status.Detail });
                return RpcErrors.Build(Code.InvalidArgument, reason ?? "INVALID_REQUEST", message, badRequest, metadata, clerk);
            case StatusCode.PermissionDenied or StatusCode.FailedPrecondition:
                return RpcErrors.Build((Code)(int)ex.StatusCode, reason ?? "UPSTREAM_FAILED", message, metadata: metadata, clerk: clerk);
            default:
                return RpcErrors.Build(Code.Unavailable, "UPSTREAM_UNAVAILABLE",
                    $"{Upstream} failed ({ex.StatusCode}); retry later.", metadata: metadata);
        }
    }
}
