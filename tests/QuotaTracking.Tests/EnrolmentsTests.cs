using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

public class EnrolmentsTests
{
    private static readonly QuotaRules Linjiang = QuotaRulesReader.Read(ShippedRules.Text("cq-linjiang-2024"));

    [Fact]
    public void Payment_PersonalPart_Paid()
    {
        Assert.Equal(new CountDelta(Enrolled: 1, Paid: 1, CollectedFen: 38000, SubsidyFen: 0), Enrolments.Payment(38000, 0));
    }

    [Fact]
    public void Payment_NoPersonalPart_ZeroContribution()
    {
        Assert.Equal(new CountDelta(Enrolled: 1, ZeroContribution: 1, SubsidyFen: 38000), Enrolments.Payment(0, 38000));
    }

    [Fact]
    public void FullRefund_OfZeroContribution_TakesTheZeroCountBack()
    {
        Assert.Equal(new CountDelta(Enrolled: -1, ZeroContribution: -1, Refunded: 1, SubsidyFen: -38000),
            Enrolments.FullRefund(zeroContribution: true, refundedFen: 0, withdrawnSubsidyFen: 38000));
    }

    [Fact]
    public void DifferentialRefund_WholePersonalPart_MovesPaidToZeroAndAddsTheNewKeyGroup()
    {
        var change = Enrolments.DifferentialRefund(38000, 38000, 38000, [], ["poverty-alleviated-and-monitored"]);

        Assert.Equal(new CountDelta(Paid: -1, ZeroContribution: 1, CollectedFen: -38000, DifferentialRefunds: 1, SubsidyFen: 38000), change.Delta);
        Assert.True(change.NowZeroContribution);
        Assert.Equal(0, change.NetPersonalFen);
        Assert.Equal(["poverty-alleviated-and-monitored"], change.AddedKeyGroups);
    }

    [Fact]
    public void DifferentialRefund_AlreadyInTheKeyGroup_NotAddedAgain()
    {
        var change = Enrolments.DifferentialRefund(3800, 3800, 3800, ["poverty-alleviated-and-monitored"], ["poverty-alleviated-and-monitored"]);

        Assert.Empty(change.AddedKeyGroups);
    }

    [Fact]
    public void KeyGroupsOf_CategoryOrPersonGroup_EveryMatchingGroup()
    {
        // Seed 002 §一 (脱贫人口和低收入监测对象): 低保 is in it; 重点优抚对象 is subsidised but not in it.
        Assert.Equal(["poverty-alleviated-and-monitored"], Enrolments.KeyGroupsOf(Linjiang, ["dibao"], "resident"));
        Assert.Empty(Enrolments.KeyGroupsOf(Linjiang, ["entitled-group"], "resident"));
        Assert.Empty(Enrolments.KeyGroupsOf(null, ["dibao"], "resident"));
        // A person group matches a group that names it.
        var pupils = Linjiang with { KeyGroups = [new KeyGroupRule { Id = "pupils", Name = "在校学生", TargetRateBp = 10000, PersonGroups = ["pupil"] }] };
        Assert.Equal(["pupils"], Enrolments.KeyGroupsOf(pupils, [], "pupil"));
    }

    [Fact]
    public void Sum_SameFundAndCategoryTwice_OneSignedLineInKeyOrder()
    {
        var lines = Enrolments.Sum(
        [
            new FundLine("b-fund", "dibao", 100, ""),
            new FundLine("a-fund", "tekun", 50, "特困"),
            new FundLine("b-fund", "dibao", 20, "低保"),
        ], sign: -1);

        Assert.Equal([new FundLine("a-fund", "tekun", -50, "特困"), new FundLine("b-fund", "dibao", -120, "低保")], lines);
    }

    [Theory]
    [InlineData(0, 100, 1)]
    [InlineData(100, 0, -1)]
    [InlineData(100, 150, 0)]
    [InlineData(-100, 0, 0)]
    [InlineData(0, -100, 0)]
    public void PeopleChange_CountsWhileTheNetLineIsPositive(long before, long after, long change)
    {
        Assert.Equal(change, Enrolments.PeopleChange(before, after));
    }
}
