namespace Medins.Notification.Domain;

/// <summary>
/// A tenant's quiet hours: a local (Asia/Shanghai) window, possibly across midnight, in which the listed channels
/// send nothing. A message due inside it waits for the window's end.
/// </summary>
public sealed record QuietHours(TimeOnly Start, TimeOnly End, IReadOnlySet<string> Channels)
{
    /// <summary>21:00–08:00 for SMS and WeChat, when a tenant has set nothing.</summary>
    public static QuietHours Default { get; } = new(new TimeOnly(21, 0), new TimeOnly(8, 0),
        new HashSet<string>(StringComparer.Ordinal) { "SMS", "WECHAT" });

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    public bool IsQuiet(string channel, DateTimeOffset instant)
    {
        if (!Channels.Contains(channel) || Start == End) return false;
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Shanghai).DateTime);
        return Start < End ? local >= Start && local < End : local >= Start || local < End;
    }

    /// <summary>The first instant at or after <paramref name="due"/> when the channel may send.</summary>
    public DateTimeOffset NextAllowed(string channel, DateTimeOffset due)
    {
        if (!IsQuiet(channel, due)) return due;
        var local = TimeZoneInfo.ConvertTime(due, Shanghai);
        var endToday = new DateTimeOffset(local.Date + End.ToTimeSpan(), local.Offset);
        // Inside a window across midnight before midnight, it ends tomorrow; otherwise today.
        var end = endToday > local ? endToday : endToday.AddDays(1);
        return end.ToUniversalTime();
    }
}
