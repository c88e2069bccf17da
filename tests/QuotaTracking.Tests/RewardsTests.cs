using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

/// <summary>Linjiang's rewards and scores at every boundary, as its shipped rules state them.</summary>
public class RewardsTests
{
    private static readonly QuotaRules Linjiang = QuotaRulesReader.Read(ShippedRules.Text("cq-linjiang-2024"));

    // Seed 002 §二(四)一是: ≥95% 3.5; 94–95% 3; 93–94% 2.5; 92–93% 2; 90–92% 1.5; ≤90% 1 yuan per person. The rules
    // give 95.00%, 94.00%, 93.00% and 92.00% to the band above them and 90.00% to the band below ("90%及以下").
    [Theory]
    [InlineData(10_000, 10_000, 350)]
    [InlineData(9_500, 10_000, 350)]   // exactly 95.00%
    [InlineData(94_999, 100_000, 300)] // 94.999%
    [InlineData(9_400, 10_000, 300)]   // exactly 94.00%
    [InlineData(93_999, 100_000, 250)]
    [InlineData(9_300, 10_000, 250)]   // exactly 93.00%
    [InlineData(92_999, 100_000, 200)]
    [InlineData(9_200, 10_000, 200)]   // exactly 92.00%
    [InlineData(91_999, 100_000, 150)]
    [InlineData(90_001, 100_000, 150)] // just above 90%
    [InlineData(9_000, 10_000, 100)]   // exactly 90.00%
    [InlineData(0, 10_000, 100)]
    public void BandFor_LinjiangBoundaries_BandOwningTheRate(long people, long @base, long fenPerPerson)
    {
        Assert.Equal(fenPerPerson, Rewards.BandFor(Linjiang.Rewards!, Rate.Of(people, @base)!.Value).FenPerPerson);
    }

    [Theory]
    [InlineData(2413, 2540, "95%（含）及以上")] // 桂林村 (seed 002 attachment) exactly at 95.00%
    [InlineData(2412, 2540, "94%-95%")]
    [InlineData(2286, 2540, "90%及以下")]       // exactly 90.00%
    [InlineData(2287, 2540, "90%-92%")]
    public void BandFor_GuilinRegisteredPopulation_LabelOfTheSeed(long people, long @base, string label)
    {
        Assert.Equal(label, Rewards.BandFor(Linjiang.Rewards!, Rate.Of(people, @base)!.Value).Label);
    }

    [Fact]
    public void RewardFen_BandTimesEnrolledPeople()
    {
        var band = Rewards.BandFor(Linjiang.Rewards!, Rate.Of(2413, 2540)!.Value);

        Assert.Equal(2413 * 350, Rewards.RewardFen(band, 2413));
    }

    // Seed 002 §二(四)二是: ≥95% full (10 points, PARAMETER) and +1 for each whole percentage point above; 90–95%
    // full × rate / 95%; ≤90% nothing. Centipoints, rounded down.
    [Theory]
    [InlineData(9_500, 10_000, 1000)]   // exactly 95.00%: full
    [InlineData(9_599, 10_000, 1000)]   // 95.99%: no whole point above yet
    [InlineData(9_600, 10_000, 1100)]   // 96.00%: +1
    [InlineData(10_000, 10_000, 1500)]  // 100%: +5
    [InlineData(10_250, 10_000, 1700)]  // above the base (people beyond the registered count): +7
    [InlineData(9_499, 10_000, 999)]    // 1000 × 94.99 / 95 = 999.89…
    [InlineData(9_200, 10_000, 968)]    // 1000 × 92 / 95 = 968.42…
    [InlineData(9_001, 10_000, 947)]    // just above 90%: 947.47…
    [InlineData(9_000, 10_000, 0)]      // exactly 90.00%: none
    [InlineData(5_000, 10_000, 0)]
    public void ScoreCentipoints_LinjiangBoundaries(long people, long @base, int centipoints)
    {
        Assert.Equal(centipoints, Rewards.ScoreCentipoints(Linjiang.Scoring!, Rate.Of(people, @base)!.Value));
    }

    [Fact]
    public void ScoreCentipoints_RateOfOddCounts_DecidedExactly()
    {
        // 4776 / 5027 = 95.0069…% (高滩村 at its task): full; 4775 / 5027 = 94.9870…%: proportional.
        Assert.Equal(1000, Rewards.ScoreCentipoints(Linjiang.Scoring!, Rate.Of(4776, 5027)!.Value));
        Assert.Equal(999, Rewards.ScoreCentipoints(Linjiang.Scoring!, Rate.Of(4775, 5027)!.Value));
    }
}

public class RankingTests
{
    private static readonly QuotaRules Linjiang = QuotaRulesReader.Read(ShippedRules.Text("cq-linjiang-2024"));

    [Fact]
    public void Rank_ByExactRate_NotByRoundedBasisPoints()
    {
        // Both read 95.00% in basis points; 4776/5027 is 95.0069…%, 2413/2540 exactly 95%.
        var standings = Ranking.Rank(Linjiang, [new RankCandidate("B", 2413, 2540), new RankCandidate("A", 4776, 5027)]);

        Assert.Equal(["A", "B"], standings.Select(s => s.Village.VillageCode));
        Assert.Equal([9500, 9500], standings.Select(s => s.Rate.FloorBp));
    }

    [Fact]
    public void Rank_EqualRates_VillageCodeOrderAndDistinctRanks()
    {
        var standings = Ranking.Rank(Linjiang,
        [
            new RankCandidate("500118901203", 50, 100),
            new RankCandidate("500118901201", 1, 2),
            new RankCandidate("500118901202", 99, 100),
        ]);

        Assert.Equal([("500118901202", 1), ("500118901201", 2), ("500118901203", 3)],
            standings.Select(s => (s.Village.VillageCode, s.Rank)));
    }

    [Fact]
    public void Rank_SameInputInAnyOrder_SameRanking()
    {
        RankCandidate[] villages = [new("c", 5, 10), new("a", 5, 10), new("b", 7, 10), new("d", 5, 10)];

        var once = Ranking.Rank(Linjiang, villages).Select(s => s.Village.VillageCode).ToList();
        var reversed = Ranking.Rank(Linjiang, villages.Reverse()).Select(s => s.Village.VillageCode).ToList();

        Assert.Equal(["b", "a", "c", "d"], once);
        Assert.Equal(once, reversed);
    }

    [Fact]
    public void Rank_NoBase_NotRanked()
    {
        var standings = Ranking.Rank(Linjiang, [new RankCandidate("a", 5, 0), new RankCandidate("b", 1, 10)]);

        Assert.Equal("b", Assert.Single(standings).Village.VillageCode);
    }

    [Fact]
    public void Rank_RulesWithoutRewards_NoBandNoScore()
    {
        var gaoyang = QuotaRulesReader.Read(ShippedRules.Text("he-gaoyang-2024"));

        var standing = Assert.Single(Ranking.Rank(gaoyang, [new RankCandidate("a", 96, 100)]));

        Assert.Null(standing.Band);
        Assert.Equal(0, standing.RewardFen);
        Assert.Equal(0, standing.ScoreCentipoints);
    }
}
