using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Households;

/// <summary>
/// A member of a household booklet as the registry knows her for the coverage year. <see cref="Label"/> names her for
/// a clerk of the same tenant (full name and masked ID number); <see cref="ExpectedToEnrol"/> is false for a member the
/// registry exempts (deceased or moved away, or suspended by army service, prison, employee insurance or insurance
/// elsewhere).
/// </summary>
public sealed record HouseholdMemberFacts(string ResidentId, string Label, bool EnrolledForYear, bool ExpectedToEnrol = true);

/// <summary>The members of one booklet paid together through one channel payment.</summary>
public sealed record HouseholdOrder(
    Guid HouseholdOrderId,
    string HouseholdNumber,
    string VillageCode,
    int CoverageYear,
    string Channel,
    OrderState State,
    long TotalPersonalFen,
    long TotalSubsidyFen,
    string? ChannelTransactionId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// The household order seen as one payable order (its amount the members' total), so a channel's notice for it
    /// is decided by exactly the rules of a single order.
    /// </summary>
    public PaymentOrder AsPayable() => new(HouseholdOrderId, $"household {HouseholdNumber}", VillageCode, CoverageYear, 0,
        Channel, State, TotalPersonalFen, TotalSubsidyFen, "", 0, default, default, ChannelTransactionId, CreatedAt, PaidAt,
        ExpiresAt);

    /// <summary>The household order after the rules moved its payable view.</summary>
    public HouseholdOrder With(PaymentOrder payable) =>
        this with { State = payable.State, ChannelTransactionId = payable.ChannelTransactionId, PaidAt = payable.PaidAt };
}

/// <summary>Who a household order pays for, and whether a tenant that enrols households together lets it.</summary>
public static class HouseholdOrderRules
{
    /// <summary>Refuses to act on a member order alone, naming the household order to act on instead.</summary>
    public static void EnsureNotMember(PaymentOrder order, string action)
    {
        if (order.HouseholdOrderId is { } household)
            throw new RuleViolation(ErrorReason.HouseholdMemberOrder, RefusalStatus.FailedPrecondition,
                $"Order {order.OrderId} belongs to household order {household}: {action} the household order instead.",
                new Dictionary<string, string> { ["household_order_id"] = household.ToString() });
    }

    /// <summary>
    /// A single person's order where the policy enrols a booklet together (seed 004 一（三）1): refused while another
    /// member expected to enrol is neither enrolled (as the registry knows) nor paid (<paramref name="paidHere"/>, this
    /// service's own paid orders, which the registry learns of only from their events), or while the booklet lists
    /// people not registered. Members the registry exempts never hold her up.
    /// </summary>
    public static void EnsureSingleMayEnrol(IReadOnlyList<HouseholdMemberFacts> members, string residentId,
        IReadOnlySet<string> paidHere, int unregisteredMembers)
    {
        var missing = members
            .Where(m => m.ResidentId != residentId && m.ExpectedToEnrol && !m.EnrolledForYear && !paidHere.Contains(m.ResidentId))
            .ToList();
        if (missing.Count > 0 || unregisteredMembers > 0)
            throw Incomplete(missing, unregisteredMembers);
    }

    /// <summary>Members another member's payment waits for: not enrolled for the year and expected to enrol.</summary>
    public static IEnumerable<HouseholdMemberFacts> Awaiting(IReadOnlyList<HouseholdMemberFacts> members, string residentId) =>
        members.Where(m => m.ResidentId != residentId && m.ExpectedToEnrol && !m.EnrolledForYear);

    private static RuleViolation Incomplete(IReadOnlyList<HouseholdMemberFacts> missing, int unregisteredMembers) =>
        Refusal(ErrorReason.HouseholdIncomplete,
            "This tenant enrols a household booklet together (seed 004 一（三）1): "
            + (missing.Count > 0 ? $"pay for {string.Join("、", missing.Select(m => m.Label))} too" : "")
            + (missing.Count > 0 && unregisteredMembers > 0 ? "; " : "")
            + (unregisteredMembers > 0 ? $"{unregisteredMembers} member(s) the booklet lists are not registered" : "")
            + ".", missing.Select(m => m.ResidentId).ToList(), missing.Select(m => m.Label).ToList());

    /// <summary>
    /// A household rule refuses the order, naming the members concerned (ErrorInfo metadata <c>resident_ids</c>, and
    /// for HOUSEHOLD_INCOMPLETE each missing member's full name and masked ID number, for the clerk to act on).
    /// </summary>
    public static RuleViolation Refusal(ErrorReason reason, string message, IReadOnlyList<string> residentIds,
        IReadOnlyList<string>? missingLabels = null)
    {
        var facts = new Dictionary<string, string> { ["resident_ids"] = string.Join(",", residentIds) };
        if (missingLabels is { Count: > 0 }) facts["missing_members"] = string.Join("、", missingLabels);
        // Naming people not on the booklet is a fault of the request; the other refusals are the booklet's state.
        return reason == ErrorReason.NotAHouseholdMember
            ? new RuleViolation(reason, RefusalStatus.InvalidArgument, message, facts,
                fields: [new FieldProblem("resident_ids", "must be members of the household")])
            : new RuleViolation(reason, RefusalStatus.FailedPrecondition, message, facts);
    }

    /// <summary>
    /// The members to pay for: those asked (or, when none are named, every member not yet enrolled for the year and
    /// expected to enrol).
    /// Where the policy enrols a booklet together (Gaoyang seed 004 §一(三)1: 同一户口簿内符合参保条件的家庭成员应当同时参保，
    /// 不能选择性参保), a member left out who is not enrolled and expected to enrol, or a booklet listing people not registered, refuses the
    /// order with HOUSEHOLD_INCOMPLETE naming who is missing.
    /// </summary>
    public static IReadOnlyList<HouseholdMemberFacts> MembersToPay(IReadOnlyList<HouseholdMemberFacts> members,
        IReadOnlyCollection<string> requested, bool enrolTogether, int unregisteredMembers)
    {
        var byId = members.ToDictionary(m => m.ResidentId);
        var strangers = requested.Where(id => !byId.ContainsKey(id)).ToList();
        if (strangers.Count > 0)
            throw Refusal(ErrorReason.NotAHouseholdMember, $"Not members of this household: {string.Join(", ", strangers)}.", strangers);
        var enrolled = requested.Where(id => byId[id].EnrolledForYear).ToList();
        if (enrolled.Count > 0)
            throw Refusal(ErrorReason.AlreadyPaid, $"Already enrolled for the year: {string.Join(", ", enrolled)}.", enrolled);

        var chosen = requested.Count == 0
            ? members.Where(m => !m.EnrolledForYear && m.ExpectedToEnrol).ToList()
            : requested.Distinct().Select(id => byId[id]).ToList();
        if (enrolTogether)
        {
            var missing = members.Where(m => !m.EnrolledForYear && m.ExpectedToEnrol && !chosen.Contains(m)).ToList();
            if (missing.Count > 0 || unregisteredMembers > 0)
                throw Incomplete(missing, unregisteredMembers);
        }
        if (chosen.Count == 0)
            throw Refusal(ErrorReason.HouseholdNothingToPay, "Every member of this household is already enrolled for the year.", []);
        return chosen;
    }
}
