namespace Medins.IdentityRegistry.Domain;

public enum EnrolmentStatus
{
    NotEnrolled,
    Enrolled,
    Refunded,
    Refused,
}

/// <summary>A resident's enrolment in one coverage year.</summary>
public sealed record EnrolmentState(EnrolmentStatus Status, string? OrderId, long PersonalAmountFen,
    DateOnly? BenefitStart, DateOnly? BenefitEnd);

/// <summary>A settled contribution as payment-collection reports it.</summary>
public sealed record PaidContribution(string OrderId, long PersonalAmountFen, DateOnly? BenefitStart, DateOnly? BenefitEnd);

/// <summary>
/// How payment events move an enrolment. Events may arrive late, twice or out of order, so each rule looks at the
/// order that produced the current state. Returns null when the event changes nothing.
/// </summary>
public static class EnrolmentRules
{
    public static EnrolmentState? OnPaid(EnrolmentState? current, PaidContribution paid)
    {
        var enrolled = new EnrolmentState(EnrolmentStatus.Enrolled, paid.OrderId, paid.PersonalAmountFen, paid.BenefitStart, paid.BenefitEnd);
        if (current is null) return enrolled;
        return current.Status switch
        {
            // The same order again (a corrected event) refreshes it; a second order does not displace the first,
            // which enrolled her: double payments are refunded by payment-collection.
            EnrolmentStatus.Enrolled => current.OrderId == paid.OrderId && current != enrolled ? enrolled : null,
            // A refund is final for its order: a paid event for it arriving after the refund is stale.
            EnrolmentStatus.Refunded => current.OrderId == paid.OrderId ? null : enrolled,
            _ => enrolled,
        };
    }

    public static EnrolmentState? OnRefunded(EnrolmentState? current, string orderId)
    {
        // A refund seen before its payment is remembered, so the late payment does not enrol her.
        if (current is null) return new EnrolmentState(EnrolmentStatus.Refunded, orderId, 0, null, null);
        // Refunding another order (a double payment) leaves the enrolment that stands untouched.
        if (current.OrderId != orderId || current.Status == EnrolmentStatus.Refunded) return null;
        return current with { Status = EnrolmentStatus.Refunded };
    }
}
