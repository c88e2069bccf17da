using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Quota.V1;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Progress;

/// <summary>A tenant's rules for a year, as the background work finds them.</summary>
public sealed record TenantRules(string TenantId, int CoverageYear, QuotaRules Rules);

/// <summary>A snapshot this process took.</summary>
public sealed record TakenSnapshot(string TenantId, int CoverageYear, DateOnly Date, int ExpectedRateBp, IReadOnlyList<string> Behind);

/// <summary>
/// Takes each tenant's weekly snapshot on its rules' snapshot days: every village's counters and target, the rate
/// the schedule expects that day, a <c>quota.behind-schedule</c> event for each village that trails it and one
/// <c>quota.weekly-snapshot-taken</c> for the bulletin, all in one transaction. The snapshot header is claimed first, so replicas racing for the same day take it once.
/// </summary>
public sealed class SnapshotTaker(PlatformDatabase db, Outbox outbox, TimeProvider time, ILogger<SnapshotTaker> logger)
{
    /// <summary>Every tenant's rules (system scope: background work spans tenants); rules that do not read are skipped.</summary>
    public async Task<List<TenantRules>> AllRulesAsync(CancellationToken ct)
    {
        var stored = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT tenant_id, coverage_year, document::text FROM quota_rules ORDER BY 1, 2", conn, tx);
            var rows = new List<(string, int, string)>();
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
            return rows;
        }, ct);
        var all = new List<TenantRules>();
        foreach (var (tenantId, year, document) in stored)
        {
            try
            {
                all.Add(new TenantRules(tenantId, year, QuotaRulesReader.Read(document)));
            }
            catch (QuotaRulesException ex)
            {
                logger.LogError("Quota rules of {TenantId} for {Year} do not read; no snapshots or gauges for them: {Error}", tenantId, year, ex.Message);
            }
        }
        return all;
    }

    /// <summary>Takes the snapshots due today that no one has taken yet.</summary>
    public async Task<List<TakenSnapshot>> TakeDueAsync(CancellationToken ct)
    {
        var today = ShanghaiCalendar.Today(time);
        var taken = new List<TakenSnapshot>();
        foreach (var tenantRules in await AllRulesAsync(ct))
        {
            if (tenantRules.Rules.Progress is not { } schedule || Schedule.SnapshotDayFor(schedule, today) is not { } day) continue;
            if (await TakeAsync(tenantRules, day, ct) is { } snapshot) taken.Add(snapshot);
        }
        return taken;
    }

    /// <summary>The snapshot of <paramref name="day"/>, or null when it was already taken.</summary>
    public Task<TakenSnapshot?> TakeAsync(TenantRules tenantRules, DateOnly day, CancellationToken ct)
    {
        var (tenantId, year, rules) = tenantRules;
        var schedule = rules.Progress ?? throw new ArgumentException("The rules have no progress schedule.", nameof(tenantRules));
        return db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var villages = await ProgressQueries.AllVillagesAsync(conn, tx, tenantId, year, ct);
            var expected = Schedule.ExpectedRateBp(schedule, day);
            var behind = villages.Where(v => Schedule.GapBp(v.EnrolmentRate, expected) > 0).ToList();
            if (!await SnapshotStore.TryClaimAsync(conn, tx, tenantId, year, day, time.GetUtcNow().ToUniversalTime(), expected, behind.Count, ct))
                return null;
            await SnapshotStore.InsertVillagesAsync(conn, tx, tenantId, year, day, villages,
                behind.Select(v => v.VillageCode).ToHashSet(StringComparer.Ordinal), ct);
            foreach (var village in behind)
            {
                var achieved = village.EnrolmentRate!.Value.FloorBp;
                await outbox.AddAsync(conn, tx, tenantId, EventTopics.QuotaBehindSchedule, new QuotaBehindSchedule
                {
                    TenantId = tenantId,
                    VillageCode = village.VillageCode,
                    CoverageYear = year,
                    TargetRateBp = expected,
                    AchievedRateBp = achieved,
                    SnapshotDate = day.ToProtoDate(),
                    GapBp = expected - achieved,
                    VillageName = village.Name,
                }, ct);
            }
            await outbox.AddAsync(conn, tx, tenantId, EventTopics.QuotaWeeklySnapshotTaken, new QuotaWeeklySnapshotTaken
            {
                TenantId = tenantId,
                CoverageYear = year,
                SnapshotDate = day.ToProtoDate(),
                ExpectedRateBp = expected,
                VillagesBehindSchedule = behind.Count,
            }, ct);
            logger.LogInformation("Snapshot of {TenantId} {Year} on {Day}: {Villages} villages, {Behind} behind the expected {ExpectedBp} bp",
                tenantId, year, day, villages.Count, behind.Count, expected);
            return new TakenSnapshot(tenantId, year, day, expected, behind.Select(v => v.VillageCode).ToList());
        }, ct);
    }
}
