using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using ErrorReason = Medins.Contribution.V1.ErrorReason;
using static Medins.ContributionCalculation.Tests.Policies.ShippedPolicies;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>
/// Golden cases from seed 002 (Linjiang town, 临江镇). The seed names the subsidised groups and the deadline but no
/// amounts, dates or mid-year rules: Linjiang follows Chongqing's 2024 rules, which seed 000 (Lidu, the same
/// municipality and year) states — tiers, university students, subsidies (三（三）), mid-year windows (三（四）).
/// </summary>
public sealed class LinjiangPolicyTests
{
    [Theory]
    [InlineData("seed 002 §一 (Chongqing tiers per seed 000 §三(一)): tier 1 → pays 380", "", 1, 38000)]
    [InlineData("seed 002 §一 (Chongqing tiers per seed 000 §三(一)): tier 2 → pays 755", "", 2, 75500)]
    [InlineData("seed 002 §二(二) 特困供养对象 (amount per seed 000 §三(三)1): tier 1 → pays 0", "tekun", 1, 0)]
    [InlineData("seed 002 §二(二) 特困供养对象: tier 2 → pays 375", "tekun", 2, 37500)]
    [InlineData("seed 002 §二(二) 低保对象: tier 1 → pays 38", "dibao", 1, 3800)]
    [InlineData("seed 002 §二(二) 低保边缘户: tier 1 → pays 114", "dibao-edge", 1, 11400)]
    [InlineData("seed 002 §二(二) 边缘易致贫户 (乡村振兴办定额资助): tier 1 → pays 114", "edge-poverty", 1, 11400)]
    [InlineData("seed 002 §二(二) 其他民政对象: tier 1 → pays 114", "civil-affairs-special-hardship", 1, 11400)]
    [InlineData("seed 002 §二(二) 重点优抚对象: tier 1 → pays 0", "entitled-group", 1, 0)]
    // Was "在乡复员军人 is not named in Linjiang's plan → ignored" (pays 380): issue 16 puts Linjiang under Chongqing's
    // subsidies as seed 000 三（三） states them, and 三（三）3 subsidises 在乡复员军人 fully in tier 2.
    [InlineData("seed 000 §三(三)3 (Chongqing): 在乡复员军人 → tier 2, fully subsidised, pays 0", "veteran-at-home", 1, 0)]
    [InlineData("seed 000 §三(三)4 (Chongqing): 计划生育奖励扶助 → 304 subsidy, pays 76", "family-planning-reward", 1, 7600)]
    public void Quote_LinjiangConcentratedPeriod_ChongqingAmounts(string clause, string identity, int tier, long personalFen)
    {
        var quote = Linjiang.Quote(Facts("2023-12-20", tier, identities: identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
        Assert.Equal(0, quote.WaitingDays);
    }

    // Issue 16: Linjiang refused every 2024 payment ("the plan states no mid-year rule"); Chongqing's mid-year rules
    // (seed 000 三（四）) apply to it as to Lidu.
    [Theory]
    [InlineData("seed 000 §三(四)1: paid 5 Jan 2024 → 380, from 1 Feb", "2024-01-05", "", 38000, 0, "2024-02-01")]
    [InlineData("seed 000 §三(四)2: paid 10 Apr 2024 → 380, 90 days later", "2024-04-10", "", 38000, 0, "2024-07-09")]
    [InlineData("seed 000 §三(四)3: paid 15 Jul 2024 → 380 + the year's fiscal subsidy, 90 days later", "2024-07-15", "", 102000, 64000, "2024-10-13")]
    [InlineData("seed 000 §三(三)1 + §三(四)3: 低保 paying 15 Jul 2024 → 38, no surcharge, no waiting", "2024-07-15", "dibao", 3800, 0, "2024-07-15")]
    [InlineData("seed 000 §三(三)1: 特困 paying 20 Nov 2024 → 0, no waiting", "2024-11-20", "tekun", 0, 0, "2024-11-20")]
    public void Quote_Linjiang2024Payments_PricedUnderChongqingMidYearRules(string clause, string pay, string identity, long personalFen,
        long surchargeFen, string start)
    {
        var quote = Linjiang.Quote(Facts(pay, 1, identities: identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(surchargeFen, quote.SurchargeFen);
        Assert.Equal(Day(start), quote.BenefitStart);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
    }

    [Theory]
    [InlineData("seed 000 §三(二): 在渝高校大学生 tier 1 → 350", 1, 35000)]
    [InlineData("seed 000 §三(二): 在渝高校大学生 tier 2 → 725", 2, 72500)]
    public void Quote_LinjiangUniversityStudent_ChongqingStudentStandards(string clause, int tier, long personalFen)
    {
        var quote = Linjiang.Quote(Facts("2023-11-20", tier, "university-student")).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
    }

    [Fact]
    public void Quote_LinjiangNewStudentAtAdmission_CoveredFromDayAfterPayment()
    {
        // seed 000 §三(二): 新生入学时参加我市下一年度居民医保的，待遇享受时间为完成缴费的次日至次年12月31日.
        var quote = Linjiang.Quote(Facts("2023-09-15", 1, "university-student", lifeEvent: "new-student@2023-09-01")).Priced();

        Assert.Equal(Day("2023-09-16"), quote.BenefitStart);
        Assert.Equal(35000, quote.PersonalFen);
    }

    [Theory]
    [InlineData("seed 000 §三(四): ordinary residents may not enrol after September", "2024-10-05", "")]
    [InlineData("seed 002 §一: before the (bureau's) opening day → 1 Sep 2023", "2023-08-31", "2023-09-01")]
    public void Quote_LinjiangOutsideCampaign_RefusedWithNextDate(string clause, string pay, string next)
    {
        var refusal = Linjiang.Quote(Facts(pay)).Refused();

        Assert.True(refusal.Reason == ErrorReasons.Code(ErrorReason.OutsideCollectionPeriod), clause);
        Assert.Equal(OptionalDay(next), refusal.NextPossibleDate);
    }

    [Fact]
    public void DecideRefund_Linjiang_NeitherSeedStatesARefundReason()
    {
        // Seeds 002 and 000 state no refund of a paid contribution (002 §二(二)'s certificates reduce a village's task).
        var decision = Linjiang.DecideRefund("death", Day("2023-12-10"), Day("2024-01-01"), 38000);

        Assert.Equal(RefundDecisionReasons.ReasonNotInPolicy, decision.Reason);
        Assert.False(Linjiang.Refunds.OnlyBeforeBenefitStart);
    }

    [Fact]
    public void Policy_Linjiang_AppliesToLinjiangWithChongqingTiersAndGroups()
    {
        Assert.Equal(["cq-linjiang"], Linjiang.TenantIds);
        var resident = Linjiang.PersonGroups.Single(g => g.Id == "resident");
        Assert.Equal(38000, resident.StandardFenByTier[1]);
        Assert.Equal(75500, resident.StandardFenByTier[2]);
        Assert.Equal(35000, Linjiang.PersonGroups.Single(g => g.Id == "university-student").StandardFenByTier[1]);
        // Neither seed states the fiscal subsidy amount nor the opening day: the bureau's, with a note.
        Assert.Contains(Linjiang.BureauParameters, p => p.Path == "$.fiscalSubsidy");
        Assert.Contains(Linjiang.BureauParameters, p => p.Path == "$.collectionPeriods[0]");
    }
}
