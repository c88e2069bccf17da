using Medins.PaymentCollection.VillageCash;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests.VillageCash;

public sealed class CashRulesTests
{
    private static readonly DateOnly Day = new(2023, 11, 20);
    private static readonly TimeOnly HalfPastFive = new(17, 30);

    [Fact]
    public void CutoffInstant_ShanghaiTimeOfDay_IsEightHoursAheadOfUtc() =>
        Assert.Equal(new DateTimeOffset(2023, 11, 20, 9, 30, 0, TimeSpan.Zero), CashRules.CutoffInstant(Day, HalfPastFive));

    [Theory]
    [InlineData(9, 29, 38000, false)]
    [InlineData(9, 30, 38000, true)]
    [InlineData(23, 0, 0, false)]
    public void IsOverdue_AroundCutoff_OnlyHeldCashAtOrAfterIt(int utcHour, int utcMinute, long unremittedFen, bool expected) =>
        Assert.Equal(expected, CashRules.IsOverdue(Day, HalfPastFive, unremittedFen,
            new DateTimeOffset(2023, 11, 20, utcHour, utcMinute, 0, TimeSpan.Zero)));

    [Fact]
    public void EnsureRemittanceMatches_NoReceipts_NothingToRemit()
    {
        var ex = Assert.Throws<RuleViolation>(() => CashRules.EnsureRemittanceMatches(0, 0, 100));
        Assert.Equal("NOTHING_TO_REMIT", ex.Reason);
    }
}
