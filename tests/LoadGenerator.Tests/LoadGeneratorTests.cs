using Medins.IdentityRegistry.Domain;
using Medins.LoadGenerator;

namespace Medins.LoadGenerator.Tests;

public sealed class PercentilesTests
{
    [Fact]
    public void NearestRank_HundredValues_ReturnsTheValueAtThatRank()
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.Equal(50, Percentiles.NearestRank(sorted, 0.50));
        Assert.Equal(95, Percentiles.NearestRank(sorted, 0.95));
        Assert.Equal(99, Percentiles.NearestRank(sorted, 0.99));
        Assert.Equal(100, Percentiles.NearestRank(sorted, 1.0));
    }

    [Fact]
    public void NearestRank_FewValues_NeverUnderstatesTheTail()
    {
        // With 10 values p99 is the largest: 0.99 × 10 rounds up to rank 10.
        var sorted = new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 500 };
        Assert.Equal(500, Percentiles.NearestRank(sorted, 0.99));
        Assert.Equal(5, Percentiles.NearestRank(sorted, 0.50));
    }

    [Fact]
    public void NearestRank_Empty_IsZero() => Assert.Equal(0, Percentiles.NearestRank([], 0.99));
}

public sealed class KneeTests
{
    private static StepResult Step(double rate, double p99, double achieved = double.NaN) =>
        new(rate, (int)rate * 30, (int)rate * 30, 0, 0, 0, double.IsNaN(achieved) ? rate : achieved, p99 / 2, p99 * 0.9, p99,
            new Dictionary<string, int>());

    [Fact]
    public void Find_P99PassesLimitAtThirdStep_ReturnsThatRate()
    {
        var steps = new[] { Step(10, 40), Step(20, 90), Step(40, 140), Step(80, 900) };
        Assert.Equal(40, Knee.Find(steps, 100));
    }

    [Fact]
    public void Find_P99ExactlyAtLimit_IsNotTheKnee()
    {
        var steps = new[] { Step(10, 100), Step(20, 100.5) };
        Assert.Equal(20, Knee.Find(steps, 100));
    }

    [Fact]
    public void Find_NoStepPassesLimit_ReturnsNull() =>
        Assert.Null(Knee.Find([Step(10, 20), Step(20, 30)], 100));

    [Fact]
    public void Saturated_AchievedWellUnderTarget_IsTrue()
    {
        Assert.True(Step(100, 50, achieved: 70).Saturated);
        Assert.False(Step(100, 50, achieved: 95).Saturated);
        Assert.True(Step(100, 2_500).Saturated);
    }
}

public sealed class OpenLoopScheduleTests
{
    [Fact]
    public void Arrivals_RateTimesWarmupAndDuration_RoundsUp()
    {
        Assert.Equal(175, OpenLoop.Arrivals(5, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)));
        Assert.Equal(4, OpenLoop.Arrivals(2.5, TimeSpan.Zero, TimeSpan.FromSeconds(1.5)));
    }

    [Fact]
    public void DueAt_FixedRate_SpacesArrivalsEvenlyByWallClock()
    {
        Assert.Equal(TimeSpan.Zero, OpenLoop.DueAt(0, 200));
        Assert.Equal(TimeSpan.FromMilliseconds(5), OpenLoop.DueAt(1, 200));
        Assert.Equal(TimeSpan.FromSeconds(1), OpenLoop.DueAt(200, 200));
    }
}

public sealed class ProcStatTests
{
    [Fact]
    public void Parse_CommandWithSpacesAndParentheses_ReadsCpuFieldsAfterTheLastParenthesis()
    {
        var line = "4242 (postgres: medins (x) idle) S 4200 4200 4200 0 -1 4194560 120 0 0 0 1234 567 89 10 20 0 1 0 9 0 0";
        var stat = ProcStat.Parse(line);
        Assert.Equal(new ProcStat(4242, 4200, 1234, 567, 89, 10), stat);
    }

    [Fact]
    public void Parse_NotAStatLine_ReturnsNull()
    {
        Assert.Null(ProcStat.Parse(""));
        Assert.Null(ProcStat.Parse("abc (x) S 1"));
    }

    [Fact]
    public void TreeTicks_PostmasterWithBackends_SumsLiveProcessesAndReapedChildren()
    {
        var all = new[]
        {
            new ProcStat(100, 1, 50, 10, 300, 40),  // postmaster: its own time plus exited backends' (cutime, cstime)
            new ProcStat(101, 100, 200, 20, 0, 0),   // a live backend
            new ProcStat(102, 100, 5, 5, 0, 0),      // another
            new ProcStat(103, 102, 1, 1, 0, 0),      // a grandchild
            new ProcStat(200, 1, 999, 999, 0, 0),    // someone else's process
        };
        Assert.Equal(50 + 10 + 300 + 40 + 200 + 20 + 5 + 5 + 1 + 1, ProcessCpu.TreeTicks(all, 100));
        Assert.Equal(0, ProcessCpu.TreeTicks(all, 999));
    }

    [Fact]
    public void MachineTicks_ProcStatCpuLine_BusyExcludesIdleAndIowait()
    {
        var (busy, total) = ProcessCpu.MachineTicks("cpu  100 5 50 1000 20 3 2 0 0 0");
        Assert.Equal(1180, total);
        Assert.Equal(160, busy);
    }

