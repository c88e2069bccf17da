using Medins.Notification.Domain;

namespace Medins.Notification.Tests;

public class DeliveryRulesTests
{
    private static readonly QuietHours Demo = QuietHours.Default;

    // Beijing local time on 2023-12-10 as a UTC instant.
    private static DateTimeOffset Beijing(int hour, int minute = 0, int day = 10) =>
        new DateTimeOffset(2023, 12, day, hour, minute, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    [Theory]
    [InlineData(20, 59, false)]
    [InlineData(21, 0, true)]
    [InlineData(23, 30, true)]
    [InlineData(0, 0, true)]
    [InlineData(7, 59, true)]
    [InlineData(8, 0, false)]
    [InlineData(12, 0, false)]
    public void IsQuiet_DefaultWindowAcrossMidnight_NightOnly(int hour, int minute, bool quiet)
    {
        Assert.Equal(quiet, Demo.IsQuiet("SMS", Beijing(hour, minute)));
    }

    [Fact]
    public void NextAllowed_LateEvening_NextMorningAtEight()
    {
        Assert.Equal(Beijing(8, 0, day: 11), Demo.NextAllowed("SMS", Beijing(22, 15)));
    }

    [Fact]
    public void NextAllowed_SmallHours_SameMorningAtEight()
    {
        Assert.Equal(Beijing(8, 0), Demo.NextAllowed("SMS", Beijing(2, 40)));
    }

    [Fact]
    public void NextAllowed_Daytime_Unchanged()
    {
        Assert.Equal(Beijing(15, 5), Demo.NextAllowed("SMS", Beijing(15, 5)));
    }

    [Fact]
    public void NextAllowed_ChannelNotListed_NeverWaits()
    {
        Assert.Equal(Beijing(23, 0), Demo.NextAllowed("LETTER", Beijing(23, 0)));
    }

    [Fact]
    public void NextAllowed_WindowWithinOneDay_EndsSameDay()
    {
        var lunch = new QuietHours(new TimeOnly(12, 0), new TimeOnly(14, 0), new HashSet<string> { "SMS" });

        Assert.Equal(Beijing(14, 0), lunch.NextAllowed("SMS", Beijing(12, 30)));
        Assert.False(lunch.IsQuiet("SMS", Beijing(23, 0)));
    }

    [Fact]
    public void DelayAfter_Attempts_DoublesFromFirstDelayUpToCap()
    {
        var retry = new RetrySchedule(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(3), MaxAttempts: 6);

        var delays = Enumerable.Range(1, 5).Select(a => retry.DelayAfter(a)!.Value.TotalSeconds).ToList();

        Assert.Equal([30, 60, 120, 180, 180], delays);
    }

    [Fact]
    public void DelayAfter_LastAttemptUsed_GivesUp()
    {
        Assert.Null(new RetrySchedule(TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), MaxAttempts: 3).DelayAfter(3));
    }

    [Fact]
    public void DelayAfter_ProviderAsksLonger_ProviderWins()
    {
        var retry = RetrySchedule.Default;

        Assert.Equal(TimeSpan.FromMinutes(10), retry.DelayAfter(1, TimeSpan.FromMinutes(10)));
        Assert.Equal(TimeSpan.FromSeconds(30), retry.DelayAfter(1, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("reminder", true)]
    [InlineData("reminder-migrant-workers", true)]
    [InlineData("reminder-", false)]
    [InlineData("payment-receipt", false)]
    public void IsReminder_Key_ReminderWordingsOnly(string key, bool expected)
    {
        Assert.Equal(expected, TemplateKeys.IsReminder(key));
    }

    [Fact]
    public void Percent_BasisPoints_TwoDecimals()
    {
        Assert.Equal(("95.00%", "92.37%", "0.05%"), (MessageValues.Percent(9500), MessageValues.Percent(9237), MessageValues.Percent(5)));
    }
}
