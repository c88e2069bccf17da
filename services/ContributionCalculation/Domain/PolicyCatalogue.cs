namespace Medins.ContributionCalculation.Domain;

// What a compiled policy publishes besides quotes: its tiers, groups, identities, periods, refund rules and offers,
// for adapters (GetPolicy, identity-registry's vocabulary, payment-collection's refunds).

public sealed record PolicyTierInfo(int Tier, string Name);

public sealed record PersonGroupInfo(string Id, string Name, bool IsDefault, IReadOnlyDictionary<int, long> StandardFenByTier, string Clause);

/// <summary>Who pays a subsidy: "medical-assistance-fund", "fiscal-special-fund:civil-affairs", …, with its Chinese name.</summary>
public sealed record FundingSourceInfo(string Id, string Name);

/// <summary>One subsidised identity: its canonical category, the tenant's local codes for it, and its rule.</summary>
public sealed record IdentityInfo(
    string Category,
    string Name,
    IReadOnlyList<string> LocalCodes,
    /// <summary>The policy row it belongs to (identities of one row share one subsidy rule).</summary>
    string RowLabel,
    string FundingSource,
    bool WaitingPeriodApplies,
    IReadOnlyList<string> Tags,
    /// <summary>Person groups the identity applies to; empty means every group.</summary>
    IReadOnlyList<string> PersonGroups,
    /// <summary>Position in the import order (later imports override earlier ones); null under highest-subsidy precedence.</summary>
    int? ImportRank,
    string Clause);

public sealed record CollectionPeriodInfo(
    string Id,
    string Label,
    /// <summary>"concentrated", "mid-year" or "special".</summary>
    string Kind,
    DateOnly From,
    DateOnly To,
    /// <summary>Person groups it serves; empty means every group.</summary>
    IReadOnlyList<string> PersonGroups,
    /// <summary>Open only to holders of some life events or identity tags.</summary>
    bool Restricted,
    /// <summary>A reason code when the period refuses quotes (e.g. ALREADY_COVERED), else null.</summary>
    string? RefusalReason,
    string Clause);

/// <summary>
/// When a paid contribution is refunded (Gaoyang §二(五)3): the reasons, only before benefits start, and whether an
/// identity certified after payment earns a refund of the difference (Gaoyang yes, Lidu no: "不再进行差额资助").
/// </summary>
public sealed record RefundRules(
    IReadOnlyList<string> Reasons,
    bool OnlyBeforeBenefitStart,
    bool DifferentialRefundDuringCollectionPeriod,
    bool DifferentialRefundAfterCollectionPeriod,
    string Clause);

/// <summary>The optional commercial supplementary insurance a resident may buy once the basic contribution is paid (Meishan §四).</summary>
public sealed record SupplementaryInsuranceOffer(string Name, bool Voluntary, bool AfterBasicContributionPaid, string Clause);

/// <summary>
/// A refund the policy allows (with its amount) or refuses, with a reason code and a Chinese message. A differential
/// refund also carries the re-priced quote under the new identity, whose subsidy lines the funds now owe.
/// </summary>
public sealed record RefundDecision(bool Allowed, string Reason, long AmountFen, string Message)
{
    public PricedQuote? Requote { get; init; }
}

/// <summary>Reason codes of <see cref="RefundDecision"/>.</summary>
public static class RefundDecisionReasons
{
    public const string Allowed = "REFUND_ALLOWED";
    public const string ReasonNotInPolicy = "REFUND_REASON_NOT_IN_POLICY";
    public const string BenefitsStarted = "BENEFITS_ALREADY_STARTED";
    public const string NoDifferentialRefund = "NO_DIFFERENTIAL_REFUND";
    public const string NothingToRefund = "NOTHING_TO_REFUND";
    public const string NotThisPolicy = "QUOTE_NOT_FROM_THIS_POLICY";
}

/// <summary>
/// A rule or number the policy's seed does not state, chosen by the bureau and marked <c>"source": "bureau"</c> at
/// <paramref name="Path"/> (for example "$.fiscalSubsidy"); <paramref name="Note"/> says what the seed leaves open.
/// </summary>
public sealed record BureauParameter(string Path, string Note);
