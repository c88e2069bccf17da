using System.Text.Json.Nodes;
using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

public class QuotaRulesReaderTests
{
    public static TheoryData<string> Shipped() => new(ShippedRules.Names);

    [Theory]
    [MemberData(nameof(Shipped))]
    public void Read_ShippedDocument_IsValid(string name)
    {
        var rules = QuotaRulesReader.Read(ShippedRules.Text(name));

        Assert.Equal(2024, rules.CoverageYear);
        Assert.NotEmpty(rules.AppliesTo);
    }

    [Fact]
    public void Read_Shipped_FourDocuments()
    {
        Assert.Equal(["cq-lidu-2024", "cq-linjiang-2024", "he-gaoyang-2024", "sc-meishan-2024"], ShippedRules.Names.Order());
    }

    [Fact]
    public void Read_Linjiang_StatesItsSeedRules()
    {
        var rules = QuotaRulesReader.Read(ShippedRules.Text("cq-linjiang-2024"));

        // Seed 002 §一: 95% overall against the registered population (the attachment's task table), 99% for the
        // poverty-alleviated and monitored; §二(四): six reward bands, 3.5 to 1 yuan; §二(二): task reductions until the
        // end of the campaign.
        Assert.Equal(TargetBase.RegisteredPopulation, rules.Targets.Base);
        Assert.Equal(9500, rules.Targets.RateBp);
        Assert.Equal(9900, rules.KeyGroup("poverty-alleviated-and-monitored")!.TargetRateBp);
        Assert.Equal([350L, 300, 250, 200, 150, 100], rules.Rewards!.Bands.Select(b => b.FenPerPerson));
        Assert.Equal(new DateOnly(2023, 12, 31), rules.Campaign.ReductionsUntil);
        Assert.Equal(RuleSource.Seed, rules.Campaign.ReductionsSource);
    }

    private static JsonObject Linjiang() =>
        (JsonObject)JsonNode.Parse(ShippedRules.Text("cq-linjiang-2024"), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;

    private static QuotaRulesException Refused(JsonObject document) =>
        Assert.Throws<QuotaRulesException>(() => QuotaRulesReader.Read(document.ToJsonString()));

    [Fact]
    public void Read_UnknownField_RefusedAtItsPath()
    {
        var document = Linjiang();
        document["targets"]!["rate"] = 9500;

        var error = Assert.Single(Refused(document).Errors);
        Assert.Equal("$.targets.rate", error.Path);
    }

    [Fact]
    public void Read_MissingRequiredField_Refused()
    {
        var document = Linjiang();
        ((JsonObject)document["campaign"]!).Remove("closes");

        var error = Assert.Single(Refused(document).Errors);
        Assert.Contains("closes", error.Message);
    }

    [Fact]
    public void Read_EnumAsNumber_Refused()
    {
        var document = Linjiang();
        document["targets"]!["base"] = 0;

        Assert.Equal("$.targets.base", Assert.Single(Refused(document).Errors).Path);
    }

    [Fact]
    public void Read_BandsNotFromHighestDown_RefusedAtTheBand()
    {
        var document = Linjiang();
        document["rewards"]!["bands"]![2]!["from"]!["bp"] = 9450;

        Assert.Contains(Refused(document).Errors, e => e.Path == "$.rewards.bands[2].from.bp");
    }

    [Fact]
    public void Read_LastBandNotOpenToZero_Refused()
    {
        var document = Linjiang();
        document["rewards"]!["bands"]![5]!["from"]!["inclusive"] = false;

        Assert.Contains(Refused(document).Errors, e => e.Path == "$.rewards.bands[5].from");
    }

    [Fact]
    public void Read_RankingCadenceWithoutSource_Refused()
    {
        // A cadence must say whether the seed states it or the bureau chose it.
        var document = Linjiang();
        document["progress"]!.AsObject().Remove("rankingSource");

        Assert.Contains(Refused(document).Errors, e => e.Path == "$.progress.rankingSource");
    }

    [Fact]
    public void Read_ReductionsWithoutSource_Refused()
    {
        var document = Linjiang();
        document["campaign"]!.AsObject().Remove("reductionsSource");

        Assert.Contains(Refused(document).Errors, e => e.Path == "$.campaign.reductionsSource");
    }

    [Fact]
    public void Read_NoRankingCadence_NoRankingDays()
    {
        var document = Linjiang();
        foreach (var field in new[] { "rankingEveryWeeks", "firstRanking", "rankingSource" }) document["progress"]!.AsObject().Remove(field);

        var progress = QuotaRulesReader.Read(document.ToJsonString()).Progress!;

        Assert.False(Schedule.IsRankingDay(progress, new DateOnly(2023, 11, 13)));
    }

    [Fact]
    public void Read_RankingDayNotASnapshotDay_Refused()
    {
        var document = Linjiang();
        document["progress"]!["firstRanking"] = "2023-11-14";

        Assert.Contains(Refused(document).Errors, e => e.Path == "$.progress.firstRanking");
    }

    [Fact]
    public void Read_SeveralProblems_ListsEvery()
    {
        var document = Linjiang();
        document["targets"]!["rateBp"] = 0;
        document["keyGroups"]![0]!["targetRateBp"] = 0;

        var paths = Refused(document).Errors.Select(e => e.Path).ToList();
        Assert.Contains("$.targets.rateBp", paths);
        Assert.Contains("$.keyGroups[0].targetRateBp", paths);
    }

    [Fact]
    public void Read_NotJson_RefusedAtRoot()
    {
        Assert.Throws<QuotaRulesException>(() => QuotaRulesReader.Read("{ \"formatVersion\": "));
    }
}