    [Fact]
    public void CpuReport_TwoSamples_ChargesEachProcessItsDeltaPerPayment()
    {
        var start = new CpuSample(new Dictionary<string, long> { ["postgres"] = 1_000, ["gateway"] = 100 }, TimeSpan.FromSeconds(1), 5_000,
            50_000, 0);
        var end = new CpuSample(new Dictionary<string, long> { ["postgres"] = 4_000, ["gateway"] = 400 }, TimeSpan.FromSeconds(2), 9_000,
            60_000, 0);
        var rows = CpuReport.Rows(start, end, payments: 1_000, ticksPerSecond: 100).ToDictionary(r => r.Name);
        Assert.Equal(30, rows["postgres"].MsPerPayment, 6);      // 3,000 ticks = 30 s over 1,000 payments
        Assert.Equal(3, rows["gateway"].MsPerPayment, 6);
        Assert.Equal(33, rows["all of the above"].MsPerPayment, 6);
        Assert.Equal(1, rows["load generator"].MsPerPayment, 6);
        Assert.Equal(6, rows["rest of the machine"].MsPerPayment, 6); // 40 s busy − 33 s ours − 1 s generator
    }
}

public sealed class PgReportTests
{
    [Fact]
    public void SeqScanned_OnlyTablesOverAThousandRowsThatWereScanned_LargestFirst()
    {
        var start = new PgSample(10, new Dictionary<string, TableScans>
        {
            ["a.big"] = new("a.big", 5, 1_000_000, 0, 200_000),
            ["a.small"] = new("a.small", 1, 10, 0, 900),
            ["a.idle"] = new("a.idle", 3, 30_000, 0, 50_000),
        });
        var end = new PgSample(1_010, new Dictionary<string, TableScans>
        {
            ["a.big"] = new("a.big", 7, 1_400_000, 0, 200_000),
            ["a.small"] = new("a.small", 90, 80_000, 0, 900),
            ["a.idle"] = new("a.idle", 3, 30_000, 10, 50_000),
            ["b.new"] = new("b.new", 1, 5_000, 0, 5_000),
        });
        var scanned = PgReport.SeqScanned(start, end);
        Assert.Equal(["a.big", "b.new"], scanned.Select(t => t.Table));
        Assert.Equal(400_000, scanned[0].RowsRead);
        Assert.Contains("1.0 transactions", PgReport.Summary(start, end, payments: 1_000));
        Assert.Contains("405.0 rows read by sequential scans", PgReport.Summary(start, end, payments: 1_000));
    }
}

public sealed class PreloadRowsTests
{
    private static readonly string[] Villages = ["500118001001", "500118001002", "500118002001"];

    [Fact]
    public void Resident_MillionIndexes_NationalIdsValidByChecksumAndUnique()
    {
        var today = new DateOnly(2024, 12, 1);
        var seen = new HashSet<string>();
        // Every 997th index covers all birth days and order codes of a million-row load without a million parses.
        for (var i = 0; i < 1_000_000; i += 997)
        {
            var row = PreloadRows.Resident(i, Villages);
            Assert.Equal(NationalIdError.None, NationalId.TryParse(row.NationalId, today, out var id));
            Assert.True(seen.Add(id.Value));
        }
        var last = PreloadRows.Resident(999_999, Villages);
        Assert.Equal(NationalIdError.None, NationalId.TryParse(last.NationalId, today, out _));
    }

    [Fact]
    public void Resident_Index_LivesInAKnownVillageOfItsCountyAndIsMarkedPreloaded()
    {
        var row = PreloadRows.Resident(4, Villages);
        Assert.Equal("500118001002", row.VillageCode);
        Assert.StartsWith("500118", row.NationalId);
        Assert.StartsWith(PreloadRows.NamePrefix, row.Name);
        Assert.Equal("household_registered", row.RegistrationType);
    }

    [Fact]
    public void Resident_BirthDates_NeverOverlapTheLoadGeneratorsOwn()
    {
        // A run registers people born 1940-01-01 plus at most 20,000 days, and a day more per thousand registrations.
        Assert.True(PreloadRows.FirstBirth > new DateOnly(1940, 1, 1).AddDays(20_000 + 1_000));
    }

    [Fact]
    public void Share_MillionOverFourTenants_CoversEveryIndexOnce()
    {
        var shares = Enumerable.Range(0, 4).Select(t => PreloadRows.Share(1_000_000, 4, t)).ToList();
        Assert.Equal(0, shares[0].Start);
        Assert.Equal(1_000_000, shares.Sum(s => s.Count));
        for (var t = 1; t < 4; t++) Assert.Equal(shares[t - 1].Start + shares[t - 1].Count, shares[t].Start);
        var odd = Enumerable.Range(0, 3).Select(t => PreloadRows.Share(10, 3, t).Count).ToList();
        Assert.Equal(10, odd.Sum());
    }

    [Fact]
    public void Quote_LastYear_PersonalPlusSubsidyIsTheStandardAndCoversTheYear()
    {
        var quote = PreloadRows.Quote(2023);
        Assert.Equal(2023, quote.CoverageYear);
        Assert.Equal(quote.StandardAmountFen, quote.PersonalAmountFen);
        Assert.Equal(2023, quote.BenefitStartDate.Year);
        Assert.Equal(12, quote.BenefitEndDate.Month);
    }
}
