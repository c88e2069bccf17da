using Medins.ContributionCalculation.Domain;
using static Medins.ContributionCalculation.Tests.Policies.ShippedPolicies;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>
/// Golden cases from seed 002 (Linjiang town, 临江镇). The seed names the subsidised groups and the deadline but no
/// amounts: the policy takes Chongqing's (seed 000), as parameters its comments name.
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
    [InlineData("seed 002 §二(二): 在乡复员军人 is not named in Linjiang's plan → ignored", "veteran-at-home", 1, 38000)]
    public void Quote_LinjiangConcentratedPeriod_ChongqingAmounts(string clause, string identity, int tier, long personalFen)
    {
        var quote = Linjiang.Quote(Facts("2023-12-20", tier, identities: identity)).Priced();

        Assert.True(personalFen == quote.PersonalFen, clause);
        Assert.Equal(Day("2024-01-01"), quote.BenefitStart);
        Assert.Equal(0, quote.WaitingDays);
    }

    [Theory]
    [InlineData("seed 002 §一: the campaign ends 31 Dec 2023 and the plan states no mid-year rule", "2024-01-05", "")]
    [InlineData("seed 002 §一: before the (parameter) opening day → 1 Sep 2023", "2023-08-31", "2023-09-01")]
    public void Quote_LinjiangOutsideCampaign_RefusedWithNextDate(string clause, string pay, string next)
    {
        var refusal = Linjiang.Quote(Facts(pay)).Refused();

        Assert.True(refusal.Reason == QuoteRefusalReasons.OutsideCollectionPeriod, clause);
        Assert.Equal(OptionalDay(next), refusal.NextPossibleDate);
    }

    [Fact]
    public void Policy_Linjiang_AppliesToLinjiangWithChongqingTiers()
    {
        Assert.Equal(["cq-linjiang"], Linjiang.TenantIds);
        Assert.Equal(38000, Linjiang.PersonGroups.Single().StandardFenByTier[1]);
        Assert.Equal(75500, Linjiang.PersonGroups.Single().StandardFenByTier[2]);
    }
}
