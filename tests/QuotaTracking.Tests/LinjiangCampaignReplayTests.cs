using System.Text.Json;
using Medins.Payment.V1;
using Medins.Quota.V1;
using static Medins.QuotaTracking.Tests.LinjiangCampaignReplay;

namespace Medins.QuotaTracking.Tests;

/// <summary>
/// The golden replay of Linjiang's campaign (seed 002): its task table, a synthetic month of payments posted as
/// events, reductions on evidence and the weekly snapshots give each village's rate, reward, score and rank at
/// every band boundary, and a settlement statement that adds up to the payments' subsidy lines.
/// </summary>
public sealed class LinjiangCampaignReplayTests(LinjiangCampaignReplay replay) : IClassFixture<LinjiangCampaignReplay>
{
    // Seed 002 §二(四) with the boundaries the shipped rules state (95, 94, 93, 92% in the band above; 90% in the band
    // below; scores: full 10 points PARAMETER, +1 per whole point above 95%, 90–95% full × rate / 95%, ≤90% none).
    // Rates are enrolled / (registered − reductions).
    public static TheoryData<int, string, long, long, int, long, long, int> Golden() => new()
    {
        // rank, village,                  enrolled, base, rate bp, fen/person, reward fen, centipoints
        { 1,  "500118901201" /*高滩村*/,   4826, 5027, 9600, 350, 1_689_100, 1100 }, // 96.0016%: full + 1 point
        { 2,  "500118901202" /*桂林村*/,   2413, 2540, 9500, 350,   844_550, 1000 }, // exactly 95.00%: 3.5 yuan, full
        { 3,  "500118901207" /*普安村*/,   4938, 5198, 9499, 300, 1_481_400,  999 }, // at its task, 94.998%: 3 yuan
        { 4,  "500118901208" /*天堂村*/,   2491, 2650, 9400, 300,   747_300,  989 }, // exactly 94.00%: 3 yuan
        { 5,  "500118901209" /*天星村*/,   3129, 3329, 9399, 250,   782_250,  989 }, // 93.992%: 2.5 yuan
        { 6,  "500118901203" /*九龙村*/,   3162, 3400, 9300, 250,   790_500,  978 }, // exactly 93.00%: 2.5 yuan
        { 7,  "500118901210" /*兴隆村*/,   3530, 3796, 9299, 200,   706_000,  978 }, // 92.993%: 2 yuan
        { 8,  "500118901001" /*临江社区*/, 2162, 2350, 9200, 200,   432_400,  968 }, // exactly 92.00%: 2 yuan
        { 9,  "500118901204" /*龙安村*/,   2264, 2461, 9199, 150,   339_600,  968 }, // 91.995%: 1.5 yuan
        { 10, "500118901206" /*隆顺村*/,   3558, 3953, 9000, 150,   533_700,  947 }, // 90.008%: 1.5 yuan, proportional
        { 11, "500118901205" /*龙洞桥村*/, 2655, 2950, 9000, 100,   265_500,    0 }, // exactly 90.00%: 1 yuan, no score
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public async Task GetVillageRanking_AfterTheMonth_RateRewardScoreAndRankOfEachVillage(int rank, string village, long enrolled,
        long @base, int rateBp, long fenPerPerson, long rewardFen, int centipoints)
    {
        var ranking = await replay.Client().GetVillageRankingAsync(new GetVillageRankingRequest { CoverageYear = 2024 });

        var standing = ranking.Standings.Single(s => s.VillageCode == village);
        Assert.Equal((rank, enrolled, @base, rateBp, fenPerPerson, rewardFen, centipoints),
            (standing.Rank, standing.EnrolledCount, standing.Base, standing.EnrolmentRateBp, standing.RewardFenPerPerson,
             standing.RewardFen, standing.ScoreCentipoints));
    }

    [Fact]
    public async Task GetVillageRanking_AfterTheMonth_TotalRewardAndTheJanuarySnapshotAgree()
    {
        var live = await replay.Client().GetVillageRankingAsync(new GetVillageRankingRequest { CoverageYear = 2024 });

        // Seed 002 §二(四): the township pays 86,123 yuan in enrolment rewards.
        Assert.Equal(8_612_300, live.TotalRewardFen);
        // 1 Jan is the last snapshot day but not a ranking day (ranking every two weeks from 13 Nov: 25 Dec is).
        var bulletin = await replay.Client().GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest
        {
            CoverageYear = 2024, SnapshotDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
        });
        Assert.Equal(live.Standings.OrderBy(s => s.VillageCode).Select(s => (s.VillageCode, s.EnrolledCount, s.EnrolmentRateBp)),
            bulletin.Villages.Select(v => (v.VillageCode, v.EnrolledCount, v.HasEnrolmentRateBp ? v.EnrolmentRateBp : -1)));
    }

