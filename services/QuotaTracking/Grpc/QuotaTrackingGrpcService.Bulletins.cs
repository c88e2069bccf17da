using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Quota.V1;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;
using ErrorReason = Medins.Quota.V1.ErrorReason;

namespace Medins.QuotaTracking.Grpc;

/// <summary>The weekly bulletin (一周一通报) from the weekly snapshots.</summary>
public sealed partial class QuotaTrackingGrpcService
{
    public override async Task<GetWeeklyBulletinResponse> GetWeeklyBulletin(GetWeeklyBulletinRequest request, ServerCallContext context)
    {
        var date = request.SnapshotDate.ToDateOnly();
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.SnapshotDate is null || date is not null, "snapshot_date", "must be a full calendar date")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var (snapshot, previous, names) = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var rules = (await RulesStore.RequireAsync(conn, tx, tenantId, request.CoverageYear, ct)).Rules;
            if (date is { } day && (rules.Progress is not { } schedule || !Schedule.IsSnapshotDay(schedule, day)))
                throw RpcErrors.InvalidArgument(ErrorReason.NotASnapshotDay,
                    $"{day:yyyy-MM-dd} is not a weekly snapshot day of the quota rules.", ("snapshot_date", "is not a snapshot day"));
            var found = await SnapshotStore.FindAsync(conn, tx, tenantId, request.CoverageYear, date, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.SnapshotNotFound, date is { } missing
                    ? $"No snapshot was taken on {missing:yyyy-MM-dd}."
                    : $"No weekly snapshot has been taken for coverage year {request.CoverageYear} yet.");
            var townships = found.Villages.Select(v => v.TownshipCode).Distinct().ToList();
            return (found, await SnapshotStore.PreviousAsync(conn, tx, tenantId, request.CoverageYear, found.Date, ct),
                await ProgressQueries.DivisionNamesAsync(conn, tx, tenantId, townships, ct));
        }, ct);

        var before = previous?.Villages.ToDictionary(v => v.VillageCode, v => v.Counts.Enrolled, StringComparer.Ordinal) ?? [];
        var response = new GetWeeklyBulletinResponse
        {
            CoverageYear = request.CoverageYear,
            SnapshotDate = snapshot.Date.ToProtoDate(),
            TakenTime = ProtoMapping.ToTimestamp(snapshot.TakenAt),
            ExpectedRateBp = snapshot.ExpectedRateBp,
            VillagesBehindSchedule = snapshot.VillagesBehind,
        };
        if (previous is not null) response.PreviousSnapshotDate = previous.Date.ToProtoDate();
        foreach (var village in snapshot.Villages)
        {
            var week = new VillageWeek
            {
                VillageCode = village.VillageCode,
                VillageName = village.Name,
                TownshipCode = village.TownshipCode,
                EnrolledCount = village.Counts.Enrolled,
                EnrolledThisWeek = village.Counts.Enrolled - before.GetValueOrDefault(village.VillageCode),
                Base = village.EffectiveBase,
                Task = village.EffectiveTask,
                ExpectedRateBp = snapshot.ExpectedRateBp,
                GapBp = Schedule.GapBp(village.EnrolmentRate, snapshot.ExpectedRateBp),
                BehindSchedule = snapshot.Behind.Contains(village.VillageCode),
            };
            if (village.EnrolmentRate is { } rate) week.EnrolmentRateBp = rate.FloorBp;
            response.Villages.Add(week);
        }
        foreach (var township in snapshot.Villages.GroupBy(v => v.TownshipCode).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var targeted = township.Where(v => v.HasTarget).ToList();
            var week = new TownshipWeek
            {
                TownshipCode = township.Key,
                TownshipName = names.GetValueOrDefault(township.Key, ""),
                EnrolledCount = township.Sum(v => v.Counts.Enrolled),
                EnrolledThisWeek = township.Sum(v => v.Counts.Enrolled - before.GetValueOrDefault(v.VillageCode)),
                Base = targeted.Sum(v => v.EffectiveBase),
                VillagesBehindSchedule = township.Count(v => snapshot.Behind.Contains(v.VillageCode)),
            };
            if (Rate.Of(targeted.Sum(v => v.Counts.Enrolled), week.Base) is { } rate) week.EnrolmentRateBp = rate.FloorBp;
            response.Townships.Add(week);
        }
        return response;
    }
}
