using System.Globalization;
using Google.Rpc;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>The wire form of the policy engine's facts, quotes and refusals.</summary>
internal static class QuoteMapping
{
    public const int MaxIdentityCodes = 32;
    public const int MaxTextLength = 64;

    private static readonly Dictionary<LifeEventKind, string> LifeEventKinds = new()
    {
        [LifeEventKind.EmployeeInsuranceLapse] = "employee-insurance-lapse",
        [LifeEventKind.TransferIn] = "transfer-in",
        [LifeEventKind.NewHousehold] = "new-household",
        [LifeEventKind.ReleasedFromPrison] = "released-from-prison",
        [LifeEventKind.DischargedFromArmy] = "discharged-from-army",
        [LifeEventKind.Newborn] = "newborn",
        [LifeEventKind.NewStudent] = "new-student",
        [LifeEventKind.SchoolYearScheme] = "school-year-scheme",
    };

    /// <summary>Refusals that name a value the request got wrong: INVALID_ARGUMENT with the field, not FAILED_PRECONDITION.</summary>
    private static readonly Dictionary<string, string> InvalidArgumentReasons = new()
    {
        [ErrorReasons.Code(ErrorReason.UnknownTier)] = "tier",
        [ErrorReasons.Code(ErrorReason.UnknownPersonGroup)] = "person_group",
    };

    /// <summary>Checks the facts a person brings; <paramref name="prefix"/> names the member in a household request.</summary>
    public static RequestValidator CheckFacts(this RequestValidator validator, string prefix, int tier, string personGroup,
        IReadOnlyCollection<string> identityCodes, LifeEvent? lifeEvent, int disabilityGrade, Google.Type.Date? birthDate)
    {
        validator
            .Check(tier >= 0, prefix + "tier", "must be 0 (the policy's default) or a tier number")
            .Check(personGroup.Length <= MaxTextLength, prefix + "person_group", $"must be at most {MaxTextLength} characters")
            .Check(identityCodes.Count <= MaxIdentityCodes, prefix + "identity_codes", $"must hold at most {MaxIdentityCodes} codes")
            .Check(identityCodes.All(c => !string.IsNullOrWhiteSpace(c) && c.Length <= MaxTextLength), prefix + "identity_codes",
                $"must be non-empty codes of at most {MaxTextLength} characters")
            .Check(disabilityGrade is >= 0 and <= 4, prefix + "disability_grade", "must be 0 (none) or a grade from 1 to 4")
            .Check(birthDate is null || birthDate.ToDateOnly() is not null, prefix + "birth_date", "must be a full calendar date");
        if (lifeEvent is not null)
            validator
                .Check(LifeEventKinds.ContainsKey(lifeEvent.Kind), prefix + "life_event.kind", "must be a known life event kind")
                .Check(lifeEvent.Date.ToDateOnly() is not null, prefix + "life_event.date", "must be a full calendar date");
        return validator;
    }

    public static PersonFacts ToFacts(int coverageYear, int tier, DateOnly paymentDate, DateOnly? birthDate, string personGroup,
        IEnumerable<string> identityCodes, LifeEvent? lifeEvent, int disabilityGrade) => new()
    {
        CoverageYear = coverageYear,
        Tier = tier,
        PaymentDate = paymentDate,
        BirthDate = birthDate,
        PersonGroup = personGroup.Trim(),
        IdentityCodes = identityCodes.Select(c => c.Trim()).Distinct(StringComparer.Ordinal).ToArray(),
        LifeEvent = lifeEvent is null ? null : new LifeEventFact(LifeEventKinds[lifeEvent.Kind], lifeEvent.Date.ToDateOnly()!.Value),
        DisabilityGrade = disabilityGrade == 0 ? null : disabilityGrade,
    };

    public static Quote ToProto(PricedQuote priced)
    {
        var quote = new Quote
        {
            PolicyId = priced.PolicyId,
            PolicyVersion = priced.PolicyVersion,
            CoverageYear = priced.CoverageYear,
            Tier = priced.Tier,
            StandardAmountFen = priced.StandardFen,
            SubsidyAmountFen = priced.SubsidyFen,
            PersonalAmountFen = priced.PersonalFen,
            SurchargeAmountFen = priced.SurchargeFen,
            BenefitStartDate = priced.BenefitStart.ToProtoDate(),
            BenefitEndDate = priced.BenefitEnd.ToProtoDate(),
            WaitingDays = priced.WaitingDays,
            Explanation = priced.Explanation,
            PersonGroup = priced.PersonGroup,
            EnrolHouseholdTogether = priced.EnrolHouseholdTogether,
        };
        quote.Lines.AddRange(priced.Lines.Select(l => new QuoteLine
        {
            Kind = l.Kind switch
            {
                PricedLineKind.Standard => "standard",
                PricedLineKind.Subsidy => "subsidy",
                PricedLineKind.Surcharge => "surcharge",
                _ => throw new ArgumentOutOfRangeException(nameof(priced), l.Kind, "Unknown quote line kind."),
            },
            Description = l.Label,
            AmountFen = l.AmountFen,
            Category = l.Category,
            FundingSource = l.FundingSource,
        }));
        quote.AdditionalCoverageYears.AddRange(priced.AdditionalCoverageYears);
        return quote;
    }

    /// <summary>
    /// A refusal as the error clients branch on: its reason, the next day it would work, and the version that refused.
    /// </summary>
    /// <param name="fieldPrefix">Prefixes the field a refusal names ("members[2]." in a household request).</param>
    public static RuleViolation ToError(QuoteRefusal refusal, string policyId, int policyVersion, string fieldPrefix = "",
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>
        {
            ["policy_id"] = policyId,
            ["policy_version"] = policyVersion.ToString(CultureInfo.InvariantCulture),
        };
        if (refusal.NextPossibleDate is { } next)
            metadata["next_possible_date"] = next.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        foreach (var (key, value) in extraMetadata ?? new Dictionary<string, string>()) metadata[key] = value;

        return InvalidArgumentReasons.TryGetValue(refusal.Reason, out var field)
            ? new RuleViolation(refusal.Reason, RefusalStatus.InvalidArgument, refusal.Message, metadata, ClerkText(refusal),
                [new FieldProblem(fieldPrefix + field, refusal.Message)])
            : new RuleViolation(refusal.Reason, RefusalStatus.FailedPrecondition, refusal.Message, metadata, ClerkText(refusal));
    }

    /// <summary>
    /// The policy's own refusals are already written for the clerk, in Chinese with dates and the clause; anything
    /// else takes the catalog's text, with the next possible day when there is one.
    /// </summary>
    private static string? ClerkText(QuoteRefusal refusal)
    {
        if (refusal.ClerkMessage is not null) return refusal.ClerkMessage;
        if (refusal.Message.Any(c => c is >= '\u4e00' and <= '\u9fff')) return refusal.Message;
        return refusal.NextPossibleDate is { } next
            ? Medins.Platform.Hosting.ClerkMessages.For(refusal.Reason, Code.FailedPrecondition).TrimEnd('。')
              + $"；最早可在 {Medins.Platform.Hosting.ClerkText.Date(next)} 办理。"
            : null;
    }

    /// <summary>Yuan with two decimals, as a clerk reads an amount aloud.</summary>
    public static string Yuan(long fen) => Medins.Platform.Hosting.ClerkText.YuanNumber(fen);
}
