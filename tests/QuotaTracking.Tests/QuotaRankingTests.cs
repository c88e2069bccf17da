using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.QuotaTracking.Tests;

public sealed class QuotaRankingTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string tenant) => new(_host.Channel(tenant));

    /// <summary>Arranges a village's enrolled count directly (the event path is tested in QuotaEventTests and the replay).</summary>
    private async Task EnrolledAsync(string village, long enrolled)
    {
        await using var cmd = _db.Owner.CreateCommand("""
            INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count,
              collected_amount_fen, refunded_count, updated_at)
            VALUES ('cq-linjiang', 2024, $1, $2, $2, 0, 0, now())
            """);
        cmd.Parameters.Add(new() { Value = village });
        cmd.Parameters.Add(new() { Value = enrolled });
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task GetVillageRanking_Live_BestFirstWithRewardsAndScores()
    {
        // Seed 002 attachment: 桂林村 registered 2540, 高滩村 5027, 临江社区 2358.
        await EnrolledAsync("500118901202", 2413); // exactly 95.00%
        await EnrolledAsync("500118901201", 4776); // 95.006…%
        await EnrolledAsync("500118901001", 2122); // 89.99…%

        var ranking = await Client(Linjiang).GetVillageRankingAsync(new GetVillageRankingRequest { CoverageYear = 2024 });

        Assert.True(ranking.Live);
        Assert.Equal(11, ranking.Standings.Count);
        Assert.Equal(Enumerable.Range(1, 11), ranking.Standings.Select(s => s.Rank));
        var top = ranking.Standings.Take(3).ToList();
        Assert.Equal(["500118901201", "500118901202", "500118901001"], top.Select(s => s.VillageCode));
        Assert.Equal(["高滩村", "桂林村", "临江社区"], top.Select(s => s.VillageName));
        Assert.Equal([350L, 350L, 100L], top.Select(s => s.RewardFenPerPerson));
        Assert.Equal([4776L * 350, 2413L * 350, 2122L * 100], top.Select(s => s.RewardFen));
        Assert.Equal([1000, 1000, 0], top.Select(s => s.ScoreCentipoints));
        Assert.Equal("90%及以下", top[2].RewardBand);
        // The eight villages without a payment tie at 0% and follow in code order.
        Assert.Equal(Enumerable.Range(203, 8).Select(n => $"500118901{n}"), ranking.Standings.Skip(3).Select(s => s.VillageCode));
        Assert.Equal(ranking.Standings.Sum(s => s.RewardFen), ranking.TotalRewardFen);
    }

    [Fact]
    public async Task GetVillageRanking_DayThatIsNotARankingDay_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).GetVillageRankingAsync(new GetVillageRankingRequest
        {
            CoverageYear = 2024,
            RankingDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 20 },
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("NOT_A_RANKING_DAY", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetVillageRanking_MeishanOnAMonday_FailedPreconditionNoRankingDays()
    {
        // Seed 003 六（三） states 每周一调度 but no ranking cadence: a Monday snapshot day is no ranking day there.
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("sc-meishan-dongpo").GetVillageRankingAsync(new GetVillageRankingRequest
        {
            CoverageYear = 2024,
            RankingDate = new Google.Type.Date { Year = 2023, Month = 9, Day = 18 },
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("NO_RANKING_DAYS", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetVillageRanking_RankingDayWithoutSnapshot_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).GetVillageRankingAsync(new GetVillageRankingRequest
        {
            CoverageYear = 2024,
            RankingDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 27 },
        }).ResponseAsync);

        Assert.Equal("SNAPSHOT_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetVillageRanking_PartialDate_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).GetVillageRankingAsync(new GetVillageRankingRequest
        {
            CoverageYear = 2024,
            RankingDate = new Google.Type.Date { Year = 2023, Month = 11 },
        }).ResponseAsync);

        Assert.Equal("ranking_date", Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task GetVillageRanking_NoRulesForTheYear_FailedPrecondition()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client(Linjiang).GetVillageRankingAsync(new GetVillageRankingRequest { CoverageYear = 2025 }).ResponseAsync);

        Assert.Equal("NO_QUOTA_RULES", RpcErrors.ReasonOf(ex));
    }
}
