namespace Medins.IdentityRegistry.Domain;

public enum EnrolmentStatus
{
    NotEnrolled,
    Enrolled,
    Refunded,
    Refused,
    /// <summary>A full refund of the enrolling order was requested: the enrolment is suspended until it completes.</summary>
    RefundPending,
}

/// <summary>One fund's share of an enrolled person's subsidy.</summary>
public sealed record EnrolmentSubsidyLine(string Category, string FundingSource, long AmountFen);

/// <summary>Subsidy lines compared by value, so an unchanged event is seen as unchanged.</summary>
public sealed record EnrolmentSubsidyLines(IReadOnlyList<EnrolmentSubsidyLine> Lines)
{
    public static readonly EnrolmentSubsidyLines None = new([]);

    public bool Equals(EnrolmentSubsidyLines? other) => other is not null && Lines.SequenceEqual(other.Lines);

    public override int GetHashCode() => Lines.Count;
}

/// <summary>A resident's enrolment in one coverage year.</summary>
public sealed record EnrolmentState(EnrolmentStatus Status, string? OrderId, long PersonalAmountFen,
    DateOnly? BenefitStart, DateOnly? BenefitEnd)
{
    /// <summary>RefundPending or Refunded: the policy's refund reason.</summary>
    public string? RefundReason { get; init; }

    /// <summary>The refund's reason means she is not expected to enrol this year (off the ledgers, no reminders).</summary>
    public bool ExcusedFromEnrolment { get; init; }

    public EnrolmentSubsidyLines SubsidyLines { get; init; } = EnrolmentSubsidyLines.None;
}

/// <summary>A settled contribution as payment-collection reports it.</summary>
public sealed record PaidContribution(string OrderId, long PersonalAmountFen, DateOnly? BenefitStart, DateOnly? BenefitEnd)
{
    public EnrolmentSubsidyLines SubsidyLines { get; init; } = EnrolmentSubsidyLines.None;
}

/// <summary>What each full-refund reason of the policies means for whether she is expected to enrol here.</summary>
public static class RefundReasons
{
    private enum Meaning
    {
        Deceased,
        ServingOrImprisoned,
        CoveredElsewhere,
    }

    // Seed 004 §二(五)3: after death, army service, prison, paying twice, employee insurance or another region's
    // resident insurance the enrolment here is suspended (暂停相关居民医保参保关系) and the money refunded; seed 003
    // 附件1 (教育部门) has duplicate enrolment refunded where she is registered: she is insured elsewhere. In each case
    // she is not to be insured here this year, so nobody should remind her to pay.
    private static readonly IReadOnlyDictionary<string, Meaning> Meanings = new Dictionary<string, Meaning>
    {
        ["death"] = Meaning.Deceased,
        ["army"] = Meaning.ServingOrImprisoned,
        ["prison"] = Meaning.ServingOrImprisoned,
        ["duplicate"] = Meaning.CoveredElsewhere,
        ["employee-insurance"] = Meaning.CoveredElsewhere,
        ["other-region"] = Meaning.CoveredElsewhere,
    };

    /// <summary>Whether a refund for <paramref name="reason"/> means she is not expected to enrol; an unknown reason does not.</summary>
    public static bool ExcusesFromEnrolment(string reason) => Meanings.ContainsKey(reason);
}

/// <summary>
/// How payment events move an enrolment. Events may arrive late, twice or out of order, so each rule looks at the
/// order that produced the current state. Returns null when the event changes nothing.
/// </summary>
public static class EnrolmentRules
{
    public static EnrolmentState? OnPaid(EnrolmentState? current, PaidContribution paid)
    {
        var enrolled = new EnrolmentState(EnrolmentStatus.Enrolled, paid.OrderId, paid.PersonalAmountFen, paid.BenefitStart, paid.BenefitEnd)
        {
            SubsidyLines = paid.SubsidyLines,
        };
        if (current is null) return enrolled;
        return current.Status switch
        {
            // The same order again (a corrected event) refreshes it; a second order does not displace the first,
            // which enrolled her: double payments are refunded by payment-collection.
            EnrolmentStatus.Enrolled => current.OrderId == paid.OrderId && current != enrolled ? enrolled : null,
            // A refund (asked for or done) is final for its order: a paid event for it arriving after is stale.
            EnrolmentStatus.Refunded or EnrolmentStatus.RefundPending => current.OrderId == paid.OrderId ? null : enrolled,
            _ => enrolled,
        };
    }

    /// <summary>A full refund of <paramref name="orderId"/> was requested: the enrolment it bought is suspended.</summary>
    public static EnrolmentState? OnRefundRequested(EnrolmentState? current, string orderId, string reason)
    {
        var excused = RefundReasons.ExcusesFromEnrolment(reason);
        // Seen before its payment: remembered, so the late payment does not enrol her.
        if (current is null)
            return new EnrolmentState(EnrolmentStatus.RefundPending, orderId, 0, null, null)
            {
                RefundReason = reason, ExcusedFromEnrolment = excused,
            };
        // Another order's refund (a double payment) leaves the enrolment that stands; a completed refund is final.
        if (current.OrderId != orderId || current.Status is EnrolmentStatus.Refunded or EnrolmentStatus.RefundPending) return null;
        return current with { Status = EnrolmentStatus.RefundPending, RefundReason = reason, ExcusedFromEnrolment = excused };
    }

    public static EnrolmentState? OnRefunded(EnrolmentState? current, string orderId) => OnRefunded(current, orderId, null);

    /// <summary>A full refund of <paramref name="orderId"/> completed: the enrolment it bought ends.</summary>
    public static EnrolmentState? OnRefunded(EnrolmentState? current, string orderId, string? reason)
    {
        var excused = reason is not null && RefundReasons.ExcusesFromEnrolment(reason);
        // A refund seen before its payment is remembered, so the late payment does not enrol her.
        if (current is null)
            return new EnrolmentState(EnrolmentStatus.Refunded, orderId, 0, null, null) { RefundReason = reason, ExcusedFromEnrolment = excused };
        // Refunding another order (a double payment) leaves the enrolment that stands untouched.
        if (current.OrderId != orderId || current.Status == EnrolmentStatus.Refunded) return null;
        return current with { Status = EnrolmentStatus.Refunded, RefundReason = reason, ExcusedFromEnrolment = excused };
    }

    /// <summary>
    /// A differential refund of the enrolling order completed: she stays enrolled, her own part is what payment-collection
    /// says remains and the new identity's lines replace the subsidy lines (seed 004 §二(五)3).
    /// </summary>
    public static EnrolmentState? OnDifferentialRefund(EnrolmentState? current, string orderId, long remainingPersonalFen,
        EnrolmentSubsidyLines grantedLines)
    {
        if (current is null || current.OrderId != orderId
            || current.Status is not (EnrolmentStatus.Enrolled or EnrolmentStatus.RefundPending)) return null;
        var next = current with { PersonalAmountFen = remainingPersonalFen, SubsidyLines = grantedLines };
        return next == current ? null : next;
    }
}
