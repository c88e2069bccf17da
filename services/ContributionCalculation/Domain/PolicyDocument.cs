namespace Medins.ContributionCalculation.Domain;

// The policy document as read from JSON, before compilation. Every node keeps its JSON path so that semantic checks
// can name the offending field; a null member means the field was missing or malformed (already reported).

internal sealed class PolicyDocument
{
    public string Path = "$";
    public int? FormatVersion;
    public string? Name;
    public string? Source;
    public List<Located<string>>? AppliesTo;
    public string AppliesToPath = "$.appliesTo";
    public Located<int>? CoverageYear;
    public BenefitPeriodNode? BenefitPeriod;
    public Located<long>? FiscalSubsidyFen;
    public string? FiscalSubsidyClause;
    public bool IncludesCriticalIllnessInsurance;
    public bool EnrolHouseholdTogether;
    public List<TierNode>? Tiers;
    public Located<int>? DefaultTier;
    public List<PersonGroupNode>? PersonGroups;
    public List<FundingSourceNode>? FundingSources;
    public List<IdentityNode>? Identities;
    public PrecedenceNode? Precedence;
    public List<LifeEventRuleNode>? LifeEventRules;
    public List<CollectionPeriodNode>? CollectionPeriods;
    public RefundNode? Refunds;
    public SupplementaryNode? SupplementaryInsurance;
    /// <summary>Rules and numbers the seed does not state, each marked <c>"source": "bureau"</c> where it stands.</summary>
    public List<BureauParameter> BureauParameters = [];
}

internal sealed record Located<T>(T Value, string Path);

internal sealed class BenefitPeriodNode
{
    public string Path = "";
    public Located<DateOnly>? Start;
    public Located<DateOnly>? End;
    public string? Clause;
}

internal sealed class TierNode
{
    public string Path = "";
    public Located<int>? Tier;
    public string? Name;
}

/// <summary>Amounts keyed "tier1".."tier9".</summary>
internal sealed class TierMap<T>
{
    public string Path = "";
    public List<(int Tier, T Value, string Path)> Entries = [];
    /// <summary>Tiers that have a key, even when its value was malformed (and already reported).</summary>
    public HashSet<int> Keys = [];
}

internal sealed class PersonGroupNode
{
    public string Path = "";
    public Located<string>? Id;
    public string? Name;
    public bool IsDefault;
    public TierMap<Located<long>>? StandardFen;
    public string? Clause;
}

internal sealed class FundingSourceNode
{
    public string Path = "";
    public Located<string>? Id;
    public string? Name;
}

internal sealed class IdentityNode
{
    public string Path = "";
    public string? Label;
    public List<MemberNode>? Members;
    public TierMap<SubsidyNode>? Subsidy;
    public Located<string>? FundingSource;
    public List<FundingOverrideNode>? FundingOverrides;
    public bool WaitingPeriodApplies = true;
    public string? WaitingPeriodClause;
    public List<Located<string>>? Tags;
    public List<Located<string>>? PersonGroups;
    public TierRestrictionNode? TierRestriction;
    public List<ConditionNode>? Conditions;
    public string? ConditionsPath;
    public string? Clause;
}

internal sealed class MemberNode
{
    public string Path = "";
    public Located<string>? Category;
    public string? Name;
    public List<Located<string>>? LocalCodes;
}

internal enum SubsidyKind : byte { None, Fixed, Share, FullTier }

internal sealed class SubsidyNode
{
    public string Path = "";
    public SubsidyKind Kind;
    public long Value;
}

internal sealed class FundingOverrideNode
{
    public string Path = "";
    public Located<DateOnly>? From;
    public Located<DateOnly>? To;
    public List<Located<string>>? PersonGroups;
    public Located<string>? FundingSource;
    public string? Clause;
}

internal sealed class TierRestrictionNode
{
    public string Path = "";
    public List<Located<int>>? AllowedTiers;
    public Located<string>? Otherwise;
    public string? Clause;
}

internal sealed class ConditionNode
{
    public string Path = "";
    public int? MinAge;
    public int? MaxAge;
    public List<int>? DisabilityGrades;
}

internal sealed class PrecedenceNode
{
    public string Path = "";
    public Located<string>? Rule;
    public List<List<Located<string>>>? ImportOrder;
    public string ImportOrderPath = "";
    public string? Clause;
}

internal enum StartRuleKind : byte
{
    None,
    BenefitPeriodStart,
    FirstOfNextMonth,
    DaysAfterPayment,
    NthMonthCountingPaymentMonth,
    PaymentDay,
    DayAfterPayment,
    EventDate,
}

internal sealed class StartRuleNode
{
    public string Path = "";
    public StartRuleKind Kind;
    public int Parameter;
}

internal sealed class LifeEventRuleNode
{
    public string Path = "";
    public Located<string>? Id;
    public Located<string>? Event;
    public string? Label;
    public List<Located<string>>? PersonGroups;
    public Located<int>? WithinDays;
    public Located<int>? WithinMonths;
    public StartRuleNode? BenefitStart;
    public bool StartMayPrecedeCoverageYear;
    public bool GapCovered;
    public BirthYearPartNode? BirthYearPart;
    public string? Clause;
}

internal sealed class BirthYearPartNode
{
    public string Path = "";
    public TierMap<Located<long>>? PreviousYearStandardFen;
    public string? Clause;
}

internal sealed class CollectionPeriodNode
{
    public string Path = "";
    public Located<string>? Id;
    public string? Label;
    public Located<string>? Kind;
    public List<Located<string>>? PersonGroups;
    public Located<DateOnly>? From;
    public Located<DateOnly>? To;
    public List<Located<string>>? OpenToLifeEventRules;
    public List<Located<string>>? OpenToIdentityTags;
    public Located<int>? PaymentDayFirst;
    public Located<int>? PaymentDayLast;
    public string? PaymentDaysClause;
    public StartRuleNode? BenefitStart;
    public SurchargeNode? Surcharge;
    public RefusalNode? Refusal;
    public string? Clause;
}

internal sealed class SurchargeNode
{
    public string Path = "";
    public bool FiscalSubsidy;
    public List<Located<string>>? WaivedForTags;
    public Located<string>? WaiverFundingSource;
    public string? Clause;
}

internal sealed class RefusalNode
{
    public string Path = "";
    public string? Reason;
    public string? Message;
}

internal sealed class RefundNode
{
    public string Path = "";
    public List<Located<string>>? Reasons;
    public bool OnlyBeforeBenefitStart = true;
    public bool DifferentialDuringCollection;
    public bool DifferentialAfterCollection;
    public string? Clause;
}

internal sealed class SupplementaryNode
{
    public string Path = "";
    public string? Name;
    public bool Voluntary = true;
    public bool AfterBasicContributionPaid = true;
    public string? Clause;
}
