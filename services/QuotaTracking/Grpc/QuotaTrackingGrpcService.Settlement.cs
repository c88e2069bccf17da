using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Quota.V1;
using Medins.QuotaTracking.Data;

namespace Medins.QuotaTracking.Grpc;

/// <summary>The subsidy settlement statement (seed 003 三（三）3(1): fiscal special funds transfer by 20 Dec).</summary>
public sealed partial class QuotaTrackingGrpcService
{
    public override async Task<GetSubsidySettlementResponse> GetSubsidySettlement(GetSubsidySettlementRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var funds = await db.InTenantAsync(tenantId, (conn, tx) => SettlementQueries.ByFundAsync(conn, tx, tenantId, request.CoverageYear, ct), ct);

        var response = new GetSubsidySettlementResponse
        {
            CoverageYear = request.CoverageYear,
            AsOfTime = ProtoMapping.ToTimestamp(time.GetUtcNow()),
        };
        foreach (var fund in funds)
        {
            var settlement = new FundSettlement { FundingSource = fund.FundingSource, PeopleCount = fund.People, AmountFen = fund.AmountFen };
            settlement.Categories.AddRange(fund.Categories.Select(r => new CategorySettlement
            {
                Category = r.Category, Description = r.Description, PeopleCount = r.People, AmountFen = r.AmountFen,
            }));
            response.Funds.Add(settlement);
            response.TotalAmountFen += settlement.AmountFen;
        }
        return response;
    }
}
