using System.Text.RegularExpressions;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>The administrative divisions (city → county → township → village) a tenant's residents live in.</summary>
public sealed partial class IdentityRegistryGrpcService
{
    private const string DivisionList = "divisions";

    [GeneratedRegex("^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")]
    private static partial Regex DivisionCodePattern();

    public override async Task<ListDivisionsResponse> ListDivisions(ListDivisionsRequest request, ServerCallContext context)
    {
        var parentCode = request.ParentCode.Trim();
        new RequestValidator()
            .CheckPageSize(request.PageSize)
            .Check(parentCode.Length == 0 || DivisionCodePattern().IsMatch(parentCode), "parent_code", "must be a 6, 9 or 12-digit division code")
            .ThrowIfInvalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var after = PageTokens.Decode(request.PageToken, DivisionList, parentCode, keyLength: 2);
        var (afterTenant, afterCode) = after.Length == 0 ? ("", "") : (after[0], after[1]);
        var ct = context.CancellationToken;

        List<DivisionRow> rows;
        if (tenant.TenantId is null && tenant.IsCityScope)
            rows = await db.InCityScopeAsync(tenant.Client, "IdentityRegistryService/ListDivisions", "divisions of every tenant",
                (conn, tx) => DivisionQueries.ListAsync(conn, tx, null, parentCode, afterTenant, afterCode, pageSize + 1, ct), ct);
        else
        {
            var tenantId = tenant.RequireTenant();
            rows = await db.InTenantAsync(tenantId,
                (conn, tx) => DivisionQueries.ListAsync(conn, tx, tenantId, parentCode, afterTenant, afterCode, pageSize + 1, ct), ct);
        }

        var response = new ListDivisionsResponse();
        response.Divisions.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize)
            response.NextPageToken = PageTokens.Encode(DivisionList, parentCode, rows[pageSize - 1].TenantId, rows[pageSize - 1].Code);
        return response;
    }

    private static Division ToProto(DivisionRow row) => new()
    {
        Code = row.Code,
        Name = row.Name,
        Level = row.Level switch
        {
            "city" => DivisionLevel.City,
            "county" => DivisionLevel.County,
            "township" => DivisionLevel.Township,
            "village" => DivisionLevel.Village,
            _ => DivisionLevel.Unspecified,
        },
        ParentCode = row.ParentCode ?? "",
        // The contract shows the city's own divisions with no tenant.
        TenantId = row.TenantId == DivisionQueries.CityTenant ? "" : row.TenantId,
    };
}
