namespace Medins.IdentityRegistry.Domain;

/// <summary>Calendar dates as the bureau sees them.</summary>
public static class ShanghaiCalendar
{
    // China has kept UTC+8 without daylight saving since 1991, so a fixed offset equals Asia/Shanghai for every
    // date the platform handles and needs no time-zone database on the host.
    private static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().ToOffset(Offset).DateTime);
}
