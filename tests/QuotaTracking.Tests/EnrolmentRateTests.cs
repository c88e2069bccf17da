using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

public class EnrolmentRateTests
{
    // Seed 002 (Linjiang) attachment task table: 高滩村 task 4776; §6 reward bands start at 95% (9500 bp).
    private const long GaotanTask = 4776;

    [Fact]
    public void BasisPoints_GaotanReachesItsTask_IsWhole()
    {
        Assert.Equal(10_000, EnrolmentRate.BasisPoints(4776, GaotanTask));
    }

    [Fact]
    public void BasisPoints_JustShortOfNinetyFivePercent_RoundsDownBelowTheBand()
    {
        // 4537 / 4776 = 94.9958…%: must not be shown as reaching the 95% band.
        Assert.Equal(9499, EnrolmentRate.BasisPoints(4537, GaotanTask));
    }

    [Fact]
    public void BasisPoints_AboveTask_KeepsTheExcess()
    {
        // Seed 002 §6 scoring: +1 point per percentage point above 95%, so rates above 100% matter.
        Assert.Equal(10_500, EnrolmentRate.BasisPoints(5_014_800, 4_776_000));
    }

    [Fact]
    public void BasisPoints_LinjiangTotal_IsAboutNinetyFivePercentOfRegistered()
    {
        // Seed 002 attachment totals: registered 37694, task 35809 → 94.99% of registered population.
        Assert.Equal(9499, EnrolmentRate.BasisPoints(35809, 37694));
    }

    [Fact]
    public void BasisPoints_NoTask_IsNull()
    {
        Assert.Null(EnrolmentRate.BasisPoints(12, 0));
    }

    [Fact]
    public void BasisPoints_NegativeCountFromEarlyRefund_IsZero()
    {
        Assert.Equal(0, EnrolmentRate.BasisPoints(-1, GaotanTask));
    }
}
