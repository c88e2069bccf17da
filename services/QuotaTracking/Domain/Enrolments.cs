namespace Medins.QuotaTracking.Domain;

/// <summary>A change to a village's counters (and to each of its breakdowns the order falls in).</summary>
public sealed record CountDelta(long Enrolled = 0, long Paid = 0, long ZeroContribution = 0, long Refunded = 0,
    long CollectedFen = 0, long DifferentialRefunds = 0, long SubsidyFen = 0);

/// <summary>A subsidy line summed per fund and category; the amount is signed (withdrawn lines are negative).</summary>
public sealed record FundLine(string FundingSource, string Category, long AmountFen, string Description);

/// <summary>What a differential refund changes: the counts, whether the enrolment is now zero-contribution, and
/// the key groups the newly certified identity adds.</summary>
public sealed record DifferentialChange(CountDelta Delta, bool NowZeroContribution, long NetPersonalFen, IReadOnlyList<string> AddedKeyGroups);

/// <summary>
/// How contribution events move the counters. An enrolment is paid while the person's own part (net of
/// differential refunds) is positive and zero-contribution (零缴费) when it is nil; enrolled = paid + zero.
/// A full refund ends the enrolment; a differential refund keeps it and returns the newly subsidised part.
/// </summary>
public static class Enrolments
{
    public static CountDelta Payment(long personalFen, long subsidyFen) => personalFen > 0
        ? new CountDelta(Enrolled: 1, Paid: 1, CollectedFen: personalFen, SubsidyFen: subsidyFen)
        : new CountDelta(Enrolled: 1, ZeroContribution: 1, SubsidyFen: subsidyFen);

    public static CountDelta FullRefund(bool zeroContribution, long refundedFen, long withdrawnSubsidyFen) => new(
        Enrolled: -1, Paid: zeroContribution ? 0 : -1, ZeroContribution: zeroContribution ? -1 : 0, Refunded: 1,
        CollectedFen: -refundedFen, SubsidyFen: -withdrawnSubsidyFen);

    /// <param name="netPersonalFen">The person's own part still held before this refund.</param>
    /// <param name="keyGroups">The key groups the order already counts in.</param>
    /// <param name="grantedGroups">The key groups the granted lines' categories put the person in.</param>
    public static DifferentialChange DifferentialRefund(long netPersonalFen, long refundedFen, long subsidyChangeFen,
        IReadOnlyCollection<string> keyGroups, IEnumerable<string> grantedGroups)
    {
        var wasZero = netPersonalFen <= 0;
        var net = netPersonalFen - refundedFen;
        var becomesZero = !wasZero && net <= 0;
        var delta = new CountDelta(Paid: becomesZero ? -1 : 0, ZeroContribution: becomesZero ? 1 : 0, CollectedFen: -refundedFen,
            DifferentialRefunds: 1, SubsidyFen: subsidyChangeFen);
        var added = grantedGroups.Where(g => !keyGroups.Contains(g)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new DifferentialChange(delta, wasZero || becomesZero, net, added);
    }

    /// <summary>The key groups a person falls in, from her subsidy categories and person group.</summary>
    public static IReadOnlyList<string> KeyGroupsOf(QuotaRules? rules, IEnumerable<string> categories, string personGroup)
    {
        if (rules is null) return [];
        var list = categories.ToList();
        return rules.KeyGroups.Where(g => g.Matches(list, personGroup)).Select(g => g.Id).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Lines summed per fund and category, in a fixed order (so row locks are always taken in the same order).</summary>
    public static IReadOnlyList<FundLine> Sum(IEnumerable<FundLine> lines, int sign) =>
        lines.GroupBy(l => (l.FundingSource, l.Category))
            .Select(g => new FundLine(g.Key.FundingSource, g.Key.Category, sign * g.Sum(l => l.AmountFen),
                g.Select(l => l.Description).FirstOrDefault(d => d.Length > 0) ?? ""))
            .OrderBy(l => l.FundingSource, StringComparer.Ordinal).ThenBy(l => l.Category, StringComparer.Ordinal)
            .ToList();

    /// <summary>A person counts for a fund while her net line from it is positive.</summary>
    public static long PeopleChange(long amountBefore, long amountAfter) => (amountAfter > 0 ? 1 : 0) - (amountBefore > 0 ? 1 : 0);
}
