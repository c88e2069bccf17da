namespace Medins.QuotaTracking.Domain;

/// <summary>
/// Progress over time under a tenant's <see cref="ProgressSchedule"/>: the rate expected on a day (staged, or
/// 时序进度 growing with the days elapsed), which days are weekly snapshot and ranking days, and the gap of a village
/// behind schedule.
/// </summary>
public static class Schedule
{
    /// <summary>
    /// The rate expected by <paramref name="day"/>: nothing before the first stage, the last stage's rate after it;
    /// between two stages either the earlier stage's rate (step) or the straight line between them, rounded down
    /// (linear).
    /// </summary>
    public static int ExpectedRateBp(ProgressSchedule schedule, DateOnly day)
    {
        var stages = schedule.Stages;
        if (stages.Count == 0 || day < stages[0].Date) return 0;
        for (var i = stages.Count - 1; i >= 0; i--)
        {
            if (day < stages[i].Date) continue;
            if (i == stages.Count - 1 || schedule.Between == StageInterpolation.Step) return stages[i].RateBp;
            var (from, to) = (stages[i], stages[i + 1]);
            long elapsed = day.DayNumber - from.Date.DayNumber;
            long span = to.Date.DayNumber - from.Date.DayNumber;
            var rise = (to.RateBp - from.RateBp) * elapsed;
            // Rounded down also when a later stage lowers the rate.
            var step = rise / span - (rise % span < 0 ? 1 : 0);
            return (int)(from.RateBp + step);
        }
        return 0;
    }

    public static bool IsSnapshotDay(ProgressSchedule schedule, DateOnly day) =>
        day >= schedule.FirstSnapshot && day <= schedule.LastSnapshot && (day.DayNumber - schedule.FirstSnapshot.DayNumber) % 7 == 0;

    /// <summary>Whether the day is a ranking day; never when the rules set no ranking cadence.</summary>
    public static bool IsRankingDay(ProgressSchedule schedule, DateOnly day) =>
        schedule is { RankingEveryWeeks: { } weeks, FirstRanking: { } first }
        && IsSnapshotDay(schedule, day) && day >= first && (day.DayNumber - first.DayNumber) % (7 * weeks) == 0;

    /// <summary>
    /// The snapshot day whose week <paramref name="today"/> falls in (the day itself or up to six days after it),
    /// or null outside the schedule. A snapshot missed for a whole week is not taken late: its counters would be
    /// the next week's.
    /// </summary>
    public static DateOnly? SnapshotDayFor(ProgressSchedule schedule, DateOnly today)
    {
        if (today < schedule.FirstSnapshot) return null;
        var day = today.AddDays(-((today.DayNumber - schedule.FirstSnapshot.DayNumber) % 7));
        return day <= schedule.LastSnapshot ? day : null;
    }

    /// <summary>How far a rate trails the expected rate, in basis points (0 when on or ahead of schedule). A village
    /// without a rate has no gap: it has no target to trail.</summary>
    public static int GapBp(Rate? achieved, int expectedBp) =>
        achieved is { } rate && !rate.AtLeastBp(expectedBp) ? expectedBp - rate.FloorBp : 0;
}
