namespace Medins.IdentityRegistry.Domain;

public enum HouseholdProblem
{
    BookletUnknown,
    MembersUnregistered,
    HeadMissing,
    MembersNotEnrolled,
    MoreMembersThanBooklet,
}

/// <summary>
/// A registered member as the completeness check sees her: is she the head, is she enrolled in the year, and is she
/// expected to enrol at all (not deregistered by death or moving away; not suspended by army service, prison, employee
/// insurance or insurance elsewhere; not excused this year by a refund for such a reason). Only members expected to
/// enrol are 符合参保条件: the others never make a booklet incomplete.
/// </summary>
public sealed record HouseholdMemberFacts(bool IsHead, EnrolmentStatus? Status, bool ExpectedToEnrol = true);

/// <summary>
/// Household-together enrolment (seed 004 二（五）1 同一户口簿内符合参保条件的家庭成员应当同时参保): all eligible members of one booklet enrol together, so a
/// household is complete for a year only when every person the booklet lists is registered, one is the head, and
/// every registered member who is expected to enrol is enrolled.
/// </summary>
public static class Households
{
    public static readonly string[] Relationships =
        ["head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "child_in_law", "other"];

    public static List<HouseholdProblem> Check(int? bookletMemberCount, IReadOnlyCollection<HouseholdMemberFacts> members)
    {
        var problems = new List<HouseholdProblem>();
        if (bookletMemberCount is not { } listed) problems.Add(HouseholdProblem.BookletUnknown);
        else if (members.Count < listed) problems.Add(HouseholdProblem.MembersUnregistered);
        else if (members.Count > listed) problems.Add(HouseholdProblem.MoreMembersThanBooklet);
        if (!members.Any(m => m.IsHead)) problems.Add(HouseholdProblem.HeadMissing);
        if (members.Any(m => m.ExpectedToEnrol && m.Status != EnrolmentStatus.Enrolled)) problems.Add(HouseholdProblem.MembersNotEnrolled);
        return problems;
    }
}
