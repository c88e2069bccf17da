using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;

namespace Medins.PaymentCollection.Orders;

/// <summary>
/// Who the person is (identity-registry) and what she pays (contribution-calculation), each call under the platform's
/// default deadline (an order's quote is stale after OrderBook.MaxQuoteAge anyway); failures upstream become this
/// service's own refusals (<see cref="UpstreamCalls"/>), never an INTERNAL with a trace.
/// </summary>
public sealed class ResidentPricing(
    TimeProvider time,
    IdentityRegistryService.IdentityRegistryServiceClient identityRegistry,
    ContributionCalculationService.ContributionCalculationServiceClient contributionCalculation)
{
    private const string IdentityRegistry = "identity-registry";
    private const string ContributionCalculation = "contribution-calculation";

    public async Task<Resident> GetResidentAsync(string residentId, CancellationToken ct)
    {
        var resident = await UpstreamCalls.CallAsync(IdentityRegistry, callCt =>
            identityRegistry.GetResidentAsync(new GetResidentRequest { ResidentId = residentId }, cancellationToken: callCt)
                .ResponseAsync, time, ct, ErrorReasons.Code(ErrorReason.ResidentNotFound));
        if (resident.Resident is null || string.IsNullOrWhiteSpace(resident.Resident.VillageCode))
            throw UpstreamCalls.BadResponse(IdentityRegistry, $"no village for resident {residentId}");
        return resident.Resident;
    }

    /// <summary>The booklet's members and, for household-together tenants, whether it is complete for the year.</summary>
    public async Task<Household> GetHouseholdAsync(string householdNumber, int coverageYear, CancellationToken ct)
    {
        var request = new GetHouseholdRequest { HouseholdNumber = householdNumber, CoverageYear = coverageYear };
        var response = await UpstreamCalls.CallAsync(IdentityRegistry, callCt =>
            identityRegistry.GetHouseholdAsync(request, cancellationToken: callCt).ResponseAsync, time, ct,
            ErrorReasons.Code(ErrorReason.HouseholdNotFound));
        return response.Household ?? throw UpstreamCalls.BadResponse(IdentityRegistry, $"no household {householdNumber}");
    }

    /// <summary>Prices the person on the Asia/Shanghai day of <paramref name="paymentTime"/>, from her registered facts.</summary>
    public async Task<(PricedContribution Price, Quote Quote)> QuoteAsync(Resident resident, int coverageYear, int tier,
        DateTimeOffset paymentTime, CancellationToken ct)
    {
        var paymentDate = ShanghaiCalendar.ToDate(paymentTime);
        var request = QuoteRequestFor(resident, coverageYear, tier, paymentDate);
        var response = await UpstreamCalls.CallAsync(ContributionCalculation, callCt =>
            contributionCalculation.QuoteContributionAsync(request, cancellationToken: callCt).ResponseAsync, time, ct);
        var quote = response.Quote ?? throw UpstreamCalls.BadResponse(ContributionCalculation, "no quote");
        return (ToPrice(quote), quote);
    }

    /// <summary>
    /// Prices every member of a household under one policy version on the Asia/Shanghai day of
    /// <paramref name="paymentTime"/>, from each one's registered facts; says too whether the policy enrols a booklet
    /// together.
    /// </summary>
    public async Task<(IReadOnlyList<(PricedContribution Price, Quote Quote)> Members, bool EnrolTogether)> QuoteHouseholdAsync(
        IReadOnlyList<string> residentIds, int coverageYear, int tier, DateTimeOffset paymentTime, CancellationToken ct)
    {
        var paymentDate = ShanghaiCalendar.ToDate(paymentTime);
        var residents = await Task.WhenAll(residentIds.Select(id => GetResidentAsync(id, ct)));
        var request = new QuoteHouseholdRequest
        {
            CoverageYear = coverageYear,
            Tier = tier,
            PaymentDate = paymentDate.ToProtoDate(),
            Members =
            {
                residents.Select(r => HouseholdMemberFor(r, paymentDate)),
            },
        };
        var response = await UpstreamCalls.CallAsync(ContributionCalculation, callCt =>
            contributionCalculation.QuoteHouseholdAsync(request, cancellationToken: callCt).ResponseAsync, time, ct);
        if (response.MemberQuotes.Count != residentIds.Count || response.MemberQuotes.Any(q => q.Quote is null))
            throw UpstreamCalls.BadResponse(ContributionCalculation, "a household quote without every member");
        return (response.MemberQuotes.OrderBy(q => q.MemberIndex).Select(q => (ToPrice(q.Quote), q.Quote)).ToList(),
            response.EnrolHouseholdTogether);
    }

    /// <summary>
    /// Every fact of hers the quote engine prices by, as the registry holds them on the payment day: birth date,
    /// person group, certified identities, disability grade and the life event that governs when her benefits start.
    /// A single order and a household member are priced from exactly these facts.
    /// </summary>
    public static QuoteContributionRequest QuoteRequestFor(Resident resident, int coverageYear, int tier, DateOnly paymentDate)
    {
        var request = new QuoteContributionRequest
        {
            CoverageYear = coverageYear,
            BirthDate = resident.BirthDate,
            Tier = tier,
            PaymentDate = paymentDate.ToProtoDate(),
            PersonGroup = resident.PersonGroup?.PersonGroup ?? "",
            DisabilityGrade = resident.DisabilityGrade,
            LifeEvent = GoverningLifeEvent(resident, paymentDate),
            // Only the person's own part is collected: her certified identities price the subsidy.
            IdentityCodes = { resident.IdentityCodesOn(paymentDate) },
        };
        return request;
    }

    /// <inheritdoc cref="QuoteRequestFor"/>
    public static Contribution.V1.HouseholdMember HouseholdMemberFor(Resident resident, DateOnly paymentDate) => new()
    {
        BirthDate = resident.BirthDate,
        PersonGroup = resident.PersonGroup?.PersonGroup ?? "",
        DisabilityGrade = resident.DisabilityGrade,
        LifeEvent = GoverningLifeEvent(resident, paymentDate),
        IdentityCodes = { resident.IdentityCodesOn(paymentDate) },
    };

    /// <summary>
    /// The one life event the quote is asked with. The registry may know several (born, moved in, discharged, …) and
    /// the quote takes one: the latest on or before the payment day, as the most recent change is the one her
    /// enrolment answers (an earlier one's window has normally closed; the policy itself judges each window). On a tie
    /// a recorded event wins over her birth, and her birth over her admission. None when no event is on or before the
    /// payment day (the quote then follows the general rules).
    /// </summary>
    public static Contribution.V1.LifeEvent? GoverningLifeEvent(Resident resident, DateOnly paymentDate)
    {
        // A student already insured for the school year (seed 000 三（二）) is covered whatever else happened: the policy
        // answers that she has nothing more to pay.
        if (resident.PersonGroup is { SchoolYearScheme: true } scheme)
        {
            var recorded = scheme.RecordTime is null ? paymentDate : ShanghaiCalendar.ToDate(scheme.RecordTime.ToDateTimeOffset());
            return new Contribution.V1.LifeEvent
            {
                Kind = Contribution.V1.LifeEventKind.SchoolYearScheme,
                Date = (recorded <= paymentDate ? recorded : paymentDate).ToProtoDate(),
            };
        }
        var candidates = new List<(DateOnly Date, Contribution.V1.LifeEventKind Kind)>();
        foreach (var e in resident.LifeEvents)
            if (PricedKind(e.Kind) is { } kind && e.OccurredDate.ToDateOnly() is { } date)
                candidates.Add((date, kind));
        if (resident.BirthDate.ToDateOnly() is { } born)
            candidates.Add((born, Contribution.V1.LifeEventKind.Newborn));
        if (resident.PersonGroup?.AdmissionDate.ToDateOnly() is { } admitted)
            candidates.Add((admitted, Contribution.V1.LifeEventKind.NewStudent));
        var governing = candidates
            .Where(c => c.Date <= paymentDate)
            .Select((c, order) => (c.Date, c.Kind, Order: order))
            .OrderByDescending(c => c.Date).ThenBy(c => c.Order)
            .FirstOrDefault();
        return governing.Kind == Contribution.V1.LifeEventKind.Unspecified
            ? null
            : new Contribution.V1.LifeEvent { Kind = governing.Kind, Date = governing.Date.ToProtoDate() };
    }

    /// <summary>identity-registry's life events that change when benefits start, as contribution-calculation names them.</summary>
    private static Contribution.V1.LifeEventKind? PricedKind(Identity.V1.LifeEventKind kind) => kind switch
    {
        Identity.V1.LifeEventKind.EmployeeInsuranceEnded => Contribution.V1.LifeEventKind.EmployeeInsuranceLapse,
        Identity.V1.LifeEventKind.TransferIn => Contribution.V1.LifeEventKind.TransferIn,
        Identity.V1.LifeEventKind.NewHousehold => Contribution.V1.LifeEventKind.NewHousehold,
        Identity.V1.LifeEventKind.Release => Contribution.V1.LifeEventKind.ReleasedFromPrison,
        Identity.V1.LifeEventKind.Discharge => Contribution.V1.LifeEventKind.DischargedFromArmy,
        _ => null,
    };

    /// <summary>The quote's subsidy lines: who pays the subsidy, fund by fund.</summary>
    public static List<SubsidyLine> SubsidyLinesOf(Quote quote) => quote.Lines
        .Where(l => l.Kind == "subsidy")
        .Select(l => new SubsidyLine(l.Category, l.FundingSource, l.AmountFen, l.Description))
        .ToList();

    public static PricedContribution ToPrice(Quote quote)
    {
        var start = quote.BenefitStartDate.ToDateOnly();
        var end = quote.BenefitEndDate.ToDateOnly();
        if (start is null || end is null || string.IsNullOrEmpty(quote.PolicyId)
            || quote.PersonalAmountFen < 0 || quote.SubsidyAmountFen < 0)
            throw UpstreamCalls.BadResponse(ContributionCalculation, "an incomplete quote");
        var subsidyLines = SubsidyLinesOf(quote);
        return new PricedContribution(quote.Tier, quote.PersonalAmountFen, quote.SubsidyAmountFen, quote.PolicyId,
            quote.PolicyVersion, start.Value, end.Value)
        {
            SubsidyLines = subsidyLines,
            PersonGroup = quote.PersonGroup,
        };
    }
}
