using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using ErrorReason = Medins.Contribution.V1.ErrorReason;
using static Medins.ContributionCalculation.Tests.Policies.ShippedPolicies;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>Golden cases from seed 003 (Meishan city, 眉山市, one policy for its six counties), each naming its clause.</summary>
public sealed class MeishanPolicyTests
{
    // Each system code of seed 003 §三(二)/§三(三), paid in the concentrated period.
    [Theory]
    [InlineData("seed 003 §二(一): ordinary resident → pays 380", "", 38000, "")]
    [InlineData("seed 003 §三(三)1(1): 特困救助对象 2304 → 380 by medical assistance, pays 0", "2304", 0, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)1(1): 孤儿 2361 → pays 0", "2361", 0, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)1(2): 计生特别扶助对象 236010 → health department's special fund, pays 0", "236010", 0, "fiscal-special-fund:health")]
    [InlineData("seed 003 §三(三)1(2): 重度残疾人 236046 → disabled persons' federation, pays 0", "236046", 0, "fiscal-special-fund:disabled-persons-federation")]
    [InlineData("seed 003 §三(三)1(2): 被征地农民超龄人员 01 → natural resources, pays 0", "01", 0, "fiscal-special-fund:natural-resources")]
    [InlineData("seed 003 §三(二) veterans: 烈士遗属 9925 → pays 0", "9925", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 因公牺牲军人遗属 992601 → pays 0", "992601", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 因公牺牲军人家属 2101 → pays 0", "2101", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 在乡复员军人 216002 → pays 0", "216002", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 带病回乡退伍军人 9934 → pays 0", "9934", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 参战参试退役人员 246003 → pays 0", "246003", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 参战涉核退役人员 9935 → pays 0", "9935", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 一级残疾军人 9901 → pays 0", "9901", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 二级残疾军人 9930 → pays 0", "9930", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 三级残疾军人 9931 → pays 0", "9931", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 四级残疾军人 9917 → pays 0", "9917", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 五级残疾军人 9918 → pays 0", "9918", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 六级残疾军人 9919 → pays 0", "9919", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 七级残疾军人 9920 → pays 0", "9920", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 八级残疾军人 9921 → pays 0", "9921", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 九级残疾军人 9922 → pays 0", "9922", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二) veterans: 十级残疾军人 9923 → pays 0", "9923", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(三)2(1): 低保救助对象 2303 → 75% (285), pays 95", "2303", 9500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)2(1): 脱贫不稳定户 230202 → pays 95", "230202", 9500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)2(1): 边缘易致贫户 230508 → pays 95", "230508", 9500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)2(1): 突发严重困难户 230705 → pays 95", "230705", 9500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)2(2): 已稳定脱贫人口 993406 → 25% (95), pays 285", "993406", 28500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(三)2(1): canonical 'dibao' resolves like 2303", "dibao", 9500, "medical-assistance-fund")]
    public void Quote_MeishanIdentityCodes_PricesSeedTable(string clause, string code, long personalFen, string fundingSource)
    {
        var quote = Meishan.Quote(Facts("2023-11-15", identities: code)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(38000, quote.StandardFen);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
        var subsidy = quote.Lines.SingleOrDefault(l => l.Kind == PricedLineKind.Subsidy);
        Assert.Equal(fundingSource, subsidy?.FundingSource ?? "");
        if (personalFen == 0)
            Assert.Contains("零缴费", quote.Explanation);
    }

    // seed 003 §三(三)2(3): low-income family members (2305) only when aged 60+, minors, or grade 3–4 disabled.
    [Theory]
    [InlineData("seed 003 §三(三)2(3): 2305 turning 60 on the payment day → pays 95", "1963-11-15", null, 9500)]
    [InlineData("seed 003 §三(三)2(3): 2305 one day short of 60 → no subsidy, pays 380", "1963-11-16", null, 38000)]
    [InlineData("seed 003 §三(三)2(3): 2305 aged 17 (minor) → pays 95", "2005-11-16", null, 9500)]
    [InlineData("seed 003 §三(三)2(3): 2305 turning 18 on the payment day → no longer a minor, pays 380", "2005-11-15", null, 38000)]
    [InlineData("seed 003 §三(三)2(3): 2305 aged 40, grade-3 disabled → pays 95", "1983-05-01", 3, 9500)]
    [InlineData("seed 003 §三(三)2(3): 2305 aged 40, grade-4 disabled → pays 95", "1983-05-01", 4, 9500)]
    [InlineData("seed 003 §三(三)2(3): 2305 aged 40, grade-2 disabled → not this rule, pays 380", "1983-05-01", 2, 38000)]
    [InlineData("seed 003 §三(三)2(3): 2305 without a birth date or disability → pays 380", "", null, 38000)]
    public void Quote_MeishanLowIncomeFamily_OnlyOldYoungOrDisabled(string clause, string birth, int? grade, long personalFen)
    {
        var quote = Meishan.Quote(Facts("2023-11-15", identities: "2305", birth: birth, disabilityGrade: grade)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        if (personalFen == 9500)
            Assert.Equal("fiscal-special-fund:civil-affairs", quote.Lines.Single(l => l.Kind == PricedLineKind.Subsidy).FundingSource);
        else
            Assert.Contains("不符合资助条件", quote.Explanation);
    }

    // seed 003 §三(二) 导盘顺序: each later import overrides the identity an earlier import recorded.
    [Theory]
    [InlineData("seed 003 §三(二): 993406 then 2303 → 2303 stands, pays 95", "993406,2303", "dibao", 9500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(二): input order does not matter: 2303 + 993406 → 2303", "2303,993406", "dibao", 9500, "medical-assistance-fund")]
    [InlineData("seed 003 §三(二): 230705 then 236010 → 计生特扶 stands, pays 0", "230705,236010", "family-planning-special", 0, "fiscal-special-fund:health")]
    [InlineData("seed 003 §三(二): 236010 then 01 → 被征地 stands (natural resources)", "236010,01", "land-expropriated-overage", 0, "fiscal-special-fund:natural-resources")]
    [InlineData("seed 003 §三(二): 01 then 236046 → 重度残疾 stands (federation)", "01,236046", "severe-disability", 0, "fiscal-special-fund:disabled-persons-federation")]
    [InlineData("seed 003 §三(二): 236046 then 9930 → veteran stands", "236046,9930", "disabled-soldier-2", 0, "fiscal-special-fund:veterans-affairs")]
    [InlineData("seed 003 §三(二): 9925 then 2361 → 孤儿 stands (medical assistance)", "9925,2361", "orphan", 0, "medical-assistance-fund")]
    [InlineData("seed 003 §三(二): 2361 then 2304 → 特困 stands", "2361,2304", "tekun", 0, "medical-assistance-fund")]
    [InlineData("seed 003 §三(二): 236046 + 2304 + 993406 → 特困, the last import", "236046,2304,993406", "tekun", 0, "medical-assistance-fund")]
    [InlineData("seed 003 §三(二): 2303 and 2305 share one import step → the earlier row, 低保", "2305,2303", "dibao", 9500, "medical-assistance-fund")]
    public void Quote_MeishanSeveralIdentities_ImportOrderDecides(string clause, string codes, string category, long personalFen, string fundingSource)
    {
        var quote = Meishan.Quote(Facts("2023-10-10", identities: codes, birth: "1950-01-01")).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        var subsidy = Assert.Single(quote.Lines, l => l.Kind == PricedLineKind.Subsidy);
        Assert.Equal(category, subsidy.Category);
        Assert.Equal(fundingSource, subsidy.FundingSource);
        Assert.Contains("导盘顺序", quote.Explanation);
    }

    // seed 003 §二(二)1–2: concentrated period and the 4th-month rule outside it.
    [Theory]
    [InlineData("seed 003 §二(二)1: first day of the concentrated period → 1 Jan", "2023-09-01", "2024-01-01", 0)]
    [InlineData("seed 003 §二(二)1: 20 Dec (organised window ends) → 1 Jan", "2023-12-20", "2024-01-01", 0)]
    [InlineData("seed 003 §二(二)1: 29 Feb, last concentrated day → still from 1 Jan", "2024-02-29", "2024-01-01", 0)]
    [InlineData("seed 003 §二(二)2: 1 Mar → 4th month counting March: 1 Jun", "2024-03-01", "2024-06-01", 92)]
    [InlineData("seed 003 §二(二)2: pay in April → covered from 1 July", "2024-04-15", "2024-07-01", 77)]
    [InlineData("seed 003 §二(二)2: 30 Jun → 1 Sep", "2024-06-30", "2024-09-01", 63)]
    [InlineData("seed 003 §二(二)2: 30 Sep → 1 Dec", "2024-09-30", "2024-12-01", 62)]
    public void Quote_MeishanOrdinaryResident_BenefitStart(string clause, string pay, string start, int waitingDays)
    {
        var quote = Meishan.Quote(Facts(pay)).Priced();

        Assert.True(Day(start) == quote.BenefitStart, clause);
        Assert.Equal(waitingDays, quote.WaitingDays);
        Assert.Equal(38000, quote.PersonalFen);
    }

    [Theory]
    [InlineData("seed 003 §二(二)2: October → 4th month is January 2025, refused", "2024-10-01", "")]
    [InlineData("seed 003 §二(二)2: November wraps into 2025 → refused", "2024-11-15", "")]
    [InlineData("seed 003 §二(二)2: December wraps into 2025 → refused", "2024-12-20", "")]
    [InlineData("seed 003 §二(二)1: before 1 Sep 2023 → opens 1 Sep", "2023-08-31", "2023-09-01")]
    public void Quote_MeishanOrdinaryResidentOutsidePeriods_Refused(string clause, string pay, string next)
    {
        var refusal = Meishan.Quote(Facts(pay)).Refused();

        Assert.True(refusal.Reason == ErrorReasons.Code(ErrorReason.OutsideCollectionPeriod), clause);
        Assert.Equal(OptionalDay(next), refusal.NextPossibleDate);
    }

    // seed 003 §二(二)2–4: life events that change the benefit start.
    [Theory]
    [InlineData("seed 003 §二(二)2: lapse 15 Jan, pay 15 Apr (3 months) → from the lapse, gap covered", "2024-04-15", "employee-insurance-lapse@2024-01-15", "", "2024-01-15", 0)]
    [InlineData("seed 003 §二(二)2: lapse 15 Jan, pay 16 Apr (over 3 months) → 4th-month rule", "2024-04-16", "employee-insurance-lapse@2024-01-15", "", "2024-07-01", 76)]
    [InlineData("seed 003 §二(二)2: lapse 20 Sep, pay 20 Dec → covered from 20 Sep", "2024-12-20", "employee-insurance-lapse@2024-09-20", "", "2024-09-20", 0)]
    [InlineData("seed 003 §二(二)2: lapse in Dec 2023, pay 1 Mar → from 1 Jan (coverage year)", "2024-03-01", "employee-insurance-lapse@2023-12-01", "", "2024-01-01", 0)]
    [InlineData("seed 003 §二(二)3: 新调入 pays 10 May → from 11 May", "2024-05-10", "transfer-in@2024-05-01", "", "2024-05-11", 1)]
    [InlineData("seed 003 §二(二)3: 户籍新迁入 pays 1 Nov → from 2 Nov", "2024-11-01", "new-household@2024-10-20", "", "2024-11-02", 1)]
    [InlineData("seed 003 §二(二)3: 刑满释放 pays 30 Dec → from 31 Dec", "2024-12-30", "released-from-prison@2024-12-01", "", "2024-12-31", 1)]
    [InlineData("seed 003 §二(二)3: 退役军人 pays 3 Jun → from 4 Jun", "2024-06-03", "discharged-from-army@2024-05-20", "", "2024-06-04", 1)]
    [InlineData("seed 003 §二(二)3: 新调入 in the concentrated period → from 1 Jan", "2023-11-10", "transfer-in@2023-11-01", "", "2024-01-01", 0)]
    [InlineData("seed 003 §二(二)4: newborn paid on day 90 → from birth", "2024-07-30", "newborn@2024-05-01", "2024-05-01", "2024-05-01", 0)]
    [InlineData("seed 003 §二(二)4: newborn paid on day 91 → from the day after payment", "2024-07-31", "newborn@2024-05-01", "2024-05-01", "2024-08-01", 1)]
    [InlineData("seed 003 §二(二)4: newborn paid in November, within a year → day after payment", "2024-11-20", "newborn@2024-01-10", "2024-01-10", "2024-11-21", 1)]
    [InlineData("seed 003 §二(二)4: newborn born Dec 2023 paid within 90 days → from 1 Jan 2024", "2024-02-20", "newborn@2023-12-15", "2023-12-15", "2024-01-01", 0)]
    public void Quote_MeishanLifeEvents_BenefitStart(string clause, string pay, string lifeEvent, string birth, string start, int waitingDays)
    {
        var quote = Meishan.Quote(Facts(pay, lifeEvent: lifeEvent, birth: birth)).Priced();

        Assert.True(Day(start) == quote.BenefitStart, clause);
        Assert.Equal(waitingDays, quote.WaitingDays);
        Assert.Equal(Day("2024-12-31"), quote.BenefitEnd);
    }

    [Theory]
    [InlineData("seed 003 §二(二)3: 退役军人 paying on 31 Dec would start on 1 Jan 2025", "2024-12-31", "discharged-from-army@2024-12-01", "NO_BENEFIT_IN_COVERAGE_YEAR")]
    [InlineData("seed 003 §二(二)4: a child more than a year old is no newborn → October closed", "2024-10-02", "newborn@2023-10-01", "OUTSIDE_COLLECTION_PERIOD")]
    [InlineData("seed 003 §二(二)2: a lapse of more than 3 months gives no October right", "2024-10-20", "employee-insurance-lapse@2024-07-01", "OUTSIDE_COLLECTION_PERIOD")]
    public void Quote_MeishanLifeEventsOutOfReach_Refused(string clause, string pay, string lifeEvent, string reason)
    {
        var refusal = Meishan.Quote(Facts(pay, lifeEvent: lifeEvent)).Refused();

        Assert.True(reason == refusal.Reason, clause);
        Assert.Null(refusal.NextPossibleDate);
    }

    [Fact]
    public void Quote_MeishanLapse_ExplanationSaysGapIsCovered()
    {
        var quote = Meishan.Quote(Facts("2024-04-15", lifeEvent: "employee-insurance-lapse@2024-02-01")).Priced();

        Assert.Contains("中断期间待遇追溯享受", quote.Explanation);
        Assert.Contains("待遇享受期2024年2月1日至2024年12月31日", quote.Explanation);
    }

    [Fact]
    public void Quote_MeishanAnyQuote_OffersCriticalIllnessAndSupplementaryInsurance()
    {
        // seed 003 §二(一): 大病保险 comes with basic insurance at no charge; §四: commercial supplementary insurance after paying.
        var quote = Meishan.Quote(Facts("2023-11-15")).Priced();

        Assert.Contains("自动参加大病保险", quote.Explanation);
        Assert.Contains("可自愿参加商业补充医疗保险〔四〕", quote.Explanation);
        Assert.Equal(new SupplementaryInsuranceOffer("商业补充医疗保险", true, true, "四"), Meishan.SupplementaryInsurance);
        Assert.True(Meishan.IncludesCriticalIllnessInsurance);
    }

    // seed 003 三（三）1 and 2: "9月1日后新认定的全额资助（定额资助）参保人员，应及时纳入基本医疗保障范围" — the 31 August
    // import is no deadline for the subsidy: whoever holds the identity when she pays is priced with it.
    [Theory]
    [InlineData("seed 003 §三(三)1: 特困 certified in October, pays in November → 0", "2023-11-15", "2304", 0, "2024-01-01")]
    [InlineData("seed 003 §三(三)2: 低保 certified after 1 Sep, pays in December → 95", "2023-12-10", "2303", 9500, "2024-01-01")]
    [InlineData("seed 003 §三(三)2 + §二(二)1: 边缘易致贫 certified in January, pays in February (still concentrated) → 95", "2024-02-20", "230508", 9500, "2024-01-01")]
    [InlineData("seed 003 §三(三)1 + §二(二)2: 重度残疾 certified in April, pays in May → 0, from the 4th month", "2024-05-10", "236046", 0, "2024-08-01")]
    public void Quote_MeishanIdentityCertifiedAfterFirstSeptember_PricedWithTheSubsidyWhenShePays(string clause, string pay, string code,
        long personalFen, string start)
    {
        var quote = Meishan.Quote(Facts(pay, identities: code)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(38000 - personalFen, quote.SubsidyFen);
        Assert.Equal(Day(start), quote.BenefitStart);
    }

    [Fact]
    public void DecideRefund_Meishan_OnlyTheDuplicateEnrolmentRefundTheSeedStates()
    {
        // seed 003 附件1 教育部门: "重复参保到户籍地退费" is Meishan's only refund, with no "only before benefits start";
        // death, army and prison refunds (seed 004 二（五）3) are not Meishan's.
        var duplicate = Meishan.DecideRefund("duplicate", Day("2024-03-01"), Day("2024-01-01"), 38000);
        var death = Meishan.DecideRefund("death", Day("2023-12-01"), Day("2024-01-01"), 38000);

        Assert.True(duplicate.Allowed);
        Assert.Equal(38000, duplicate.AmountFen);
        Assert.Equal(RefundDecisionReasons.ReasonNotInPolicy, death.Reason);
        Assert.Equal(["duplicate"], Meishan.Refunds.Reasons);
        // The seed grants no differential refund either way: that is the bureau's choice, marked as such.
        Assert.Contains(Meishan.BureauParameters, p => p.Path == "$.refunds.differentialRefundForIdentityCertifiedAfterPayment");
    }

    [Fact]
    public void Policy_Meishan_ServesItsSixCounties()
    {
        Assert.Equal(
            ["sc-meishan-dongpo", "sc-meishan-pengshan", "sc-meishan-renshou", "sc-meishan-hongya", "sc-meishan-danling", "sc-meishan-qingshen"],
            Meishan.TenantIds);
        Assert.Equal("import-order", Meishan.PrecedenceRule);
    }

    [Fact]
    public void TryResolveIdentity_MeishanLocalCode_GivesCanonicalCategoryAndImportRank()
    {
        Assert.True(Meishan.TryResolveIdentity("993406", out var stable));
        Assert.True(Meishan.TryResolveIdentity("2304", out var tekun));

        Assert.Equal("stable-out-of-poverty", stable.Category);
        Assert.Equal("tekun", tekun.Category);
        Assert.True(tekun.ImportRank > stable.ImportRank);
        Assert.False(Meishan.TryResolveIdentity("no-such-code", out _));
    }
}
