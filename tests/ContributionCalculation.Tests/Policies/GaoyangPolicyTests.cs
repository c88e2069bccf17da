using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using ErrorReason = Medins.Contribution.V1.ErrorReason;
using static Medins.ContributionCalculation.Tests.Policies.ShippedPolicies;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>Golden cases from seed 004 (Gaoyang county, 高阳县), each naming its clause.</summary>
public sealed class GaoyangPolicyTests
{
    [Theory]
    [InlineData("seed 004 §二(一): ordinary resident → pays 380", "", 38000, "")]
    [InlineData("seed 004 §二(三): 特困人员 → 100%, pays 0", "tekun", 0, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 低保对象 → 90% (342), pays 38", "dibao", 3800, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 返贫致贫人口 → 90%, pays 38", "returned-to-poverty", 3800, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 脱贫不稳定人口 → 90%, pays 38", "unstable-out-of-poverty", 3800, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 脱贫人口突发严重困难人口 → 90%, pays 38", "out-of-poverty-sudden-hardship", 3800, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 其他脱贫人口 → 70% (266), pays 114", "stable-out-of-poverty", 11400, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 边缘易致贫人口 → 70%, pays 114", "edge-poverty", 11400, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 突发严重困难人口 → 70%, pays 114", "sudden-hardship", 11400, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三): 县政府规定的其他困难人员 → amount not set (parameter 0), pays 380", "county-designated-hardship", 38000, "")]
    [InlineData("seed 004 §二(三) 就高不就低: 低保 + 边缘易致贫 → 90%", "edge-poverty,dibao", 3800, "medical-assistance-fund")]
    [InlineData("seed 004 §二(三) 不得重复享受: 特困 + 低保 → 100% once", "dibao,tekun", 0, "medical-assistance-fund")]
    public void Quote_GaoyangIdentities_PricesSharesOf380(string clause, string identities, long personalFen, string fundingSource)
    {
        var quote = Gaoyang.Quote(Facts("2023-10-10", identities: identities)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
        Assert.Equal(fundingSource, quote.Lines.SingleOrDefault(l => l.Kind == PricedLineKind.Subsidy)?.FundingSource ?? "");
    }

    [Theory]
    [InlineData("seed 004 §一(三)2: 特困 student studying elsewhere → county government pays", "university-student-elsewhere", "tekun", 0, "fiscal-special-fund:county-government")]
    [InlineData("seed 004 §一(三)2: 低保 student studying elsewhere → county government pays 342", "university-student-elsewhere", "dibao", 3800, "fiscal-special-fund:county-government")]
    [InlineData("seed 004 §二(五)3: resident 低保 → medical-assistance fund", "resident", "dibao", 3800, "medical-assistance-fund")]
    public void Quote_GaoyangStudentsElsewhere_CountyGovernmentFunds(string clause, string group, string identity, long personalFen, string fundingSource)
    {
        var quote = Gaoyang.Quote(Facts("2023-11-05", group: group, identities: identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(fundingSource, quote.Lines.Single(l => l.Kind == PricedLineKind.Subsidy).FundingSource);
    }

    // seed 004 §三(四): 9月1日-12月25日征缴，每月1日至25日为缴费时段，26日至月末为费款结算期.
    [Theory]
    [InlineData("seed 004 §三(四): 1 Sep, first day → accepted", "2023-09-01")]
    [InlineData("seed 004 §三(四): 25 Oct, last payment day of the month → accepted", "2023-10-25")]
    [InlineData("seed 004 §三(四): 1 Nov → accepted", "2023-11-01")]
    [InlineData("seed 004 §三(四): 25 Dec, last day of collection → accepted", "2023-12-25")]
    public void Quote_GaoyangPaymentDays_Accepted(string clause, string pay)
    {
        var quote = Gaoyang.Quote(Facts(pay)).Priced();

        Assert.True(quote.PersonalFen == 38000, clause);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
    }

    [Theory]
    [InlineData("seed 004 §三(四): 26 Sep is settlement → next 1 Oct", "2023-09-26", "SETTLEMENT_DAYS", "2023-10-01")]
    [InlineData("seed 004 §三(四): 26 Oct is settlement → next 1 Nov", "2023-10-26", "SETTLEMENT_DAYS", "2023-11-01")]
    [InlineData("seed 004 §三(四): 31 Oct, month end → next 1 Nov", "2023-10-31", "SETTLEMENT_DAYS", "2023-11-01")]
    [InlineData("seed 004 §三(四): 30 Nov, month end → next 1 Dec", "2023-11-30", "SETTLEMENT_DAYS", "2023-12-01")]
    [InlineData("seed 004 §三(四): 26 Dec, after collection closed → no next date", "2023-12-26", "OUTSIDE_COLLECTION_PERIOD", "")]
    [InlineData("seed 004 §三(四): 31 Aug, before collection opens → 1 Sep", "2023-08-31", "OUTSIDE_COLLECTION_PERIOD", "2023-09-01")]
    [InlineData("seed 004 §三(四): Feb 2024, no mid-year rule → no next date", "2024-02-10", "OUTSIDE_COLLECTION_PERIOD", "")]
    public void Quote_GaoyangOutsidePaymentDays_RefusedWithNextDate(string clause, string pay, string reason, string next)
    {
        var refusal = Gaoyang.Quote(Facts(pay)).Refused();

        Assert.True(reason == refusal.Reason, clause);
        Assert.Equal(OptionalDay(next), refusal.NextPossibleDate);
    }

    // seed 004 §二(五)2: newborns registered and paid within 180 days are covered from birth.
    [Theory]
    // Was "born 1 Jan, paid on day 180 (29 Jun)": 29 Jun is a settlement day (seed 004 三（四）), so the 180th day is taken
    // from a birth whose 180th day is a payment day.
    [InlineData("seed 004 §二(五)2: born 5 Jan, paid on day 180 (3 Jul) → from birth", "2024-01-05", "2024-07-03", "", 38000, "2024-01-05")]
    [InlineData("seed 004 §二(五)2: born 1 Mar, paid 10 Apr → from 1 Mar", "2024-03-01", "2024-04-10", "", 38000, "2024-03-01")]
    [InlineData("seed 004 §二(五)2 + §二(三): 低保 newborn born 1 Nov 2024 → from birth, pays 38", "2024-11-01", "2024-12-20", "dibao", 3800, "2024-11-01")]
    [InlineData("seed 004 §二(五)2: born Jul 2023, paid in the campaign (same year) → 2024 from 1 Jan only", "2023-07-01", "2023-11-10", "", 38000, "2024-01-01")]
    public void Quote_GaoyangNewborn_CoveredFromBirth(string clause, string birth, string pay, string identities, long personalFen, string start)
    {
        var quote = Gaoyang.Quote(Facts(pay, identities: identities, lifeEvent: "newborn@" + birth, birth: birth)).Priced();

        Assert.True(Day(start) == quote.BenefitStart, clause);
        Assert.Equal(personalFen, quote.PersonalFen);
        Assert.Empty(quote.AdditionalCoverageYears);
        Assert.Equal(0, quote.WaitingDays);
    }

    // Issue 16 showed the case "a newborn may pay on a settlement day" wrong: seed 004 三（四） "每月1日至25日为缴费时段，
    // 26日至月末为费款结算期，不办理缴费业务" stops every payment on those days, a newborn's included.
    [Theory]
    [InlineData("seed 004 §三(四): newborn paying 28 Oct 2023 → settlement, next 1 Nov", "2023-10-01", "2023-10-28", "2023-11-01")]
    [InlineData("seed 004 §三(四): newborn paying 27 Dec 2023 (after the campaign) → settlement, next 1 Jan", "2023-12-01", "2023-12-27", "2024-01-01")]
    [InlineData("seed 004 §三(四): newborn paying 26 Mar 2024 → settlement, next 1 Apr", "2024-03-01", "2024-03-26", "2024-04-01")]
    [InlineData("seed 004 §三(四): newborn paying 31 Dec 2024 → settlement, no later day this year", "2024-11-01", "2024-12-31", "")]
    public void Quote_GaoyangNewbornOnSettlementDay_RefusedWithNextPaymentDay(string clause, string birth, string pay, string next)
    {
        var refusal = Gaoyang.Quote(Facts(pay, lifeEvent: "newborn@" + birth, birth: birth)).Refused();

        Assert.True(refusal.Reason == ErrorReasons.Code(ErrorReason.SettlementDays), clause);
        Assert.Equal(OptionalDay(next), refusal.NextPossibleDate);
        Assert.Contains("不办理缴费业务", refusal.Message);
    }

    [Fact]
    public void Quote_GaoyangNewbornPaidOnDay181_Refused()
    {
        // seed 004 §二(五)2: the 180-day window has passed and no other 2024 collection is open.
        var refusal = Gaoyang.Quote(Facts("2024-06-30", lifeEvent: "newborn@2024-01-01", birth: "2024-01-01")).Refused();

        Assert.Equal(ErrorReasons.Code(ErrorReason.OutsideCollectionPeriod), refusal.Reason);
        Assert.Null(refusal.NextPossibleDate);
    }

    [Theory]
    [InlineData("seed 004 §二(五)2: born Dec 2023, paid Jan 2024 → pays 2023's 350 and 2024's 380", "", 73000, 0)]
    [InlineData("seed 004 §二(五)2 + §二(三): 低保 newborn across two years → 90% of each year's part", "dibao", 7300, 65700)]
    [InlineData("seed 004 §二(五)2 + §二(三): 特困 newborn across two years → pays 0", "tekun", 0, 73000)]
    public void Quote_GaoyangNewbornAcrossTwoYears_PaysBothYearsParts(string clause, string identities, long personalFen, long subsidyFen)
    {
        var quote = Gaoyang.Quote(Facts("2024-01-10", identities: identities, lifeEvent: "newborn@2023-12-01", birth: "2023-12-01")).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(subsidyFen, quote.SubsidyFen);
        Assert.Equal(73000, quote.StandardFen);
        Assert.Equal([2023], quote.AdditionalCoverageYears);
        Assert.Equal(Day("2023-12-01"), quote.BenefitStart);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
        Assert.Equal(2, quote.Lines.Count(l => l.Kind == PricedLineKind.Standard));
        Assert.Contains("跨两个年度", quote.Explanation);
    }

    [Fact]
    public void Policy_Gaoyang_EnrolsHouseholdsTogether()
    {
        // seed 004 §一(三)1: 同一户口簿内符合参保条件的家庭成员应当同时参保，不能选择性参保.
        Assert.True(Gaoyang.EnrolHouseholdTogether);
        Assert.Equal(["he-gaoyang"], Gaoyang.TenantIds);
    }

    [Theory]
    [InlineData("seed 004 §二(五)3: 死亡 before 1 Jan 2024 → refund", "death", "2023-12-10", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: 服役 before benefits start → refund", "army", "2023-12-31", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: 服刑 → refund", "prison", "2023-11-01", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: 重复缴费 → refund", "duplicate", "2023-11-01", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: 参加职工医保 → refund", "employee-insurance", "2023-11-01", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: 参加其他统筹地区居民医保 → refund", "other-region", "2023-11-01", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: death after benefits started → no refund", "death", "2024-01-01", false, "BENEFITS_ALREADY_STARTED")]
    [InlineData("seed 004 §二(五)3: a reason the plan does not list → no refund", "changed-mind", "2023-11-01", false, "REFUND_REASON_NOT_IN_POLICY")]
    public void DecideRefund_Gaoyang_OnlyListedReasonsBeforeBenefitsStart(string clause, string reason, string requested, bool allowed, string code)
    {
        var decision = Gaoyang.DecideRefund(reason, Day(requested), Day("2024-01-01"), 38000);

        Assert.True(allowed == decision.Allowed, clause);
        Assert.Equal(code, decision.Reason);
        Assert.Equal(allowed ? 38000 : 0, decision.AmountFen);
    }

    [Theory]
    [InlineData("seed 004 §二(五)3: died 28 Dec 2023, asked 5 Jan 2024 → judged on the death, refunded", "2023-12-28", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: enlisted 31 Dec 2023 → before benefits start, refunded", "2023-12-31", true, "REFUND_ALLOWED")]
    [InlineData("seed 004 §二(五)3: imprisoned 2 Jan 2024 → benefits had started, no refund", "2024-01-02", false, "BENEFITS_ALREADY_STARTED")]
    public void DecideRefund_GaoyangEventBeforeBenefitsReportedAfter_JudgedOnTheEventDay(string clause, string eventDay, bool allowed, string code)
    {
        // seed 004 二（五）3 "在相应待遇享受期未开始前，因死亡、服役、服刑…": the event, not the application, must precede 1 Jan 2024.
        var decision = Gaoyang.DecideRefund("death", Day(eventDay), Day("2024-01-01"), 38000);

        Assert.True(allowed == decision.Allowed, clause);
        Assert.Equal(code, decision.Reason);
        Assert.Equal(allowed ? 38000 : 0, decision.AmountFen);
    }

    [Fact]
    public void DecideRefund_GaoyangAfterDifferentialRefund_StatesTheAmountActuallyRefunded()
    {
        // seed 004 二（五）3: paid 380, certified 低保 (342 refunded as the difference), then enlisted: what is left, 38 yuan,
        // is refunded, and the explanation says so to the fen.
        var decision = Gaoyang.DecideRefund("army", Day("2023-12-10"), Day("2024-01-01"), 38000 - 34200);

        Assert.True(decision.Allowed);
        Assert.Equal(3800, decision.AmountFen);
        Assert.Contains("退还个人缴费38.00元", decision.Message);
        Assert.DoesNotContain("380元", decision.Message);
        Assert.Contains("〔二（五）3〕", decision.Message);
    }

    [Fact]
    public void DecideRefund_GaoyangNothingLeftAfterDifferentialRefund_EnrolmentStillEnds()
    {
        // seed 004 二（五）3: 特困 certified after paying 380 has the whole 380 refunded as a difference; if she then enlists
        // her enrolment is suspended all the same — allowed, with nothing more to pay back (not NOTHING_TO_REFUND).
        var decision = Gaoyang.DecideRefund("army", Day("2023-12-10"), Day("2024-01-01"), 0);

        Assert.True(decision.Allowed);
        Assert.Equal(RefundDecisionReasons.Allowed, decision.Reason);
        Assert.Equal(0, decision.AmountFen);
        Assert.Contains("暂停参保关系", decision.Message);
    }

    [Fact]
    public void DecideDifferentialRefund_GaoyangDibao_ExplanationStatesTheDifferenceToTheFen()
    {
        // seed 004 二（五）3: paid 380 as ordinary, certified 低保 during collection → 342 back.
        var paid = Gaoyang.Quote(Facts("2023-10-10")).Priced();

        var decision = Gaoyang.DecideDifferentialRefund(paid, Facts("2023-10-10", identities: "dibao"), Day("2023-11-20"));

        Assert.Equal(34200, decision.AmountFen);
        Assert.Contains("342.00元", decision.Message);
    }

    [Fact]
    public void Quote_Gaoyang_SaysHouseholdEnrolsTogether()
    {
        // seed 004 一（三）1 "同一户口簿内符合参保条件的家庭成员应当同时参保": every quote carries it.
        Assert.True(Gaoyang.Quote(Facts("2023-10-10")).Priced().EnrolHouseholdTogether);
        Assert.False(Lidu.Quote(Facts("2023-11-10")).Priced().EnrolHouseholdTogether);
    }

    [Theory]
    [InlineData("seed 004 §二(五)3: 低保 certified during collection → refund 342", "2023-11-20", "dibao", true, 34200)]
    [InlineData("seed 004 §二(五)3: 边缘易致贫 certified after collection → refund 266", "2024-03-01", "edge-poverty", true, 26600)]
    [InlineData("seed 004 §二(五)3: 特困 certified during collection → refund all 380", "2023-12-01", "tekun", true, 38000)]
    public void DecideDifferentialRefund_GaoyangIdentityCertifiedAfterPayment_RefundsDifference(string clause, string certified, string identity,
        bool allowed, long refundFen)
    {
        var paid = Gaoyang.Quote(Facts("2023-10-10")).Priced();

        var decision = Gaoyang.DecideDifferentialRefund(paid, Facts("2023-10-10", identities: identity), Day(certified));

        Assert.True(allowed == decision.Allowed, clause);
        Assert.Equal(refundFen, decision.AmountFen);
    }

    [Fact]
    public void DecideDifferentialRefund_GaoyangLowerRateIdentityNowHigher_RefundsOnlyTheDifference()
    {
        // seed 004 §二(五)3: 已按…其他较低比例定额资助人员交费 — paid as 70% (114), now 90% (38) → refund 76.
        var paid = Gaoyang.Quote(Facts("2023-10-10", identities: "edge-poverty")).Priced();

        var decision = Gaoyang.DecideDifferentialRefund(paid, Facts("2023-10-10", identities: "edge-poverty,dibao"), Day("2024-02-01"));

        Assert.True(decision.Allowed);
        Assert.Equal(7600, decision.AmountFen);
    }
}
