namespace Medins.Platform.Hosting;

/// <summary>Calendar dates and instants as the bureau sees them.</summary>
public static class ShanghaiCalendar
{
    // China has kept UTC+8 without daylight saving since 1991, so a fixed offset equals Asia/Shanghai for every
    // date the platform handles and needs no time-zone database on the host.
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateOnly Today(TimeProvider time) => ToDate(time.GetUtcNow());

    /// <summary>The Asia/Shanghai calendar date of an instant.</summary>
    public static DateOnly ToDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Offset).DateTime);

    /// <summary>The current instant in UTC, whatever offset a (fake) TimeProvider was started with, as Npgsql
    /// requires for timestamptz parameters.</summary>
    public static DateTimeOffset UtcNow(this TimeProvider time) => time.GetUtcNow().ToUniversalTime();
}
