using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

public class TargetsTests
{
    private static readonly TargetRule Linjiang = QuotaRulesReader.Read(ShippedRules.Text("cq-linjiang-2024")).Targets;
    private static readonly TargetRule Gaoyang = QuotaRulesReader.Read(ShippedRules.Text("he-gaoyang-2024")).Targets;

    // Seed 002 attachment (永川区临江镇2024年度城乡居民医保筹资任务表): registered population → task.
    public static TheoryData<int, int> LinjiangTaskTable() => new()
    {
        { 5027, 4776 }, { 2540, 2413 }, { 3412, 3241 }, { 2358, 2240 }, { 2461, 2338 }, { 2952, 2804 },
        { 3953, 3755 }, { 5198, 4938 }, { 2668, 2535 }, { 3329, 3163 }, { 3796, 3606 },
    };

    [Theory]
    [MemberData(nameof(LinjiangTaskTable))]
    public void Resolve_LinjiangRegisteredPopulation_ReproducesTheSeedTask(int registered, int task)
    {
        var target = Targets.Resolve(Linjiang, new VillageBases(registered, null, null, null))!;

        Assert.Equal(task, target.Task);
        Assert.Equal(registered, target.Base);
        Assert.False(target.FromTaskTable);
    }

    [Fact]
    public void Resolve_LinjiangTotal_ReproducesTheSeedTotal()
    {
        // Seed 002 attachment, 合计: 37694 → 35809.
        var total = LinjiangTaskTable().Sum(row => Targets.Resolve(Linjiang, new VillageBases((int)row[0], null, null, null))!.Task);

        Assert.Equal(35809, total);
    }

    [Fact]
    public void Resolve_TaskTableGiven_KeptAsGiven()
    {
        var target = Targets.Resolve(Linjiang, new VillageBases(5027, null, null, 4700))!;

        Assert.Equal(4700, target.Task);
        Assert.True(target.FromTaskTable);
    }

    [Fact]
    public void Resolve_GaoyangBelowLastYear_RaisedToLastYear()
    {
        // Seed 004 §一(三)1: 95% of the resident population and not below 2023's enrolled count.
        var target = Targets.Resolve(Gaoyang, new VillageBases(null, 1000, 960, null))!;

        Assert.Equal(960, target.Task);
        Assert.True(target.RaisedToLastYear);
        Assert.Equal(1000, target.Base);
    }

    [Fact]
    public void Resolve_GaoyangAboveLastYear_CeilingOfNinetyFivePercent()
    {
        var target = Targets.Resolve(Gaoyang, new VillageBases(null, 2001, 1500, null))!;

        // 2001 × 95% = 1900.95: "95%以上" needs 1901.
        Assert.Equal(1901, target.Task);
        Assert.False(target.RaisedToLastYear);
    }

    [Fact]
    public void Resolve_BaseTheRulesNeedIsMissing_Null()
    {
        Assert.Null(Targets.Resolve(Gaoyang, new VillageBases(5000, null, 4000, null)));
    }

    [Theory]
    [InlineData(57, 9900, 57)]
    [InlineData(100, 9900, 99)]
    [InlineData(101, 9900, 100)]
    [InlineData(40, 10_000, 40)]
    [InlineData(0, 9900, 0)]
    public void KeyGroupTarget_FewestPeopleReachingTheRate(int groupBase, int rateBp, int expected)
    {
        Assert.Equal(expected, Targets.KeyGroupTarget(groupBase, rateBp));
        if (groupBase > 0)
        {
            Assert.True(Rate.Of(expected, groupBase)!.Value.AtLeastBp(rateBp));
            Assert.False(Rate.Of(expected - 1, groupBase)!.Value.AtLeastBp(rateBp));
        }
    }
}
