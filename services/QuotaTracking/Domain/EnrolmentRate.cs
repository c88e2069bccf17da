namespace Medins.QuotaTracking.Domain;

/// <summary>A village's enrolment against its task, as the campaign's rules count it (RULES.md §6).</summary>
public static class EnrolmentRate
{
    /// <summary>Basis points in one hundred percent (1% = 100 bp), the unit of rates on the wire.</summary>
    public const int Whole = 10_000;

    /// <summary>
    /// Enrolled people as a share of the task in basis points, rounded down so a village is never shown as having
    /// reached a threshold (95% = 9500) it has not. Above 100% is kept: Linjiang scores points beyond its target.
    /// A village without a task has no rate (null); a count made negative by a refund overtaking its payment is 0.
    /// </summary>
    public static int? BasisPoints(long enrolledCount, long task)
    {
        if (task <= 0) return null;
        if (enrolledCount <= 0) return 0;
        return (int)Math.Min(enrolledCount * Whole / task, int.MaxValue);
    }
}
