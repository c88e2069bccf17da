using Medins.ContributionCalculation.Domain;
using static Medins.ContributionCalculation.Tests.Policies.ShippedPolicies;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>Golden cases from seed 000 (Lidu subdistrict, 李渡街道), each naming its clause in the first column.</summary>
public sealed class LiduPolicyTests
{
    // Concentrated period (seed 000 §三(一)): a payment in November 2023 starts benefits on 1 January 2024.
    [Theory]
    [InlineData("seed 000 §三(一): no identity, tier 1 → pays 380", "", 1, 1, 0, 38000)]
    [InlineData("seed 000 §三(一): no identity, tier 2 → pays 755", "", 2, 2, 0, 75500)]
    [InlineData("seed 000 §三(一): tier 0 takes the default tier 1", "", 0, 1, 0, 38000)]
    [InlineData("seed 000 §三(三)1: 特困 tier 1 → subsidy 380, pays 0", "tekun", 1, 1, 38000, 0)]
    [InlineData("seed 000 §三(三)1: 特困 tier 2 → subsidy 380, pays 375", "tekun", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)1: 城乡孤儿 tier 1 → subsidy 380, pays 0", "orphan", 1, 1, 38000, 0)]
    [InlineData("seed 000 §三(三)1: 事实无人抚养困境儿童 tier 2 → subsidy 380, pays 375", "de-facto-unsupported-child", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)1: 低保 tier 1 → subsidy 342, pays 38", "dibao", 1, 1, 34200, 3800)]
    [InlineData("seed 000 §三(三)1: 低保 tier 2 → subsidy 380, pays 375", "dibao", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)1: 返贫致贫 tier 1 → subsidy 266, pays 114", "returned-to-poverty", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)1: 返贫致贫 tier 2 → subsidy 380, pays 375", "returned-to-poverty", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)1: 脱贫不稳定户 tier 1 → subsidy 266, pays 114", "unstable-out-of-poverty", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)1: 边缘易致贫户 tier 1 → subsidy 266, pays 114", "edge-poverty", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)1: 突发严重困难户 tier 2 → subsidy 380, pays 375", "sudden-hardship", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)1: 低保边缘户 tier 1 → subsidy 266, pays 114", "dibao-edge", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)2: 优抚对象 tier 1 → subsidy 380, pays 0", "entitled-group", 1, 1, 38000, 0)]
    [InlineData("seed 000 §三(三)2: 优抚对象 tier 2 → subsidy 380, pays 375", "entitled-group", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)2: 民政建档特殊困难人员 tier 1 → subsidy 266, pays 114", "civil-affairs-special-hardship", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)2: 重度（1—2级）残疾 tier 1 → subsidy 266, pays 114", "severe-disability", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)2: 重度（1—2级）残疾 tier 2 → subsidy 380, pays 375", "severe-disability", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)2: 因病致贫重病患者 tier 1 → subsidy 266, pays 114", "illness-impoverished", 1, 1, 26600, 11400)]
    [InlineData("seed 000 §三(三)3: 在乡复员军人 asking tier 1 → enrolled in tier 2, subsidy 755, pays 0", "veteran-at-home", 1, 2, 75500, 0)]
    [InlineData("seed 000 §三(三)3: 在乡复员军人 tier 2 → subsidy 755, pays 0", "veteran-at-home", 2, 2, 75500, 0)]
    [InlineData("seed 000 §三(三)3: 烈士遗属（三属） default tier → tier 2, pays 0", "martyr-family", 0, 2, 75500, 0)]
    [InlineData("seed 000 §三(三)3: 因公牺牲军人遗属（三属） tier 2 → pays 0", "on-duty-death-family", 2, 2, 75500, 0)]
    [InlineData("seed 000 §三(三)3: 病故军人遗属（三属） tier 1 → tier 2, pays 0", "illness-death-family", 1, 2, 75500, 0)]
    [InlineData("seed 000 §三(三)4: 计生奖扶 tier 1 → subsidy 304, pays 76", "family-planning-reward", 1, 1, 30400, 7600)]
    [InlineData("seed 000 §三(三)4: 计生奖扶 tier 2 → subsidy 304, pays 451", "family-planning-reward", 2, 2, 30400, 45100)]
    [InlineData("seed 000 §三(三)4: 计生特扶 tier 1 → subsidy 380, pays 0", "family-planning-special", 1, 1, 38000, 0)]
    [InlineData("seed 000 §三(三)4: 计生特扶 tier 2 → subsidy 380, pays 375", "family-planning-special", 2, 2, 38000, 37500)]
    [InlineData("seed 000 §三(三)4: 计生特扶残疾子女 tier 1 → pays 0", "family-planning-special-disabled-child", 1, 1, 38000, 0)]
    [InlineData("seed 000 §三(三)4: 计生手术并发症 tier 2 → pays 375", "family-planning-surgery-complication", 2, 2, 38000, 37500)]
    public void Quote_LiduConcentratedPeriod_PricesSeedTable(string clause, string identity, int tier, int expectedTier, long subsidyFen, long personalFen)
    {
        var quote = Lidu.Quote(Facts("2023-11-15", tier, identities: identity)).Priced();

        Assert.True(expectedTier == quote.Tier, clause);
        Assert.Equal(subsidyFen, quote.SubsidyFen);
        Assert.Equal(personalFen, quote.PersonalFen);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
        Assert.Equal(0, quote.WaitingDays);
    }

    // University students (seed 000 §三(二)) have their own standards: 350 and 725.
    [Theory]
    [InlineData("seed 000 §三(二): student tier 1 → pays 350", "", 1, 0, 35000)]
    [InlineData("seed 000 §三(二): student tier 2 → pays 725", "", 2, 0, 72500)]
    [InlineData("seed 000 §三(三)2: 家庭经济困难大学生 tier 1 → subsidy 245, pays 105", "hardship-university-student", 1, 24500, 10500)]
    [InlineData("seed 000 §三(三)2: 家庭经济困难大学生 tier 2 → subsidy 350, pays 375", "hardship-university-student", 2, 35000, 37500)]
    [InlineData("seed 000 §三(三)1 on §三(二): 特困 student tier 1 → subsidy capped at the 350 standard, pays 0", "tekun", 1, 35000, 0)]
    [InlineData("seed 000 §三(三)1 on §三(二): 低保 student tier 2 → subsidy 380, pays 345", "dibao", 2, 38000, 34500)]
    public void Quote_LiduUniversityStudent_UsesStudentStandards(string clause, string identity, int tier, long subsidyFen, long personalFen)
    {
        var quote = Lidu.Quote(Facts("2023-11-20", tier, "university-student", identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(subsidyFen, quote.SubsidyFen);
        Assert.Equal("university-student", quote.PersonGroup);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
    }

    [Fact]
    public void Quote_LiduResidentHoldingStudentHardshipIdentity_IgnoresIt()
    {
        // seed 000 §三(三)2: the hardship subsidy is for university students only.
        var quote = Lidu.Quote(Facts("2023-11-20", 1, identities: "hardship-university-student")).Priced();

        Assert.Equal(38000, quote.PersonalFen);
        Assert.Contains("不适用于城乡居民", quote.Explanation);
    }

    // Mid-year enrolment in 2024 (seed 000 §三(四)) with the band boundaries.
    [Theory]
    [InlineData("seed 000 §三(一): last day of the concentrated period → 1 Jan", "2023-12-31", 1, 38000, 0, "2024-01-01", 0)]
    [InlineData("seed 000 §三(四)1: 1 Jan → from 1 Feb", "2024-01-01", 1, 38000, 0, "2024-02-01", 31)]
    [InlineData("seed 000 §三(四)1: 31 Jan → from 1 Feb", "2024-01-31", 1, 38000, 0, "2024-02-01", 1)]
    [InlineData("seed 000 §三(四)1: 29 Feb → from 1 Mar (next month), tier 2 pays 755", "2024-02-29", 2, 75500, 0, "2024-03-01", 1)]
    [InlineData("seed 000 §三(四)2: 1 Mar → 90 days later, 30 May", "2024-03-01", 1, 38000, 0, "2024-05-30", 90)]
    [InlineData("seed 000 §三(四)2: 30 Jun → 90 days later, 28 Sep", "2024-06-30", 1, 38000, 0, "2024-09-28", 90)]
    [InlineData("seed 000 §三(四)3: 1 Jul → 380 + fiscal subsidy 640, from 29 Sep", "2024-07-01", 1, 102000, 64000, "2024-09-29", 90)]
    [InlineData("seed 000 §三(四)3: 30 Sep, tier 2 → 755 + 640, from 29 Dec", "2024-09-30", 2, 139500, 64000, "2024-12-29", 90)]
    public void Quote_LiduMidYearBands_PricesAndStartsAsSeedSays(string clause, string pay, int tier, long personalFen, long surchargeFen,
        string start, int waitingDays)
    {
        var quote = Lidu.Quote(Facts(pay, tier)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(surchargeFen, quote.SurchargeFen);
        Assert.Equal(Day(start), quote.BenefitStart);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
        Assert.Equal(waitingDays, quote.WaitingDays);
    }

    // Low-income identities of seed 000 §三(三)1: no waiting period; from 1 July the medical-assistance fund pays their
    // subsidy and a district fund their fiscal part (no surcharge); they may enrol until 31 December.
    [Theory]
    [InlineData("seed 000 §三(三)1: 低保 in Jan–Feb → covered from the payment day", "2024-01-15", "dibao", 3800, 0, "2024-01-15", "subsidy-fund")]
    [InlineData("seed 000 §三(三)1: 特困 in Mar–Jun → no 90-day wait", "2024-03-05", "tekun", 0, 0, "2024-03-05", "subsidy-fund")]
    [InlineData("seed 000 §三(三)1: 低保边缘户 on 30 Jun → no wait, ordinary fund", "2024-06-30", "dibao-edge", 11400, 0, "2024-06-30", "subsidy-fund")]
    [InlineData("seed 000 §三(三)1: 低保 on 1 Jul → no surcharge, medical-assistance fund", "2024-07-01", "dibao", 3800, 0, "2024-07-01", "medical-assistance-fund")]
    [InlineData("seed 000 §三(三)1: 返贫致贫 in Aug → no surcharge, medical-assistance fund", "2024-08-20", "returned-to-poverty", 11400, 0, "2024-08-20", "medical-assistance-fund")]
    [InlineData("seed 000 §三(三)1: 特困 on 1 Oct → may still enrol, pays 0", "2024-10-01", "tekun", 0, 0, "2024-10-01", "medical-assistance-fund")]
    [InlineData("seed 000 §三(三)1: 边缘易致贫户 on 31 Dec → may still enrol", "2024-12-31", "edge-poverty", 11400, 0, "2024-12-31", "medical-assistance-fund")]
    public void Quote_LiduLowIncomeMidYear_NoWaitingAndAssistanceFunding(string clause, string pay, string identity, long personalFen,
        long surchargeFen, string start, string fundingSource)
    {
        var quote = Lidu.Quote(Facts(pay, 1, identities: identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(surchargeFen, quote.SurchargeFen);
        Assert.Equal(Day(start), quote.BenefitStart);
        Assert.Equal(0, quote.WaitingDays);
        Assert.Equal(fundingSource, quote.Lines.Single(l => l.Kind == PricedLineKind.Subsidy).FundingSource);
        Assert.Contains("不设待遇享受等待期", quote.Explanation);
    }

    [Theory]
    [InlineData("seed 000 §三(三)2 + §三(四)2: 优抚对象 in March waits 90 days like anyone", "2024-03-01", "entitled-group", 0, 0, "2024-05-30")]
    [InlineData("seed 000 §三(三)4 + §三(四)3: 计生奖扶 in July pays 76 + 640, waits 90 days", "2024-07-10", "family-planning-reward", 71600, 64000, "2024-10-08")]
    [InlineData("seed 000 §三(三)3 + §三(四)3: 在乡复员军人 in July: 755 subsidised, pays the 640 fiscal part", "2024-07-05", "veteran-at-home", 64000, 64000, "2024-10-03")]
    public void Quote_LiduOtherIdentitiesMidYear_KeepWaitingAndSurcharge(string clause, string pay, string identity, long personalFen,
        long surchargeFen, string start)
    {
        var quote = Lidu.Quote(Facts(pay, 1, identities: identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(surchargeFen, quote.SurchargeFen);
        Assert.Equal(Day(start), quote.BenefitStart);
        Assert.Equal(90, quote.WaitingDays);
    }

    [Theory]
    [InlineData("seed 000 §三(四): no rule after September for ordinary residents", "2024-10-01", "", "", "", "OUTSIDE_COLLECTION_PERIOD", "")]
    [InlineData("seed 000 §三(四): 31 Dec 2024 is closed to ordinary residents", "2024-12-31", "", "", "", "OUTSIDE_COLLECTION_PERIOD", "")]
    [InlineData("seed 000 §三(一): before the plan was issued → opens 26 Oct 2023", "2023-10-25", "", "", "", "OUTSIDE_COLLECTION_PERIOD", "2023-10-26")]
    [InlineData("seed 000 §三(三)4: 计生奖扶 is not low-income, so October is closed", "2024-10-10", "", "family-planning-reward", "", "OUTSIDE_COLLECTION_PERIOD", "")]
    [InlineData("seed 000 §三(二): students have no mid-year rule", "2024-01-02", "university-student", "", "", "OUTSIDE_COLLECTION_PERIOD", "")]
    [InlineData("seed 000 §三(二): school-year-scheme students are covered to Dec 2024", "2023-11-01", "university-student", "", "school-year-scheme@2023-09-05", "ALREADY_COVERED", "")]
    public void Quote_LiduOutsideItsRules_Refuses(string clause, string pay, string group, string identity, string lifeEvent, string reason, string next)
    {
        var refusal = Lidu.Quote(Facts(pay, 1, group, identity, lifeEvent)).Refused();

        Assert.True(reason == refusal.Reason, clause);
        Assert.Equal(OptionalDay(next), refusal.NextPossibleDate);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Message));
    }

    [Fact]
    public void Quote_LiduNewStudentAtAdmission_CoveredFromDayAfterPaymentToEndOfNextYear()
    {
        // seed 000 §三(二): 新生入学时参加下一年度居民医保的，待遇享受时间为完成缴费的次日至次年12月31日.
        var quote = Lidu.Quote(Facts("2023-09-15", 1, "university-student", lifeEvent: "new-student@2023-09-01")).Priced();

        Assert.Equal(35000, quote.PersonalFen);
        Assert.Equal(Day("2023-09-16"), quote.BenefitStart);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
    }

    [Fact]
    public void Quote_LiduNewStudentInTheGeneralStudentPeriod_StillFromDayAfterPayment()
    {
        // seed 000 §三(二): the admission rule also holds when a new student pays during the students' concentrated period.
        var quote = Lidu.Quote(Facts("2023-11-02", 2, "university-student", "hardship-university-student", "new-student@2023-09-01")).Priced();

        Assert.Equal(37500, quote.PersonalFen);
        Assert.Equal(Day("2023-11-03"), quote.BenefitStart);
    }

    // Precedence (seed 000 §三(三)): the highest subsidy at payment time, never two.
    [Theory]
    [InlineData("seed 000 §三(三): 低保 + 返贫致贫, tier 1 → 低保's 342", "dibao,returned-to-poverty", 1, 1, "dibao", 3800)]
    [InlineData("seed 000 §三(三): 返贫致贫 + 特困, tier 1 → 特困's 380", "returned-to-poverty,tekun", 1, 1, "tekun", 0)]
    [InlineData("seed 000 §三(三): 低保边缘 + 计生奖扶, tier 1 → 计生奖扶's 304", "dibao-edge,family-planning-reward", 1, 1, "family-planning-reward", 7600)]
    [InlineData("seed 000 §三(三): 低保 + 在乡复员军人, tier 1 → the veteran's full tier-2 755", "dibao,veteran-at-home", 1, 2, "veteran-at-home", 0)]
    [InlineData("seed 000 §三(三): 重度残疾 + 低保 + 计生奖扶, tier 1 → 低保's 342", "severe-disability,dibao,family-planning-reward", 1, 1, "dibao", 3800)]
    public void Quote_LiduSeveralIdentities_HighestSubsidyOnly(string clause, string identities, int tier, int expectedTier, string applied, long personalFen)
    {
        var quote = Lidu.Quote(Facts("2023-12-01", tier, identities: identities)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(expectedTier, quote.Tier);
        Assert.Equal(applied, Assert.Single(quote.Lines, l => l.Kind == PricedLineKind.Subsidy).Category);
        Assert.Contains("不重复享受", quote.Explanation);
    }

    [Theory]
    [InlineData("seed 000 §三(三) + §三(四)3: 低保 (342) + 优抚对象 (380) in July → 优抚对象's 380, surcharged", "2024-07-15", "dibao,entitled-group", "entitled-group", 38000, 64000)]
    [InlineData("seed 000 §三(三) + §三(四)3: 优抚对象 + 低保 in September (order of codes does not matter)", "2024-09-30", "entitled-group,dibao", "entitled-group", 38000, 64000)]
    [InlineData("seed 000 §三(三): 低保 + 优抚对象 in the concentrated period → 优抚对象's 380", "2023-12-01", "dibao,entitled-group", "entitled-group", 38000, 0)]
    [InlineData("seed 000 §三(三) + §三(四)3: 低保 (342) + 返贫致贫 (266) in July → 低保's 342, no surcharge", "2024-07-15", "returned-to-poverty,dibao", "dibao", 34200, 0)]
    public void Quote_LiduSeveralIdentitiesInJulySeptember_RanksBySubsidyNotByWhatSheEndsUpPaying(string clause, string pay, string identities,
        string applied, long subsidyFen, long surchargeFen)
    {
        // seed 000 三（三） "按其参保缴费时的最高资助标准身份进行资助" ranks identities by their subsidy. In July–September the
        // low-income 低保 is spared the fiscal-subsidy surcharge (三（三）1) and 优抚对象 is not, yet 优抚对象's 380 is the
        // higher subsidy: the surcharge does not let 低保 (pays 38) beat it.
        var quote = Lidu.Quote(Facts(pay, 1, identities: identities)).Priced();

        Assert.True(applied == Assert.Single(quote.Lines, l => l.Kind == PricedLineKind.Subsidy).Category, clause);
        Assert.Equal(subsidyFen, quote.SubsidyFen);
        Assert.Equal(surchargeFen, quote.SurchargeFen);
        Assert.Equal(38000 - subsidyFen + surchargeFen, quote.PersonalFen);
    }

    [Theory]
    [InlineData("death")]
    [InlineData("army")]
    [InlineData("duplicate")]
    public void DecideRefund_Lidu_SeedStatesNoRefundReason(string reason)
    {
        // seed 000 states no refund of a paid contribution; the reasons of seed 004 二（五）3 are not Lidu's.
        var decision = Lidu.DecideRefund(reason, Day("2023-12-10"), Day("2024-01-01"), 38000);

        Assert.False(decision.Allowed);
        Assert.Equal(RefundDecisionReasons.ReasonNotInPolicy, decision.Reason);
        Assert.Empty(Lidu.Refunds.Reasons);
        Assert.Contains("未载明", decision.Message);
        Assert.DoesNotContain("〔", decision.Message);
        Assert.False(Lidu.Refunds.OnlyBeforeBenefitStart);
    }

    [Fact]
    public void Policy_Lidu_MarksWhatTheSeedLeavesOpenAsTheBureaus()
    {
        // seed 000 三（四）3 names "当年财政补助金额" without an amount; the resident opening day and the pre-July fund are
        // not stated either: each is a bureau parameter with a note, not a clause of the seed.
        var paths = Lidu.BureauParameters.Select(p => p.Path).ToList();

        Assert.Contains("$.fiscalSubsidy", paths);
        Assert.Contains("$.collectionPeriods[0]", paths);
        Assert.Contains("$.fundingSources[0]", paths);
        Assert.All(Lidu.BureauParameters, p => Assert.Contains("未载明", p.Note));
    }

    [Fact]
    public void Quote_LiduUnknownIdentityCode_IgnoredAndNamedInExplanation()
    {
        var quote = Lidu.Quote(Facts("2023-11-15", 1, identities: "dibao,2304")).Priced();

        Assert.Equal(3800, quote.PersonalFen);
        Assert.Contains("未纳入本政策的身份代码：2304", quote.Explanation);
    }

    [Fact]
    public void Quote_LiduDibao_ExplanationNamesStandardIdentityFundingAndPeriod()
    {
        var quote = Lidu.Quote(Facts("2024-07-01", 1, identities: "dibao")).Priced();

        Assert.Contains("个人缴费标准380元〔三（一）〕", quote.Explanation);
        Assert.Contains("资助身份：低保对象，资助342元，由医疗救助资金承担〔三（三）1〕", quote.Explanation);
        Assert.Contains("不向个人加收", quote.Explanation);
        Assert.Contains("待遇享受期2024年7月1日至2024年12月31日", quote.Explanation);
    }

    [Fact]
    public void DecideDifferentialRefund_LiduIdentityCertifiedAfterPayment_NoTopUp()
    {
        // seed 000 §三(三): 资助人员享受资助参保后，人员身份再次发生变化的，不再进行差额资助.
        var paid = Lidu.Quote(Facts("2023-11-01", 1)).Priced();

        var decision = Lidu.DecideDifferentialRefund(paid, Facts("2023-11-01", 1, identities: "dibao"), Day("2023-11-20"));

        Assert.False(decision.Allowed);
        Assert.Equal(RefundDecisionReasons.NoDifferentialRefund, decision.Reason);
    }

    [Fact]
    public void Policy_Lidu_AppliesToLiduOnlyWithTwoTiers()
    {
        Assert.Equal(["cq-lidu"], Lidu.TenantIds);
        Assert.Equal([1, 2], Lidu.Tiers.Select(t => t.Tier));
        Assert.False(Lidu.EnrolHouseholdTogether);
        Assert.Null(Lidu.SupplementaryInsurance);
    }
}
