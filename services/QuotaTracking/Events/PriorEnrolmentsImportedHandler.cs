using Medins.Identity.V1;
using Medins.Platform.Hosting.Messaging;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>
/// Last year's roster imported into identity-registry adds its enrolments to that year's village counters: the
/// base of Lidu's targets (seed 000 二 以2023年实际参保人数为目标) and the floor of Gaoyang's (seed 004 一（三）1
/// 不低于2023年城乡居民参保人数), which ImportVillageTargets takes for a village whose import gives no last year's count.
/// The event carries the rows one import added (deltas), so adding them keeps counts from payments of the same year.
/// </summary>
public sealed class PriorEnrolmentsImportedHandler(TimeProvider time, ILogger<PriorEnrolmentsImportedHandler> logger)
    : IEventHandler<PriorEnrolmentsImported>
{
    public async Task HandleAsync(InboundEvent<PriorEnrolmentsImported> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var imported = evt.Data;
        if (imported.TenantId.Length > 0 && imported.TenantId != evt.TenantId)
        {
            // As for contribution events: a tenant in the data differing from the envelope's is a publisher bug.
            logger.LogError("Not counting {Topic} event {EventId}: envelope tenant {EnvelopeTenant} differs from data tenant {DataTenant}",
                evt.Topic, evt.Id, evt.TenantId, imported.TenantId);
            return;
        }
        if (imported.CoverageYear <= 0 || imported.Villages.Count == 0)
        {
            logger.LogWarning("Not counting {Topic} event {EventId}: it names no coverage year or no village", evt.Topic, evt.Id);
            return;
        }

        // A village that is not a village or community of the tenant here is skipped and logged, and the event still
        // acknowledged: no target can be set for it (ImportVillageTargets refuses it as UNKNOWN_VILLAGE), so its
        // count would be read by nothing, and a redelivery would never make it known. Payments are counted for any
        // village (their orders must balance with refunds); a roster's last-year count only serves targets.
        var codes = imported.Villages.Select(v => v.VillageCode).Distinct(StringComparer.Ordinal).ToList();
        var known = await TargetStore.KnownVillagesAsync(conn, tx, evt.TenantId, codes, ct);
        var now = time.GetUtcNow().ToUniversalTime();
        var totals = new CounterTotals();
        foreach (var village in imported.Villages)
        {
            if (!known.Contains(village.VillageCode))
            {
                logger.LogWarning("Not counting village {VillageCode} of {Topic} event {EventId}: not a village of tenant {TenantId} here",
                    village.VillageCode, evt.Topic, evt.Id, evt.TenantId);
                continue;
            }
            totals.Village(evt.TenantId, imported.CoverageYear, village.VillageCode,
                new CountDelta(Enrolled: village.EnrolledCount, Paid: village.PaidCount, ZeroContribution: village.ZeroContributionCount,
                    CollectedFen: village.CollectedAmountFen), now);
        }
        await totals.FlushAsync(conn, tx, ct);
        logger.LogInformation("Counted prior enrolments of {Year} in {Villages} villages from event {EventId}",
            imported.CoverageYear, known.Count, evt.Id);
    }
}
