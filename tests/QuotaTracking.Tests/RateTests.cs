using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Tests;

public class RateTests
{
    [Fact]
    public void AtLeastBp_ExactlyNinetyFivePercent_True()
    {
        // Seed 002 attachment: 桂林村 2540 registered; 2413 is exactly 95.00%.
        Assert.True(Rate.Of(2413, 2540)!.Value.AtLeastBp(9500));
        Assert.False(Rate.Of(2412, 2540)!.Value.AtLeastBp(9500));
    }

    [Fact]
    public void AboveBp_ExactlyNinetyPercent_False()
    {
        Assert.False(Rate.Of(2286, 2540)!.Value.AboveBp(9000));
        Assert.True(Rate.Of(2287, 2540)!.Value.AboveBp(9000));
    }

    [Fact]
    public void FloorBp_JustShortOfNinetyFour_RoundsDown()
    {
        // 4725 / 5027 = 93.992…%.
        Assert.Equal(9399, Rate.Of(4725, 5027)!.Value.FloorBp);
    }

    [Fact]
    public void CompareTo_EqualFractions_Zero()
    {
        Assert.Equal(0, Rate.Of(1, 2)!.Value.CompareTo(Rate.Of(2413, 4826)!.Value));
        // 2413/2540 = 95.00%, 4776/5027 = 95.006…%.
        Assert.True(Rate.Of(2413, 2540)!.Value.CompareTo(Rate.Of(4776, 5027)!.Value) < 0);
    }

    [Fact]
    public void Of_NoBase_Null()
    {
        Assert.Null(Rate.Of(10, 0));
    }
}
