namespace Medins;

/// <summary>Calendar dates on the wire (google.type.Date) and in the domain (DateOnly).</summary>
public static class ProtoDates
{
    public static Google.Type.Date ToProtoDate(this DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>A full calendar date, or null when the message leaves it unset, partial or impossible.</summary>
    public static DateOnly? ToDateOnly(this Google.Type.Date? date) =>
        date is { Year: >= 1 and <= 9999, Month: >= 1 and <= 12, Day: >= 1 } && date.Day <= DateTime.DaysInMonth(date.Year, date.Month)
            ? new DateOnly(date.Year, date.Month, date.Day)
            : null;
}
