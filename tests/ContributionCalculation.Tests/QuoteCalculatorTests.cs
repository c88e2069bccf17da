using Medins.ContributionCalculation.Domain;

namespace Medins.ContributionCalculation.Tests;

public class QuoteCalculatorTests
{
    // Seed 000 (Lidu) §2: tier 1 (一档) 380 yuan, tier 2 (二档) 755 yuan per person per year.
    private static readonly ContributionPolicy Lidu = ContributionPolicy.Parse("""
        {"defaultTier":1,"tiers":[{"tier":1,"name":"一档","personalStandardFen":38000},
         {"tier":2,"name":"二档","personalStandardFen":75500}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}
        """);

    [Fact]
    public void Quote_DefaultTier_ChargesTierOneStandard()
    {
        var quote = QuoteCalculator.Quote(Lidu, requestedTier: 0);

        Assert.Equal(1, quote.Tier);
        Assert.Equal(38000, quote.PersonalFen);
        Assert.Equal(quote.StandardFen - quote.SubsidyFen, quote.PersonalFen);
        Assert.Equal(new DateOnly(2024, 1, 1), quote.BenefitStart);
    }

    [Fact]
    public void Quote_TierTwo_ChargesTierTwoStandard()
    {
        var quote = QuoteCalculator.Quote(Lidu, requestedTier: 2);

        Assert.Equal(75500, quote.PersonalFen);
        Assert.Equal(75500, quote.Lines.Sum(l => l.AmountFen));
    }

    [Fact]
    public void Quote_TierNotInPolicy_Throws()
    {
        var ex = Assert.Throws<UnknownTierException>(() => QuoteCalculator.Quote(Lidu, requestedTier: 3));
        Assert.Equal(3, ex.Tier);
    }
}
