using ErrorReason = Medins.Contribution.V1.ErrorReason;
using Medins.Platform.Hosting;

namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// What a quote depends on: the facts about one person on one payment day. A quote is a pure function of a
/// compiled policy and these facts, so the same facts always give the same answer.
/// </summary>
public sealed record PersonFacts
{
    public required int CoverageYear { get; init; }

    /// <summary>The tier asked for; 0 takes the policy's default tier.</summary>
    public int Tier { get; init; }

    /// <summary>The Asia/Shanghai calendar day of payment.</summary>
    public required DateOnly PaymentDate { get; init; }

    public DateOnly? BirthDate { get; init; }

    /// <summary>A person group of the policy (for example "resident", "university-student"); empty means the default group.</summary>
    public string PersonGroup { get; init; } = "";

    /// <summary>Identities the person holds: canonical categories ("tekun", "dibao", …) or the tenant's local codes ("2304").</summary>
    public IReadOnlyList<string> IdentityCodes { get; init; } = [];

    /// <summary>A life event that changes when benefits start (employee-insurance lapse, transfer in, newborn, …).</summary>
    public LifeEventFact? LifeEvent { get; init; }

    /// <summary>Qualifying attributes some identities require (for example Meishan's low-income members: aged 60+,
    /// minors, or grade 3–4 disability).</summary>
    public int? DisabilityGrade { get; init; }
}

/// <summary>
/// A dated life event. Kinds: "employee-insurance-lapse" (date = the day employee insurance ended), "transfer-in",
/// "new-household", "released-from-prison", "discharged-from-army", "newborn" (date = birth), "new-student".
/// </summary>
public sealed record LifeEventFact(string Kind, DateOnly Date);

/// <summary>One line of a quote: the standard, a subsidy, or a surcharge.</summary>
public sealed record PricedLine(
    PricedLineKind Kind,
    /// <summary>Canonical identity category for subsidies, else empty.</summary>
    string Category,
    /// <summary>A clerk-readable Chinese label, e.g. "低保对象资助".</summary>
    string Label,
    long AmountFen,
    /// <summary>Who pays a subsidy: "medical-assistance-fund", "fiscal-special-fund:<department>", …; empty otherwise.</summary>
    string FundingSource);

public enum PricedLineKind
{
    Standard,
    Subsidy,
    Surcharge,
}

/// <summary>A priced contribution. The only amount ever collected is <see cref="PersonalFen"/>.</summary>
public sealed record PricedQuote(
    string PolicyId,
    int PolicyVersion,
    int CoverageYear,
    int Tier,
    string PersonGroup,
    long StandardFen,
    long SubsidyFen,
    long SurchargeFen,
    long PersonalFen,
    DateOnly BenefitStart,
    DateOnly BenefitEnd,
    /// <summary>Days between payment and the start of benefits that are not covered (0 when none).</summary>
    int WaitingDays,
    IReadOnlyList<PricedLine> Lines,
    /// <summary>Why the amount and dates are what they are, in Chinese, for a clerk to read to the resident.</summary>
    string Explanation,
    /// <summary>Further coverage years the same payment must also cover (Gaoyang newborns spanning two years).</summary>
    IReadOnlyList<int> AdditionalCoverageYears)
{
    /// <summary>The policy enrols a household booklet together (seed 004 一（三）1): the payment side takes a single
    /// person's order only with the rest of her booklet.</summary>
    public bool EnrolHouseholdTogether { get; init; }
}

/// <summary>
/// A quote the policy refuses, with a reason code (the engine's are values of <see cref="ErrorReason"/>; a policy
/// document's refusal names its own code, so the code is kept as it is sent) and, where one exists, the next day it
/// would work.
/// </summary>
public sealed record QuoteRefusal(string Reason, string Message, DateOnly? NextPossibleDate)
{
    /// <summary>The zh-CN text for the clerk when <see cref="Message"/> is not already written for one.</summary>
    public string? ClerkMessage { get; init; }
}

/// <summary>Either a priced quote or a refusal.</summary>
public readonly record struct QuoteOutcome(PricedQuote? Quote, QuoteRefusal? Refusal)
{
    public static QuoteOutcome Priced(PricedQuote quote) => new(quote, null);
    public static QuoteOutcome Refused(string reason, string message, DateOnly? next = null) => new(null, new QuoteRefusal(reason, message, next));
    public static QuoteOutcome Refused(ErrorReason reason, string message, DateOnly? next = null) =>
        Refused(ErrorReasons.Code(reason), message, next);
}

/// <summary>One problem in a policy document, with the JSON path of the offending field (e.g. "$.identities[3].subsidy.1").</summary>
public sealed record PolicyError(string Path, string Message);
