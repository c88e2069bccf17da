using System.Text.Json;
using System.Text.Json.Nodes;
using Medins.Migrator;
using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

/// <summary>
/// The shipped quota rules against their seeds and against the tenant's contribution policy of the same name: a key
/// group counts people by their payment's subsidy lines, so a category the policy never subsidises counts nobody;
/// rules a seed does not state (reductions, ranking cadences) are absent or marked as the bureau's choice.
/// </summary>
public class ShippedRulesSeedTests
{
    private static QuotaRules Rules(string name) => QuotaRulesReader.Read(ShippedRules.Text(name));

    private static JsonObject Policy(string name)
    {
        using var stream = typeof(PlatformMigrator).Assembly.GetManifestResourceStream($"{DemoPolicies.ResourcePrefix}{name}.jsonc")
            ?? throw new ArgumentException($"No shipped policy named {name}.");
        return (JsonObject)JsonNode.Parse(stream, documentOptions: new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
    }

    /// <summary>Every category a subsidy of the policy names.</summary>
    private static HashSet<string> SubsidisedCategories(string name)
    {
        var categories = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (key == "category" && value is JsonValue v && v.TryGetValue<string>(out var category)) categories.Add(category);
                        else Walk(value);
                    }
                    break;
                case JsonArray array:
                    foreach (var item in array) Walk(item);
                    break;
            }
        }
        Walk(Policy(name)["identities"]);
        return categories;
    }

    private static IReadOnlyList<string> NotSubsidised(string name) =>
        Rules(name).KeyGroups.SelectMany(g => g.Categories).Where(c => !SubsidisedCategories(name).Contains(c)).ToList();

    [Fact]
    public void SubsidisedCategories_ReadsThePolicy()
    {
        // Guards the walk above: Meishan's policy (seed 003 三（三）) subsidises 特困 and the ten grades of disabled soldiers.
        var meishan = SubsidisedCategories("sc-meishan-2024");
        Assert.Contains("tekun", meishan);
        Assert.Contains("disabled-soldier-10", meishan);
        Assert.DoesNotContain("dibao-edge", SubsidisedCategories("he-gaoyang-2024"));
    }

    [Fact]
    public void KeyGroups_Linjiang_OnlyCategoriesItsPolicySubsidisesAndNoPersonGroup()
    {
        // Seed 002 一: 脱贫人口和低收入监测对象 ≥ 99%. No "student" person group exists (the policy has only "resident").
        var group = Assert.Single(Rules("cq-linjiang-2024").KeyGroups);
        Assert.Equal(("poverty-alleviated-and-monitored", 9900), (group.Id, group.TargetRateBp));
        Assert.Empty(NotSubsidised("cq-linjiang-2024"));
        Assert.Empty(group.PersonGroups);
        Assert.DoesNotContain("low-income", group.Categories);
        Assert.DoesNotContain("stable-out-of-poverty", group.Categories);
    }

    [Fact]
    public void KeyGroups_Gaoyang_NoDibaoEdgeOnlyPolicyCategories()
    {
        // Seed 004 一（三）2: the subsidised key groups 100%; Gaoyang's policy (二（三）) has no 低保边缘 category.
        var group = Assert.Single(Rules("he-gaoyang-2024").KeyGroups);
        Assert.Equal(10_000, group.TargetRateBp);
        Assert.DoesNotContain("dibao-edge", group.Categories);
        Assert.Empty(NotSubsidised("he-gaoyang-2024"));
    }

    [Fact]
    public void KeyGroups_Meishan_EverySubsidisedIdentityIncludingDisabledSoldiers()
    {
        // Seed 003 五（二）: 特殊群体 by 31 Dec; 三（二） lists the disabled soldiers 9901, 9930, 9931, 9917–9923 among the
        // veterans of 三（三）1(2). The group is exactly the policy's subsidised identities.
        var group = Assert.Single(Rules("sc-meishan-2024").KeyGroups);
        Assert.Equal(SubsidisedCategories("sc-meishan-2024").Order(StringComparer.Ordinal), group.Categories.Order(StringComparer.Ordinal));
        Assert.All(Enumerable.Range(1, 10), grade => Assert.Contains($"disabled-soldier-{grade}", group.Categories));
    }

    [Fact]
    public void KeyGroups_Lidu_CivilAffairsFamilyPlanningAndStablePovertyAtHundredPercent()
    {
        // Seed 000 五（三）: 民政资助参保对象、计划生育奖扶特扶补贴、返贫致贫人口、脱贫不稳定户、边缘易致贫户、突发严重困难户、
        // 稳定脱贫人口参保率达100%.
        var group = Assert.Single(Rules("cq-lidu-2024").KeyGroups);
        Assert.Equal(10_000, group.TargetRateBp);
        string[] required =
        [
            "tekun", "orphan", "de-facto-unsupported-child", "dibao", "dibao-edge", "civil-affairs-special-hardship",
            "family-planning-reward", "family-planning-special", "family-planning-special-disabled-child", "family-planning-surgery-complication",
            "returned-to-poverty", "unstable-out-of-poverty", "edge-poverty", "sudden-hardship", "stable-out-of-poverty",
        ];
        Assert.All(required, c => Assert.Contains(c, group.Categories));
        // Lidu's policy names no subsidy for 稳定脱贫人口 (三 gives no amount); every other category is one it subsidises.
        Assert.Equal(["stable-out-of-poverty"], NotSubsidised("cq-lidu-2024"));
    }

    [Fact]
    public void Reductions_OnlyLinjiangWhoseSeedGrantsThem()
    {
        // Seed 002 二（二）: 核减参保任务 on evidence before the campaign ends; seeds 000, 003 and 004 state no reductions.
        var linjiang = Rules("cq-linjiang-2024").Campaign;
        Assert.Equal((new DateOnly(2023, 12, 31), RuleSource.Seed), (linjiang.ReductionsUntil!.Value, linjiang.ReductionsSource!.Value));
        Assert.All(["cq-lidu-2024", "he-gaoyang-2024", "sc-meishan-2024"], name => Assert.Null(Rules(name).Campaign.ReductionsUntil));
    }

    [Fact]
    public void RankingCadence_SeedOnlyForGaoyangBureauForLinjiangNoneElsewhere()
    {
        // Seed 004 四（三）: 一周一通报、半月一排名. Linjiang's fortnightly ranking is its bureau's choice (seed 002 is silent);
        // seeds 000 and 003 state no cadence.
        var gaoyang = Rules("he-gaoyang-2024").Progress!;
        Assert.Equal((2, RuleSource.Seed), (gaoyang.RankingEveryWeeks!.Value, gaoyang.RankingSource!.Value));
        var linjiang = Rules("cq-linjiang-2024").Progress!;
        Assert.Equal((2, RuleSource.Bureau), (linjiang.RankingEveryWeeks!.Value, linjiang.RankingSource!.Value));
        foreach (var name in new[] { "cq-lidu-2024", "sc-meishan-2024" })
        {
            var progress = Rules(name).Progress!;
            Assert.Null(progress.RankingEveryWeeks);
            Assert.False(Schedule.IsRankingDay(progress, progress.FirstSnapshot));
        }
    }

    [Fact]
    public void Campaign_Lidu_OpensWithItsPolicyOn26October()
    {
        // Seed 000: the plan is dated 2023年10月26日; 三（二） 集中参保缴费期为文件下发之日起至2023年12月31日.
        var campaign = Rules("cq-lidu-2024").Campaign;
        Assert.Equal((new DateOnly(2023, 10, 26), new DateOnly(2023, 12, 31)), (campaign.Opens, campaign.Closes));
        var concentrated = Policy("cq-lidu-2024")["collectionPeriods"]!.AsArray().First(p => (string?)p!["id"] == "concentrated")!;
        Assert.Equal(campaign.Opens, DateOnly.Parse((string)concentrated["from"]!));
    }

    [Fact]
    public void Targets_GaoyangNotBelowLastYearFromSeedMeishanBaseIsTheBureaus()
    {
        // Seed 004 一（三）1: 95% of the resident population and 不低于2023年城乡居民参保人数. Seed 003 sets no village target.
        var gaoyang = Rules("he-gaoyang-2024").Targets;
        Assert.Equal((TargetBase.ResidentPopulation, true, RuleSource.Seed), (gaoyang.Base, gaoyang.NotBelowLastYear, gaoyang.Source));
        Assert.Equal(RuleSource.Bureau, Rules("sc-meishan-2024").Targets.Source);
    }
}
