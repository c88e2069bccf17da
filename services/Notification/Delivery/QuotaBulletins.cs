using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using Medins.Quota.V1;

namespace Medins.Notification.Delivery;

/// <summary>
/// quota-tracking could not give the bulletin; the event is left unacknowledged so it comes again. Not a refusal to a
/// caller: the event subscription asks for a retry for anything but a rejected event.
/// </summary>
public sealed class QuotaTrackingUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// quota-tracking's weekly bulletins as notification reads them, from event handling with no caller to borrow a
/// tenant from: each call names its tenant and this service as the client.
/// </summary>
public sealed class QuotaBulletins(QuotaTrackingService.QuotaTrackingServiceClient quota, TimeProvider time)
{
    private const string QuotaTracking = "quota-tracking";

    public async Task<GetWeeklyBulletinResponse> WeeklyAsync(string tenantId, int coverageYear, Google.Type.Date snapshotDate, CancellationToken ct)
    {
        try
        {
            return await UpstreamCalls.CallAsync(QuotaTracking, token => quota.GetWeeklyBulletinAsync(
                new GetWeeklyBulletinRequest { CoverageYear = coverageYear, SnapshotDate = snapshotDate },
                ActingTenant.For(tenantId), cancellationToken: token).ResponseAsync, time, ct);
        }
        catch (RuleViolation ex)
        {
            throw new QuotaTrackingUnavailableException(
                $"quota-tracking gave no bulletin of {tenantId} {coverageYear} for {snapshotDate}: "
                + $"{ex.Facts.GetValueOrDefault("upstream_code") ?? "DeadlineExceeded"} {ex.Message}", ex);
        }
    }
}
