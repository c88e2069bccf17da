namespace Medins.QuotaTracking.Domain;

/// <summary>
/// A village's reward and score for its enrolment rate under a tenant's rules (docs/domain.md "Targets"; Linjiang seed 002
/// §二(四)). Every decision compares exact fractions; only the score, a display figure, is rounded (down).
/// </summary>
public static class Rewards
{
    /// <summary>The first band, from the highest down, whose lower boundary the rate meets (the last band is open
    /// to 0%, so there always is one).</summary>
    public static RewardBand BandFor(RewardRule rule, Rate rate) =>
        rule.Bands.FirstOrDefault(b => b.From.IsMetBy(rate))
        ?? throw new InvalidOperationException("The reward bands do not cover every rate.");

    /// <summary>The village's reward: the band's amount per enrolled person.</summary>
    public static long RewardFen(RewardBand band, long enrolledCount) => band.FenPerPerson * Math.Max(enrolledCount, 0);

    /// <summary>
    /// The score in hundredths of a point: full points from the full threshold, plus the bonus for each whole step
    /// above it; full × rate / proportionalOf from the proportional threshold; nothing below.
    /// </summary>
    public static int ScoreCentipoints(ScoringRule rule, Rate rate)
    {
        long full = rule.FullPoints * 100L;
        if (rule.FullFrom.IsMetBy(rate))
        {
            if (rule.Bonus is not { } bonus) return (int)full;
            // Whole steps: (people/base − from) ÷ step, in integers.
            var excess = rate.People * Rate.Whole - rule.FullFrom.Bp * rate.Base;
            var steps = excess <= 0 ? 0 : excess / (bonus.StepBp * rate.Base);
            return (int)Math.Min(full + steps * bonus.PointsPerStep * 100L, int.MaxValue);
        }
        if (rule.ProportionalFrom.IsMetBy(rate))
            return (int)(full * rate.People * Rate.Whole / (rule.ProportionalOfBp * rate.Base));
        return 0;
    }
}

/// <summary>A village to rank: its enrolled people against its base (after reductions).</summary>
public sealed record RankCandidate(string VillageCode, long Enrolled, long Base);

/// <summary>A village's place, rate, reward and score.</summary>
public sealed record Standing(int Rank, RankCandidate Village, Rate Rate, RewardBand? Band, long RewardFen, int ScoreCentipoints);

public static class Ranking
{
    /// <summary>
    /// Villages best first by exact enrolment rate; equal rates are ordered by village code, so every village has
    /// its own rank and the order never changes between two reads of the same counts. A village without a positive
    /// base has no rate and is not ranked.
    /// </summary>
    public static IReadOnlyList<Standing> Rank(QuotaRules rules, IEnumerable<RankCandidate> villages) =>
        villages
            .Select(v => (Village: v, Rate: Rate.Of(v.Enrolled, v.Base)))
            .Where(x => x.Rate is not null)
            .Select(x => (x.Village, Rate: x.Rate!.Value))
            .OrderByDescending(x => x.Rate)
            .ThenBy(x => x.Village.VillageCode, StringComparer.Ordinal)
            .Select((x, i) =>
            {
                var band = rules.Rewards is { } rewards ? Rewards.BandFor(rewards, x.Rate) : null;
                return new Standing(i + 1, x.Village, x.Rate, band,
                    band is null ? 0 : Rewards.RewardFen(band, x.Village.Enrolled),
                    rules.Scoring is { } scoring ? Rewards.ScoreCentipoints(scoring, x.Rate) : 0);
            })
            .ToList();
}
