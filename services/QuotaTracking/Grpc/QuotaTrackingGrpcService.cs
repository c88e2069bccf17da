using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Tenancy;
using Medins.Quota.V1;
using Npgsql;

namespace Medins.QuotaTracking.Grpc;

/// <summary>
/// Reads the live village counters. A village is known when it has a task or has seen an event; a known village
/// without events reads as zeros, so a campaign's first morning shows every village instead of errors.
/// </summary>
public sealed class QuotaTrackingGrpcService(PlatformDatabase db, TenantContext tenant)
    : QuotaTrackingService.QuotaTrackingServiceBase
{
    public override async Task<GetVillageProgressResponse> GetVillageProgress(GetVillageProgressRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Require(request.VillageCode, "village_code")
            .Check(request.VillageCode.Length <= 64, "village_code", "must be at most 64 characters")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var progress = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand($"""
                {KnownVillagesSql}
                SELECT {ProgressColumns} FROM known k
                LEFT JOIN village_counters c USING (tenant_id, coverage_year, village_code)
                WHERE k.village_code = $3
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = request.CoverageYear });
            cmd.Parameters.Add(new() { Value = request.VillageCode });
            await using var reader = await cmd.ExecuteReaderAsync(context.CancellationToken);
            return await reader.ReadAsync(context.CancellationToken) ? ReadProgress(reader, tenantId, request.CoverageYear) : null;
        }, context.CancellationToken);

        return progress is null
            ? throw RpcErrors.NotFound("VILLAGE_NOT_FOUND",
                $"Village '{request.VillageCode}' has no task and no contributions for coverage year {request.CoverageYear}.")
            : new GetVillageProgressResponse { Progress = progress };
    }

    public override async Task<ListVillageProgressResponse> ListVillageProgress(ListVillageProgressRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.PageSize >= 0, "page_size", "must not be negative")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var token = VillagePageToken.Decode(request.PageToken, request.CoverageYear);
        var pageSize = VillagePageToken.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            // Keyset paging on the village code; one row more than the page tells whether another page exists.
            await using var cmd = new NpgsqlCommand($"""
                {KnownVillagesSql}
                SELECT {ProgressColumns} FROM known k
                LEFT JOIN village_counters c USING (tenant_id, coverage_year, village_code)
                WHERE k.village_code > $3
                ORDER BY k.village_code
                LIMIT $4
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = request.CoverageYear });
            cmd.Parameters.Add(new() { Value = token.AfterVillageCode });
            cmd.Parameters.Add(new() { Value = pageSize + 1 });
            var list = new List<VillageProgress>();
            await using var reader = await cmd.ExecuteReaderAsync(context.CancellationToken);
            while (await reader.ReadAsync(context.CancellationToken))
                list.Add(ReadProgress(reader, tenantId, request.CoverageYear));
            return list;
        }, context.CancellationToken);

        var response = new ListVillageProgressResponse();
        response.Progress.AddRange(rows.Take(pageSize));
        if (rows.Count > pageSize)
            response.NextPageToken = new VillagePageToken(request.CoverageYear, rows[pageSize - 1].VillageCode).Encode();
        return response;
    }

    // Villages with a task or a counter for the tenant and year ($1, $2).
    private const string KnownVillagesSql = """
        WITH known AS (
          SELECT tenant_id, coverage_year, village_code FROM village_targets WHERE tenant_id = $1 AND coverage_year = $2
          UNION
          SELECT tenant_id, coverage_year, village_code FROM village_counters WHERE tenant_id = $1 AND coverage_year = $2)
        """;

    private const string ProgressColumns =
        "k.village_code, coalesce(c.enrolled_count, 0), coalesce(c.collected_amount_fen, 0), coalesce(c.refunded_count, 0)";

    private static VillageProgress ReadProgress(NpgsqlDataReader reader, string tenantId, int coverageYear) => new()
    {
        TenantId = tenantId,
        CoverageYear = coverageYear,
        VillageCode = reader.GetString(0),
        EnrolledCount = reader.GetInt64(1),
        CollectedAmountFen = reader.GetInt64(2),
        RefundedCount = reader.GetInt64(3),
    };

    private static bool IsCoverageYear(int year) => year is >= 2000 and <= 2100;
}
