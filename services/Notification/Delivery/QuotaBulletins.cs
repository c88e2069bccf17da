using Grpc.Core;
using Medins.Platform.Hosting.Grpc;
using Medins.Quota.V1;

namespace Medins.Notification.Delivery;

/// <summary>quota-tracking could not give the bulletin; the event is left unacknowledged so it comes again.</summary>
public sealed class QuotaTrackingUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// quota-tracking's weekly bulletins as notification reads them, from event handling with no caller to borrow a
/// tenant from: each call names its tenant and this service as the client.
/// </summary>
public sealed class QuotaBulletins(QuotaTrackingService.QuotaTrackingServiceClient quota)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<GetWeeklyBulletinResponse> WeeklyAsync(string tenantId, int coverageYear, Google.Type.Date snapshotDate, CancellationToken ct)
    {
        try
        {
            return await quota.GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest { CoverageYear = coverageYear, SnapshotDate = snapshotDate },
                ActingTenant.For(tenantId),
                DateTime.UtcNow.Add(Timeout), ct);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            throw new QuotaTrackingUnavailableException(
                $"quota-tracking gave no bulletin of {tenantId} {coverageYear} for {snapshotDate}: {ex.StatusCode} {ex.Status.Detail}", ex);
        }
    }
}
