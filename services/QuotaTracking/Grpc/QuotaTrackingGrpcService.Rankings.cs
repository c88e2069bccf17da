using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Quota.V1;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;
using ErrorReason = Medins.Quota.V1.ErrorReason;

namespace Medins.QuotaTracking.Grpc;

/// <summary>Village rankings with rewards and scores.</summary>
public sealed partial class QuotaTrackingGrpcService
{
    public override async Task<GetVillageRankingResponse> GetVillageRanking(GetVillageRankingRequest request, ServerCallContext context)
    {
        var rankingDate = request.RankingDate.ToDateOnly();
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.RankingDate is null || rankingDate is not null, "ranking_date", "must be a full calendar date")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var (rules, villages, asOf) = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var stored = await RulesStore.RequireAsync(conn, tx, tenantId, request.CoverageYear, ct);
            if (rankingDate is not { } day)
                return (stored.Rules, await ProgressQueries.AllVillagesAsync(conn, tx, tenantId, request.CoverageYear, ct),
                    time.GetUtcNow());
            var schedule = stored.Rules.Progress
                ?? throw RpcErrors.FailedPrecondition(ErrorReason.NoProgressSchedule, "The quota rules set no ranking days; ask for the live ranking.");
            if (schedule.RankingEveryWeeks is null)
                throw RpcErrors.FailedPrecondition(ErrorReason.NoRankingDays, "The quota rules set no ranking days; ask for the live ranking.");
            if (!Schedule.IsRankingDay(schedule, day))
                throw RpcErrors.InvalidArgument(ErrorReason.NotARankingDay,
                    $"{day:yyyy-MM-dd} is not a ranking day; ranking days are every {schedule.RankingEveryWeeks} weeks from {schedule.FirstRanking:yyyy-MM-dd}.",
                    ("ranking_date", "is not a ranking day of the quota rules"));
            var snapshot = await SnapshotStore.FindAsync(conn, tx, tenantId, request.CoverageYear, day, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.SnapshotNotFound, $"No snapshot was taken on ranking day {day:yyyy-MM-dd}.");
            return (stored.Rules, snapshot.Villages, snapshot.TakenAt);
        }, ct);

        var byCode = villages.ToDictionary(v => v.VillageCode, StringComparer.Ordinal);
        var standings = Ranking.Rank(rules, villages.Where(v => v.HasTarget)
            .Select(v => new RankCandidate(v.VillageCode, v.Counts.Enrolled, v.EffectiveBase)));
        var response = new GetVillageRankingResponse
        {
            Live = rankingDate is null,
            AsOfTime = ProtoMapping.ToTimestamp(asOf),
        };
        if (rankingDate is { } date) response.RankingDate = date.ToProtoDate();
        foreach (var standing in standings)
        {
            var village = byCode[standing.Village.VillageCode];
            response.Standings.Add(new VillageStanding
            {
                Rank = standing.Rank,
                VillageCode = village.VillageCode,
                VillageName = village.Name,
                EnrolledCount = village.Counts.Enrolled,
                Base = village.EffectiveBase,
                Task = village.EffectiveTask,
                EnrolmentRateBp = standing.Rate.FloorBp,
                RewardBand = standing.Band?.Label ?? "",
                RewardFenPerPerson = standing.Band?.FenPerPerson ?? 0,
                RewardFen = standing.RewardFen,
                ScoreCentipoints = standing.ScoreCentipoints,
            });
            response.TotalRewardFen += standing.RewardFen;
        }
        return response;
    }
}