    [Fact]
    public async Task GetVillageProgress_AfterTheMonth_CountsAreWhatWasSent()
    {
        foreach (var plan in Plans)
        {
            var progress = (await replay.Client().GetVillageProgressAsync(new GetVillageProgressRequest
            {
                CoverageYear = 2024, VillageCode = plan.Code,
            })).Progress;
            var sent = replay.Payments.Where(p => p.Paid.VillageCode == plan.Code).ToList();
            var kept = sent.Where(p => p.RefundDay is null).Select(p => p.Paid).ToList();

            Assert.Equal(plan.FinalEnrolled, progress.EnrolledCount);
            Assert.Equal(sent.Count - kept.Count, progress.RefundedCount);
            Assert.Equal(kept.Count(p => p.PersonalAmountFen > 0), progress.PaidCount);
            Assert.Equal(kept.Count(p => p.PersonalAmountFen == 0), progress.ZeroContributionCount);
            Assert.Equal(kept.Sum(p => p.PersonalAmountFen), progress.CollectedAmountFen);
            Assert.Equal(kept.Sum(p => p.SubsidyAmountFen), progress.SubsidyAmountFen);
            Assert.Equal((plan.Registered - plan.Reduced, plan.Reduced), (progress.Base, progress.ReducedCount));
            // Seed 002 §一: the poverty-alleviated and low-income monitored people (every subsidy line the replay pays).
            Assert.Equal(kept.Count(p => p.SubsidyLines.Count > 0),
                progress.KeyGroups.Single(g => g.KeyGroup == "poverty-alleviated-and-monitored").EnrolledCount);
            Assert.Equal(kept.GroupBy(p => p.Channel).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count(), g.Sum(p => p.PersonalAmountFen))),
                progress.Channels.Where(c => c.Counts.EnrolledCount > 0).OrderBy(c => c.Channel)
                    .Select(c => (c.Channel, c.Counts.EnrolledCount, c.Counts.CollectedAmountFen)));
        }
    }

    [Fact]
    public async Task GetSubsidySettlement_AddsUpToTheSubsidyLinesOfThePayments()
    {
        var settlement = await replay.Client().GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = 2024 });

        // Every line paid, less the lines the full refunds withdrew.
        var paidLines = replay.Payments.SelectMany(p => p.Paid.SubsidyLines).ToList();
        var withdrawn = replay.Payments.Where(p => p.RefundDay is not null).SelectMany(p => p.Paid.SubsidyLines).ToList();
        Assert.Equal(paidLines.Sum(l => l.AmountFen) - withdrawn.Sum(l => l.AmountFen), settlement.TotalAmountFen);
        var fund = Assert.Single(settlement.Funds);
        Assert.Equal(Fund, fund.FundingSource);
        var kept = replay.Payments.Where(p => p.RefundDay is null).SelectMany(p => p.Paid.SubsidyLines).ToList();
        Assert.Equal(kept.Count, fund.PeopleCount);
        Assert.Equal(kept.GroupBy(l => l.Category).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count(), g.Sum(l => l.AmountFen))),
            fund.Categories.Select(c => (c.Category, c.PeopleCount, c.AmountFen)));
        Assert.Equal(fund.AmountFen, fund.Categories.Sum(c => c.AmountFen));
    }

    [Fact]
    public async Task WeeklyBulletins_EachMondayHoldsTheCountsOfTheDaysBefore()
    {
        // The rules' Mondays: 27 Nov (taken on 1 Dec, the first day of the replay, still in its week), 4, 11, 18, 25 Dec and 1 Jan.
        Assert.Equal([new DateOnly(2023, 11, 27), new(2023, 12, 4), new(2023, 12, 11), new(2023, 12, 18), new(2023, 12, 25), new(2024, 1, 1)],
            replay.Snapshots.Select(s => s.Date));
        DateOnly? previous = null;
        foreach (var day in replay.Snapshots.Select(s => s.Date))
        {
            var bulletin = await replay.Client().GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest
            {
                CoverageYear = 2024, SnapshotDate = day.ToProtoDate(),
            });
            var counts = replay.EnrolledBefore(day);
            var before = previous is { } p ? replay.EnrolledBefore(p) : null;
            Assert.Equal(Plans.Select(v => v.Code).Order(StringComparer.Ordinal).Select(c => (c, counts[c], counts[c] - (before?[c] ?? 0))),
                bulletin.Villages.Select(v => (v.VillageCode, v.EnrolledCount, v.EnrolledThisWeek)));
            Assert.Equal(previous?.ToProtoDate(), bulletin.PreviousSnapshotDate);
            previous = day;
        }
    }

    // Seed 002 §二(三): 时序进度, 95% spread over 1 Nov – 31 Dec (PARAMETER start): 9500 × days elapsed / 60.
    [Theory]
    [InlineData(2023, 12, 4, 5225)]  // 33 days
    [InlineData(2023, 12, 11, 6333)] // 40 days
    [InlineData(2023, 12, 18, 7441)] // 47 days
    [InlineData(2023, 12, 25, 8550)] // 54 days
    [InlineData(2024, 1, 1, 9500)]
    public async Task BehindSchedule_EachMonday_AnEventForEveryVillageUnderTheExpectedRate(int year, int month, int day, int expectedBp)
    {
        var date = new DateOnly(year, month, day);
        var snapshot = replay.Snapshots.Single(s => s.Date == date);
        var counts = replay.EnrolledBefore(date);
        // Reductions were recorded on 15 Dec.
        long BaseOf(VillagePlan plan) => plan.Registered - (date > new DateOnly(2023, 12, 15) ? plan.Reduced : 0);
        var behind = Plans.Where(p => counts[p.Code] * 10_000 < expectedBp * BaseOf(p)).Select(p => p.Code).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(expectedBp, snapshot.ExpectedRateBp);
        Assert.Equal(behind, snapshot.Behind.Order(StringComparer.Ordinal));
        var events = (await replay.BehindScheduleEventsAsync()).Where(e => e.Date == date).ToList();
        Assert.Equal(behind, events.Select(e => e.VillageCode).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal(expectedBp - e.AchievedBp, e.GapBp));
    }

    [Fact]
    public async Task BehindSchedule_OnFirstJanuary_TheNineVillagesUnderNinetyFivePercent()
    {
        var events = (await replay.BehindScheduleEventsAsync()).Where(e => e.Date == new DateOnly(2024, 1, 1)).ToList();

        Assert.Equal(9, events.Count);
        Assert.DoesNotContain(events, e => e.VillageCode is "500118901201" or "500118901202");
        Assert.Equal(500, events.Single(e => e.VillageCode == "500118901205").GapBp); // 龙洞桥村 at 90.00%
        Assert.Equal(1, events.Single(e => e.VillageCode == "500118901207").GapBp);   // 普安村 at 94.99%
    }

    [Fact]
    public async Task GetVillageRanking_RankingDay25December_RanksThatMondaysSnapshot()
    {
        var ranking = await replay.Client().GetVillageRankingAsync(new GetVillageRankingRequest
        {
            CoverageYear = 2024, RankingDate = new Google.Type.Date { Year = 2023, Month = 12, Day = 25 },
        });

        var counts = replay.EnrolledBefore(new DateOnly(2023, 12, 25));
        // Best first by exact rate (decimal division is exact enough to order these counts), equal rates by code.
        var expected = Plans
            .OrderByDescending(p => (decimal)counts[p.Code] / (p.Registered - p.Reduced))
            .ThenBy(p => p.Code, StringComparer.Ordinal)
            .Select((p, i) => (i + 1, p.Code, counts[p.Code]));
        Assert.False(ranking.Live);
        Assert.Equal(expected, ranking.Standings.Select(s => (s.Rank, s.VillageCode, s.EnrolledCount)));
    }

    [Fact]
    public async Task ListDivisionProgress_Township_TheMonthSummed()
    {
        var township = Assert.Single((await replay.Client().ListDivisionProgressAsync(new ListDivisionProgressRequest
        {
            CoverageYear = 2024, Level = ProgressLevel.Township,
        })).Divisions);

        // Seed 002 attachment: 37694 registered, 35809 tasks; 40 people reduced on evidence.
        Assert.Equal((35_128L, 37_654L, 35_769L, 40L), (township.Counts.EnrolledCount, township.Base, township.Task, township.ReducedCount));
        Assert.Equal(9329, township.EnrolmentRateBp); // 93.29%
        Assert.Equal(replay.Payments.Count(p => p.RefundDay is not null), township.Counts.RefundedCount);
    }

    [Fact]
    public async Task ListTaskReductions_FortyAuditedReductions()
    {
        var reductions = await replay.Client().ListTaskReductionsAsync(new ListTaskReductionsRequest { CoverageYear = 2024, PageSize = 100 });

        Assert.Equal(40, reductions.Reductions.Count);
        Assert.All(reductions.Reductions, r => Assert.Equal("linjiang-social-security-office", r.RecordedBy));
    }
}

/// <summary>The behind-schedule events the replay's snapshots wrote to the outbox.</summary>
public sealed record BehindEvent(DateOnly Date, string VillageCode, int AchievedBp, int GapBp);

public static class ReplayOutbox
{
    public static async Task<List<BehindEvent>> BehindScheduleEventsAsync(this LinjiangCampaignReplay replay)
    {
        var events = new List<BehindEvent>();
        await using var cmd = replay.Database.Owner.CreateCommand(
            "SELECT payload::text FROM quota_tracking.outbox WHERE tenant_id = 'cq-linjiang' AND topic = 'quota.behind-schedule'");
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var e = JsonDocument.Parse(reader.GetString(0)).RootElement;
            var date = e.GetProperty("snapshotDate");
            events.Add(new BehindEvent(new DateOnly(date.GetProperty("year").GetInt32(), date.GetProperty("month").GetInt32(), date.GetProperty("day").GetInt32()),
                e.GetProperty("villageCode").GetString()!, e.GetProperty("achievedRateBp").GetInt32(), e.GetProperty("gapBp").GetInt32()));
        }
        return events;
    }
}
