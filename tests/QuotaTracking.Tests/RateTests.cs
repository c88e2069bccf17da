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

    // Seed 002 attachment: 高滩村 task 4776; task completion is a rate of the task.
    [Theory]
    [InlineData(4776, 4776, 10_000)]        // the task reached
    [InlineData(4537, 4776, 9499)]          // 94.9958…%: never shown as 95%
    [InlineData(5_014_800, 4_776_000, 10_500)] // above the task: kept, Linjiang scores points beyond 95%
    [InlineData(35809, 37694, 9499)]        // the attachment's totals: task 35809 of 37694 registered is 94.99%
    [InlineData(-1, 4776, 0)]               // never kept, but a negative count reads as none
    public void FloorBp_RoundsDownAndKeepsTheExcess(long people, long @base, int bp)
    {
        Assert.Equal(bp, Rate.Of(people, @base)!.Value.FloorBp);
    }
}
