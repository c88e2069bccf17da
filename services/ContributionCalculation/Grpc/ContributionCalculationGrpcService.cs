using Medins;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>Maps the gRPC contract to the policy store and the quote calculator.</summary>
public sealed class ContributionCalculationGrpcService(PlatformDatabase db, TenantContext tenant)
    : ContributionCalculationService.ContributionCalculationServiceBase
{
    public override async Task<QuoteContributionResponse> QuoteContribution(QuoteContributionRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year such as 2024")
            .Check(request.Tier >= 0, "tier", "must be 0 (default) or a tier number")
            .ThrowIfInvalid();
        var stored = await LoadPolicyAsync(tenant.RequireTenant(), request.CoverageYear, context.CancellationToken);
        QuoteResult result;
        try
        {
            result = QuoteCalculator.Quote(ContributionPolicy.Parse(stored.DocumentJson), request.Tier);
        }
        catch (UnknownTierException ex)
        {
            throw RpcErrors.InvalidArgument("UNKNOWN_TIER", ex.Message, ("tier", ex.Message));
        }

        var quote = new Quote
        {
            PolicyId = stored.PolicyId,
            PolicyVersion = stored.Version,
            CoverageYear = request.CoverageYear,
            Tier = result.Tier,
            StandardAmountFen = result.StandardFen,
            SubsidyAmountFen = result.SubsidyFen,
            PersonalAmountFen = result.PersonalFen,
            BenefitStartDate = result.BenefitStart.ToProtoDate(),
            BenefitEndDate = result.BenefitEnd.ToProtoDate(),
        };
        quote.Lines.AddRange(result.Lines.Select(l => new QuoteLine { Kind = l.Kind, Description = l.Description, AmountFen = l.AmountFen }));
        return new QuoteContributionResponse { Quote = quote };
    }

    public override async Task<GetPolicyResponse> GetPolicy(GetPolicyRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var stored = await LoadPolicyAsync(tenantId, request.CoverageYear, context.CancellationToken);
        return new GetPolicyResponse
        {
            Policy = new Policy
            {
                PolicyId = stored.PolicyId,
                TenantId = tenantId,
                CoverageYear = request.CoverageYear,
                Version = stored.Version,
                DocumentJson = stored.DocumentJson,
            },
        };
    }

    private sealed record StoredPolicy(string PolicyId, int Version, string DocumentJson);

    private Task<StoredPolicy> LoadPolicyAsync(string tenantId, int coverageYear, CancellationToken ct) =>
        db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT policy_id, version, document::text FROM policies
                WHERE tenant_id = $1 AND coverage_year = $2 ORDER BY version DESC LIMIT 1
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = coverageYear });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
                throw RpcErrors.NotFound("POLICY_NOT_FOUND", $"No contribution policy is published for coverage year {coverageYear}.");
            return new StoredPolicy(reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
        }, ct);
}
