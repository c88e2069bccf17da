namespace Medins.QuotaTracking.Domain;

/// <summary>
/// An enrolment rate kept as the exact fraction of two counts, so every band and score decision is made in integer
/// arithmetic: "at least 95%" is <c>people × 10000 ≥ 9500 × base</c>, never a rounded double.
/// </summary>
public readonly record struct Rate : IComparable<Rate>
{
    /// <summary>Basis points in one hundred percent.</summary>
    public const long Whole = 10_000;

    // Counts are people in one tenant (well below 10^9) and thresholds at most a few times Whole, so every product
    // below stays far inside a long.
    public long People { get; }
    public long Base { get; }

    private Rate(long people, long @base)
    {
        People = people;
        Base = @base;
    }

    /// <summary>The rate of <paramref name="people"/> out of <paramref name="base"/>; null without a positive base.
    /// A negative count (never kept, but defensive) reads as none.</summary>
    public static Rate? Of(long people, long @base) => @base <= 0 ? null : new Rate(Math.Max(people, 0), @base);

    public bool AtLeastBp(long bp) => People * Whole >= bp * Base;

    public bool AboveBp(long bp) => People * Whole > bp * Base;

    /// <summary>Basis points rounded down (a rate never shows a threshold it has not reached).</summary>
    public int FloorBp => (int)Math.Min(People * Whole / Base, int.MaxValue);

    public int CompareTo(Rate other) => (People * other.Base).CompareTo(other.People * Base);

    /// <summary>For gauges only; decisions use the exact comparisons above.</summary>
    public double AsRatio => (double)People / Base;
}
