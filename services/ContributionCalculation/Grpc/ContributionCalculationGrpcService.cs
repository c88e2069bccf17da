using System.Globalization;
using Medins;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Data;
using Medins.ContributionCalculation.Domain;
using Medins.ContributionCalculation.Upstream;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Tenancy;
using ErrorReason = Medins.Contribution.V1.ErrorReason;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>
/// Maps the gRPC contract to the policy store and the policy engine. Quotes are priced here from the engine's
/// compiled policies; publishing, reading and listing policy versions live in the other part of this class.
/// </summary>
public sealed partial class ContributionCalculationGrpcService(PlatformDatabase db, TenantContext tenant,
    RequestLog requestLog, Outbox outbox, CompiledPolicyCache policies,
    IdentityRegistryService.IdentityRegistryServiceClient identityRegistry, TimeProvider time,
    ILogger<ContributionCalculationGrpcService> logger)
    : ContributionCalculationService.ContributionCalculationServiceBase
{
    private const int MaxHouseholdMembers = 50;

    public override async Task<QuoteContributionResponse> QuoteContribution(QuoteContributionRequest request, ServerCallContext context)
    {
        var identityCodes = request.IdentityCategories.Concat(request.IdentityCodes).ToList();
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.PaymentDate is null || request.PaymentDate.ToDateOnly() is not null, "payment_date", "must be a full calendar date")
            .Check(request.ResidentId.Length == 0 || Guid.TryParse(request.ResidentId, out _), "resident_id", "must be a UUID")
            .CheckFacts("", request.Tier, request.PersonGroup, identityCodes, request.LifeEvent, request.DisabilityGrade, request.BirthDate)
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var paymentDate = request.PaymentDate.ToDateOnly() ?? ShanghaiCalendar.Today(time);
        var registered = await RegisteredFactsAsync(request.ResidentId, request.BirthDate, identityCodes, paymentDate, "", ct);
        var facts = QuoteMapping.ToFacts(request.CoverageYear, request.Tier, paymentDate, registered.BirthDate, request.PersonGroup,
            registered.IdentityCodes, request.LifeEvent, request.DisabilityGrade);
        var (version, policy) = await PolicyForDayAsync(tenantId, request.CoverageYear, paymentDate, ct);
        return new QuoteContributionResponse { Quote = Price(policy, version, facts) };
    }

    public override async Task<QuoteHouseholdResponse> QuoteHousehold(QuoteHouseholdRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.PaymentDate is null || request.PaymentDate.ToDateOnly() is not null, "payment_date", "must be a full calendar date")
            .Check(request.Tier >= 0, "tier", "must be 0 (the policy's default) or a tier number")
            .Check(request.Members.Count is > 0 and <= MaxHouseholdMembers, "members", $"must name 1 to {MaxHouseholdMembers} members");
        for (var i = 0; i < request.Members.Count; i++)
        {
            var member = request.Members[i];
            validator
                .Check(member.ResidentId.Length == 0 || Guid.TryParse(member.ResidentId, out _), $"members[{i}].resident_id", "must be a UUID")
                .CheckFacts($"members[{i}].", member.Tier, member.PersonGroup, member.IdentityCodes, member.LifeEvent,
                    member.DisabilityGrade, member.BirthDate);
        }
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var paymentDate = request.PaymentDate.ToDateOnly() ?? ShanghaiCalendar.Today(time);
        var registered = await Task.WhenAll(request.Members.Select((m, i) =>
            RegisteredFactsAsync(m.ResidentId, m.BirthDate, m.IdentityCodes, paymentDate, $"members[{i}].", ct)));
        // One version prices the whole household, so its members' amounts add up under the same rules.
        var (version, policy) = await PolicyForDayAsync(tenantId, request.CoverageYear, paymentDate, ct);

        var response = new QuoteHouseholdResponse { EnrolHouseholdTogether = policy.EnrolHouseholdTogether };
        for (var i = 0; i < request.Members.Count; i++)
        {
            var member = request.Members[i];
            var facts = QuoteMapping.ToFacts(request.CoverageYear, member.Tier != 0 ? member.Tier : request.Tier, paymentDate,
                registered[i].BirthDate, member.PersonGroup, registered[i].IdentityCodes, member.LifeEvent, member.DisabilityGrade);
            var quote = Price(policy, version, facts, $"members[{i}].",
                new Dictionary<string, string> { ["member_index"] = i.ToString(CultureInfo.InvariantCulture) });
            response.MemberQuotes.Add(new HouseholdMemberQuote { MemberIndex = i, ResidentId = member.ResidentId, Quote = quote });
            response.TotalPersonalAmountFen += quote.PersonalAmountFen;
            response.TotalSubsidyAmountFen += quote.SubsidyAmountFen;
        }
        response.Explanation = $"全户{request.Members.Count}人，个人缴费合计{QuoteMapping.Yuan(response.TotalPersonalAmountFen)}元，"
            + $"资助合计{QuoteMapping.Yuan(response.TotalSubsidyAmountFen)}元。"
            + (policy.EnrolHouseholdTogether ? "按本地政策，同一户口簿内符合参保条件的成员须全部参保，不得选择性参保。" : "");
        return response;
    }

    private static Quote Price(CompiledPolicy policy, PolicyVersionRef version, PersonFacts facts,
        string fieldPrefix = "", IReadOnlyDictionary<string, string>? errorMetadata = null)
    {
        var outcome = policy.Quote(facts);
        if (outcome.Refusal is { } refusal)
            throw QuoteMapping.ToError(refusal, version.PolicyId, version.Version, fieldPrefix, errorMetadata);
        return QuoteMapping.ToProto(outcome.Quote
            ?? throw new InvalidOperationException("The policy engine returned neither a quote nor a refusal."));
    }

    /// <summary>
    /// The facts the registry holds when a resident is named: her registered birth date (a birth date sent too must
    /// agree) and her certified identities valid on the payment day, added to any codes sent.
    /// </summary>
    private async Task<(DateOnly? BirthDate, IReadOnlyList<string> IdentityCodes)> RegisteredFactsAsync(string residentId,
        Google.Type.Date? sentBirthDate, IEnumerable<string> sentCodes, DateOnly paymentDate, string fieldPrefix, CancellationToken ct)
    {
        var sent = sentBirthDate.ToDateOnly();
        if (residentId.Length == 0) return (sent, sentCodes.ToList());
        var resident = await ResidentFacts.GetAsync(identityRegistry, residentId, fieldPrefix + "resident_id", time, ct);
        var registered = resident.BirthDate.ToDateOnly();
        if (sent is not null && registered is not null && sent != registered)
            throw RpcErrors.InvalidArgument(ErrorReason.BirthDateMismatch,
                $"The birth date sent ({sent:yyyy-MM-dd}) differs from resident {residentId}'s registered birth date.",
                (fieldPrefix + "birth_date", "differs from the registered birth date; leave it empty to use the registered one"));
        return (registered ?? sent, sentCodes.Concat(resident.IdentityCodesOn(paymentDate)).Distinct().ToList());
    }

    /// <summary>
    /// The compiled version that prices a payment day: the highest version in force on that day. Before any version
    /// takes effect the quote is refused with the day the first one does.
    /// </summary>
    private Task<(PolicyVersionRef Version, CompiledPolicy Policy)> PolicyForDayAsync(string tenantId, int coverageYear,
        DateOnly day, CancellationToken ct) =>
        db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var version = await PolicyStore.FindForDayAsync(conn, tx, tenantId, coverageYear, day, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.PolicyNotFound, $"No contribution policy is published for coverage year {coverageYear}.");
            if (!version.InForce)
                throw QuoteMapping.ToError(new QuoteRefusal(ErrorReasons.Code(ErrorReason.PolicyNotYetEffective),
                    $"No contribution policy for coverage year {coverageYear} is in force on {day:yyyy-MM-dd}; "
                    + $"{version.PolicyId} takes effect on {version.EffectiveFrom:yyyy-MM-dd}.", version.EffectiveFrom)
                    {
                        ClerkMessage = $"{coverageYear} 年度的缴费政策 {day:yyyy-MM-dd} 尚未生效，将于 {version.EffectiveFrom:yyyy-MM-dd} 起生效。"
                                       + "请在生效之后再核定金额和缴费。",
                    },
                    version.PolicyId, version.Version);
            return (version, await CompileAsync(conn, tx, tenantId, coverageYear, version.Version, ct)
                ?? throw new InvalidOperationException($"Policy {version.PolicyId} vanished while it was read."));
        }, ct);

    /// <summary>A published version in the engine's compiled form, compiled once per process; null when none.</summary>
    private async Task<CompiledPolicy?> CompileAsync(Npgsql.NpgsqlConnection conn, Npgsql.NpgsqlTransaction tx, string tenantId,
        int coverageYear, int version, CancellationToken ct)
    {
        if (policies.TryGet(tenantId, coverageYear, version, out var cached)) return cached;
        var document = await PolicyStore.GetDocumentAsync(conn, tx, tenantId, coverageYear, version, ct);
        if (document is null) return null;
        var policyId = PolicyStore.PolicyIdOf(tenantId, coverageYear, version);
        try
        {
            return policies.Add(tenantId, coverageYear, version, policyId, document);
        }
        catch (PolicyInvalidException ex)
        {
            // Only documents the engine accepted are published, so this is stored data the engine no longer reads.
            logger.LogError(ex, "Published policy {PolicyId} does not compile", policyId);
            throw RpcErrors.FailedPrecondition(ErrorReason.PolicyInvalid,
                $"The published policy {policyId} cannot be read by this version of the policy engine; publish a new version.");
        }
    }

    private static bool IsCoverageYear(int year) => year is >= 2000 and <= 2100;
}
