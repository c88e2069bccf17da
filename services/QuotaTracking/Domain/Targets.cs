namespace Medins.QuotaTracking.Domain;

/// <summary>What a village's target is set from: the populations a tenant may count against, and a task table's task.</summary>
public sealed record VillageBases(int? RegisteredPopulation, int? ResidentPopulation, int? LastYearEnrolled, int? TaskTableTask);

/// <summary>A resolved target: the base the rate is counted against and the task (before reductions).</summary>
public sealed record ResolvedTarget(int Base, int Task, bool FromTaskTable, bool RaisedToLastYear);

/// <summary>Sets village and key-group targets from a tenant's <see cref="TargetRule"/> (docs/domain.md "Targets").</summary>
public static class Targets
{
    /// <summary>The base the rule names, or null when the village's data lacks it.</summary>
    public static int? BaseOf(TargetRule rule, VillageBases bases) => rule.Base switch
    {
        TargetBase.RegisteredPopulation => bases.RegisteredPopulation,
        TargetBase.ResidentPopulation => bases.ResidentPopulation,
        TargetBase.LastYearEnrolled => bases.LastYearEnrolled,
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Base, "unknown base"),
    };

    /// <summary>
    /// A task table's task is the tenant's own decision and is kept as given. Otherwise the task is base × rate,
    /// rounded as the rule says, and raised to last year's enrolled count when the rule sets that floor.
    /// </summary>
    public static ResolvedTarget? Resolve(TargetRule rule, VillageBases bases)
    {
        if (BaseOf(rule, bases) is not { } @base) return null;
        if (bases.TaskTableTask is { } given) return new ResolvedTarget(@base, given, FromTaskTable: true, RaisedToLastYear: false);
        var task = Apply(@base, rule.RateBp, rule.Rounding);
        if (rule.NotBelowLastYear && bases.LastYearEnrolled is { } lastYear && lastYear > task)
            return new ResolvedTarget(@base, lastYear, FromTaskTable: false, RaisedToLastYear: true);
        return new ResolvedTarget(@base, task, FromTaskTable: false, RaisedToLastYear: false);
    }

    /// <summary>A key group's target: the fewest people whose rate reaches the group's rate (99% of 57 is 57).</summary>
    public static int KeyGroupTarget(int groupBase, int targetRateBp) => Apply(groupBase, targetRateBp, TaskRounding.Ceiling);

    public static int Apply(int @base, int rateBp, TaskRounding rounding)
    {
        long scaled = (long)@base * rateBp;
        var result = rounding switch
        {
            TaskRounding.Floor => scaled / Rate.Whole,
            TaskRounding.Ceiling => (scaled + Rate.Whole - 1) / Rate.Whole,
            TaskRounding.HalfUp => (scaled + Rate.Whole / 2) / Rate.Whole,
            _ => throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "unknown rounding"),
        };
        return (int)result;
    }
}
