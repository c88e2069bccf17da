using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

public class ScheduleTests
{
    private static readonly ProgressSchedule Linjiang = QuotaRulesReader.Read(ShippedRules.Text("cq-linjiang-2024")).Progress!;
    private static readonly ProgressSchedule Gaoyang = QuotaRulesReader.Read(ShippedRules.Text("he-gaoyang-2024")).Progress!;

    // Seed 002 §二(三): 时序进度 — the rules spread 95% over 1 Nov to 31 Dec (60 days) in proportion to days elapsed.
    [Theory]
    [InlineData("2023-10-31", 0)]
    [InlineData("2023-11-01", 0)]
    [InlineData("2023-11-20", 3008)] // 9500 × 19 / 60 = 3008.3
    [InlineData("2023-11-30", 4591)] // 9500 × 29 / 60 = 4591.7
    [InlineData("2023-12-31", 9500)]
    [InlineData("2024-01-01", 9500)]
    public void ExpectedRateBp_LinjiangTimeProgress(string day, int expected)
    {
        Assert.Equal(expected, Schedule.ExpectedRateBp(Linjiang, DateOnly.Parse(day)));
    }

    // Seed 004 §四(二): staged rates per period (PARAMETER values), each holding until the next stage.
    [Theory]
    [InlineData("2023-10-14", 0)]
    [InlineData("2023-10-15", 3000)]
    [InlineData("2023-11-14", 3000)]
    [InlineData("2023-11-15", 6000)]
    [InlineData("2023-12-24", 8500)]
    [InlineData("2023-12-25", 9500)]
    [InlineData("2024-02-01", 9500)]
    public void ExpectedRateBp_GaoyangStaged(string day, int expected)
    {
        Assert.Equal(expected, Schedule.ExpectedRateBp(Gaoyang, DateOnly.Parse(day)));
    }

    [Fact]
    public void ExpectedRateBp_LaterStageLower_RoundedDown()
    {
        var schedule = Linjiang with
        {
            Stages = [new ScheduleStage { Date = new DateOnly(2023, 11, 1), RateBp = 100 }, new ScheduleStage { Date = new DateOnly(2023, 11, 4), RateBp = 0 }],
        };

        // 100 − 100 × 1/3 = 66.7 → 66.
        Assert.Equal(66, Schedule.ExpectedRateBp(schedule, new DateOnly(2023, 11, 2)));
    }

    [Theory]
    [InlineData("2023-11-06", true, false)]
    [InlineData("2023-11-13", true, true)]
    [InlineData("2023-11-14", false, false)]
    [InlineData("2023-11-20", true, false)]
    [InlineData("2023-11-27", true, true)]
    [InlineData("2024-01-01", true, false)]
    [InlineData("2024-01-08", false, false)]
    [InlineData("2023-10-30", false, false)]
    public void SnapshotAndRankingDays_LinjiangMondaysRankingFortnightly(string day, bool snapshot, bool ranking)
    {
        Assert.Equal(snapshot, Schedule.IsSnapshotDay(Linjiang, DateOnly.Parse(day)));
        Assert.Equal(ranking, Schedule.IsRankingDay(Linjiang, DateOnly.Parse(day)));
    }

    [Theory]
    [InlineData("2023-11-05", null)]
    [InlineData("2023-11-06", "2023-11-06")]
    [InlineData("2023-11-12", "2023-11-06")]
    [InlineData("2023-11-13", "2023-11-13")]
    [InlineData("2024-01-07", "2024-01-01")]
    [InlineData("2024-01-08", null)]
    public void SnapshotDayFor_TheWeekTodayFallsIn(string today, string? day)
    {
        Assert.Equal(day is null ? null : DateOnly.Parse(day), Schedule.SnapshotDayFor(Linjiang, DateOnly.Parse(today)));
    }

    [Fact]
    public void GapBp_BehindAheadAndWithoutTarget()
    {
        Assert.Equal(25, Schedule.GapBp(Rate.Of(1500, 5027), 3008)); // 29.83…% reads 2983 bp
        Assert.Equal(0, Schedule.GapBp(Rate.Of(1600, 5027), 3008));
        Assert.Equal(0, Schedule.GapBp(null, 3008));
    }
}
