namespace Medins.PaymentCollection.Domain;

/// <summary>A member of a household booklet as the registry knows her for the coverage year.</summary>
public sealed record HouseholdMemberFacts(string ResidentId, string MaskedName, bool EnrolledForYear);

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
    public const string HouseholdIncomplete = "HOUSEHOLD_INCOMPLETE";
    public const string NotAMember = "NOT_A_HOUSEHOLD_MEMBER";
    public const string NothingToPay = "HOUSEHOLD_NOTHING_TO_PAY";
    /// <summary>A member order was named alone: it is confirmed, cancelled and paid only with its household order.</summary>
    public const string MemberOrder = "HOUSEHOLD_MEMBER_ORDER";
    public const string MembersChanged = "HOUSEHOLD_MEMBERS_CHANGED";

    /// <summary>Refuses to act on a member order alone, naming the household order to act on instead.</summary>
    public static void EnsureNotMember(PaymentOrder order, string action)
    {
        if (order.HouseholdOrderId is { } household)
            throw new PaymentRuleException(MemberOrder,
                $"Order {order.OrderId} belongs to household order {household}: {action} the household order instead.")
            {
                Metadata = new Dictionary<string, string> { ["household_order_id"] = household.ToString() },
            };
    }

    /// <summary>
    /// The members to pay for: those asked (or, when none are named, every member not yet enrolled for the year).
    /// Where the policy enrols a booklet together (Gaoyang seed 004 §一(三)1: 同一户口簿内符合参保条件的家庭成员应当同时参保，
    /// 不能选择性参保), a member left out who is not enrolled, or a booklet listing people not registered, refuses the
    /// order with HOUSEHOLD_INCOMPLETE naming who is missing.
    /// </summary>
    public static IReadOnlyList<HouseholdMemberFacts> MembersToPay(IReadOnlyList<HouseholdMemberFacts> members,
        IReadOnlyCollection<string> requested, bool enrolTogether, int unregisteredMembers)
    {
        var byId = members.ToDictionary(m => m.ResidentId);
        var strangers = requested.Where(id => !byId.ContainsKey(id)).ToList();
        if (strangers.Count > 0)
            throw new HouseholdRuleException(NotAMember, $"Not members of this household: {string.Join(", ", strangers)}.", strangers);
        var enrolled = requested.Where(id => byId[id].EnrolledForYear).ToList();
        if (enrolled.Count > 0)
            throw new HouseholdRuleException(PaymentRuleException.AlreadyPaid,
                $"Already enrolled for the year: {string.Join(", ", enrolled)}.", enrolled);

        var chosen = requested.Count == 0
            ? members.Where(m => !m.EnrolledForYear).ToList()
            : requested.Distinct().Select(id => byId[id]).ToList();
        if (enrolTogether)
        {
            var missing = members.Where(m => !m.EnrolledForYear && !chosen.Contains(m)).ToList();
            if (missing.Count > 0 || unregisteredMembers > 0)
                throw new HouseholdRuleException(HouseholdIncomplete,
                    "This tenant enrols a household booklet together: "
                    + (missing.Count > 0 ? $"pay for {string.Join("、", missing.Select(m => m.MaskedName))} too" : "")
                    + (missing.Count > 0 && unregisteredMembers > 0 ? "; " : "")
                    + (unregisteredMembers > 0 ? $"{unregisteredMembers} member(s) the booklet lists are not registered" : "")
                    + ".", missing.Select(m => m.ResidentId).ToList());
        }
        if (chosen.Count == 0)
            throw new HouseholdRuleException(NothingToPay, "Every member of this household is already enrolled for the year.", []);
        return chosen;
    }
}

/// <summary>A household rule refuses the order; <see cref="ResidentIds"/> names the members concerned.</summary>
public sealed class HouseholdRuleException(string reason, string message, IReadOnlyList<string> residentIds) : Exception(message)
{
    public string Reason { get; } = reason;
    public IReadOnlyList<string> ResidentIds { get; } = residentIds;
}
