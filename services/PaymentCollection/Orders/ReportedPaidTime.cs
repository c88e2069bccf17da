using Medins.Platform.Hosting;
namespace Medins.PaymentCollection.Orders;

/// <summary>
/// Whether the time a channel or clerk reports for a payment can be true: money cannot be taken before its order
/// existed, nor later than now. A few minutes of skew allow for clocks that are not in step.
/// </summary>
public static class ReportedPaidTime
{
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>Before any order of this platform: a bound that holds even when the order is unknown.</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Null when plausible; otherwise what is wrong with it, for a field violation or a log line.</summary>
    public static string? Problem(DateTimeOffset reported, DateTimeOffset orderCreatedAt, DateTimeOffset now)
    {
        if (reported < orderCreatedAt - Skew)
            return $"must not be before the order was created ({ClerkText.BeijingTimeEnglish(orderCreatedAt)})";
        if (reported > now + Skew)
            return $"must not be in the future (now is {ClerkText.BeijingTimeEnglish(now)})";
        return null;
    }
}
