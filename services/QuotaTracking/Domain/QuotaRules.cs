namespace Medins.QuotaTracking.Domain;

/// <summary>
/// A tenant's quota rules for one coverage year (docs/domain.md "Targets"): how village tasks are set, which key groups must
/// reach which rate, when the campaign closes, the schedule progress is measured against, and the rewards and
/// scores villages earn. One document per tenant and year (<c>Rules/*.jsonc</c>); nothing here names a tenant.
/// Rates are basis points of the base (1% = 100).
/// </summary>
public sealed record QuotaRules
{
    public required int FormatVersion { get; init; }
    public required string Name { get; init; }
    public string? Source { get; init; }
    public required IReadOnlyList<string> AppliesTo { get; init; }
    public required int CoverageYear { get; init; }
    public required CampaignDates Campaign { get; init; }
    public required TargetRule Targets { get; init; }
    public IReadOnlyList<KeyGroupRule> KeyGroups { get; init; } = [];
    public ProgressSchedule? Progress { get; init; }
    public RewardRule? Rewards { get; init; }
    public ScoringRule? Scoring { get; init; }

    public KeyGroupRule? KeyGroup(string id) => KeyGroups.FirstOrDefault(g => g.Id == id);
}

public sealed record CampaignDates
{
    public required DateOnly Opens { get; init; }
    public required DateOnly Closes { get; init; }
    /// <summary>
    /// The last day a task reduction is accepted, or null when the tenant grants none (only seed 002 §二（二）
    /// grants them: 核减参保任务 before the campaign ends).
    /// </summary>
    public DateOnly? ReductionsUntil { get; init; }
    /// <summary>Who set the reductions: the seed's clause, or the bureau's own choice. Required with reductions.</summary>
    public RuleSource? ReductionsSource { get; init; }
    public string? Clause { get; init; }
}

/// <summary>
/// Where a rule comes from: a clause of the tenant's seed plan, or the bureau's own choice where the plan is silent.
/// A rule the seed does not state is never cited as its clause.
/// </summary>
public enum RuleSource
{
    Seed,
    Bureau,
}

/// <summary>What a village's enrolment is counted against (docs/domain.md "Targets").</summary>
public enum TargetBase
{
    /// <summary>户籍人数 (Linjiang).</summary>
    RegisteredPopulation,
    /// <summary>常住人口 from statistics (Gaoyang).</summary>
    ResidentPopulation,
    /// <summary>Last year's actual enrolled count (Lidu, Meishan).</summary>
    LastYearEnrolled,
}

/// <summary>How base × rate becomes a whole number of people.</summary>
public enum TaskRounding
{
    /// <summary>Nearest, halves up (Linjiang's table: 5027 × 95% = 4775.65 → 4776, 3412 × 95% = 3241.4 → 3241).</summary>
    HalfUp,
    /// <summary>The smallest count whose rate reaches the target rate.</summary>
    Ceiling,
    Floor,
}

public sealed record TargetRule
{
    public required TargetBase Base { get; init; }
    public required int RateBp { get; init; }
    public required TaskRounding Rounding { get; init; }
    /// <summary>A computed task is raised to last year's enrolled count when that is higher ("不低于2023年").</summary>
    public bool NotBelowLastYear { get; init; }
    /// <summary>Whether the seed states the base and rate, or the bureau chose them (the seed sets no village targets).</summary>
    public RuleSource Source { get; init; } = RuleSource.Seed;
    public string? Clause { get; init; }
}

/// <summary>
/// A group whose enrolment has its own target rate. A person belongs to it when a subsidy line of her payment names
/// one of its categories, or her person group is one of its person groups.
/// </summary>
public sealed record KeyGroupRule
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required int TargetRateBp { get; init; }
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<string> PersonGroups { get; init; } = [];
    public string? Clause { get; init; }

    public bool Matches(IEnumerable<string> categories, string personGroup) =>
        PersonGroups.Contains(personGroup) || categories.Any(Categories.Contains);
}

/// <summary>A lower boundary: whether a rate exactly on it is inside.</summary>
public sealed record Threshold
{
    public required int Bp { get; init; }
    public required bool Inclusive { get; init; }

    public bool IsMetBy(Rate rate) => Inclusive ? rate.AtLeastBp(Bp) : rate.AboveBp(Bp);
}

public enum StageInterpolation
{
    /// <summary>时序进度: the expected rate grows in proportion to the days elapsed between two stages.</summary>
    Linear,
    /// <summary>Each stage's rate holds from its date until the next stage's.</summary>
    Step,
}

public sealed record ScheduleStage
{
    public required DateOnly Date { get; init; }
    public required int RateBp { get; init; }
}

/// <summary>Staged target rates, weekly snapshots, and which snapshots are ranking days (none unless set).</summary>
public sealed record ProgressSchedule
{
    public required IReadOnlyList<ScheduleStage> Stages { get; init; }
    public required StageInterpolation Between { get; init; }
    /// <summary>Snapshots are taken every seven days from this day to <see cref="LastSnapshot"/>.</summary>
    public required DateOnly FirstSnapshot { get; init; }
    public required DateOnly LastSnapshot { get; init; }
    /// <summary>Ranking days: every this many weeks from <see cref="FirstRanking"/> (a snapshot day); null when the
    /// tenant ranks no villages on a cadence (only seed 004 §四（三） states one: 半月一排名).</summary>
    public int? RankingEveryWeeks { get; init; }
    public DateOnly? FirstRanking { get; init; }
    /// <summary>Who set the ranking cadence: the seed's clause, or the bureau's own choice. Required with a cadence.</summary>
    public RuleSource? RankingSource { get; init; }
    public string? Clause { get; init; }
}

public sealed record RewardBand
{
    public required Threshold From { get; init; }
    public required long FenPerPerson { get; init; }
    public required string Label { get; init; }
}

/// <summary>Per-person funding reward by enrolment rate; bands from the highest down, the last open to 0%.</summary>
public sealed record RewardRule
{
    public required IReadOnlyList<RewardBand> Bands { get; init; }
    public string? Clause { get; init; }
}

public sealed record ScoreBonus
{
    public required int PointsPerStep { get; init; }
    public required int StepBp { get; init; }
}

/// <summary>
/// Score of the enrolment item in a village's yearly assessment: full points (plus whole bonus steps above the
/// full threshold) from <see cref="FullFrom"/>; full × rate / <see cref="ProportionalOfBp"/> from
/// <see cref="ProportionalFrom"/>; nothing below.
/// </summary>
public sealed record ScoringRule
{
    public required int FullPoints { get; init; }
    public required Threshold FullFrom { get; init; }
    public ScoreBonus? Bonus { get; init; }
    public required Threshold ProportionalFrom { get; init; }
    public required int ProportionalOfBp { get; init; }
    public string? Clause { get; init; }
}
