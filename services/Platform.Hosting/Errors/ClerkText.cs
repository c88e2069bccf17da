using System.Globalization;

namespace Medins.Platform.Hosting;

/// <summary>
/// Amounts, times and dates as a village or county clerk reads them in an error: yuan with two decimals, Beijing
/// time. Money stays in integer fen everywhere else; this is only for text meant for people.
/// </summary>
public static class ClerkText
{
    /// <summary>"380.00 元" (and "-12.50 元"); exact, no floating point.</summary>
    public static string Yuan(long fen) => YuanNumber(fen) + " 元";

    /// <summary>"380.00": yuan with two decimals and no unit, for English messages ("380.00 yuan").</summary>
    public static string YuanNumber(long fen)
    {
        // long.MinValue has no positive long counterpart; its magnitude fits an unsigned one.
        var magnitude = fen < 0 ? (ulong)(-(fen + 1)) + 1 : (ulong)fen;
        return string.Create(CultureInfo.InvariantCulture, $"{(fen < 0 ? "-" : "")}{magnitude / 100}.{magnitude % 100:D2}");
    }

    /// <summary>"2026-12-04 09:02（北京时间）" whatever the offset of <paramref name="instant"/>.</summary>
    public static string BeijingTime(DateTimeOffset instant) =>
        instant.ToOffset(ShanghaiCalendar.Offset).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "（北京时间）";

    /// <summary>"2026-12-04 09:02 Beijing time", for English messages.</summary>
    public static string BeijingTimeEnglish(DateTimeOffset instant) =>
        instant.ToOffset(ShanghaiCalendar.Offset).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " Beijing time";

    /// <summary>"2026-12-04".</summary>
    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The Beijing calendar date of an instant, "2026-12-04".</summary>
    public static string Date(DateTimeOffset instant) => Date(ShanghaiCalendar.ToDate(instant));
}
