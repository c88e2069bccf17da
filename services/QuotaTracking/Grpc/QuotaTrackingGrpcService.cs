using System.Globalization;
using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Paging;
using Medins.Platform.Hosting.Tenancy;
using Medins.Quota.V1;
using Medins.QuotaTracking.Data;
using Microsoft.Extensions.Logging;
using Npgsql;
using ErrorReason = Medins.Quota.V1.ErrorReason;

namespace Medins.QuotaTracking.Grpc;

/// <summary>
/// Reads the live village counters and their roll-ups. A village is known when it has a task or has seen an event;
/// a known village without events reads as zeros, so a campaign's first morning shows every village instead of
/// errors. The other RPCs live in the partial files beside this one.
/// </summary>
public sealed partial class QuotaTrackingGrpcService(PlatformDatabase db, TenantContext tenant, RequestLog requestLog,
    TimeProvider time, ILogger<QuotaTrackingGrpcService> logger)
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
        var ct = context.CancellationToken;
        var progress = await db.InTenantAsync(tenantId,
            (conn, tx) => VillageProgressAsync(conn, tx, tenantId, request.CoverageYear, request.VillageCode, ct), ct);
        return progress is null
            ? throw RpcErrors.NotFound(ErrorReason.VillageNotFound,
                $"Village '{request.VillageCode}' has no task and no contributions for coverage year {request.CoverageYear}.")
            : new GetVillageProgressResponse { Progress = progress };
    }

    /// <summary>A village's progress with its breakdowns and key groups; null when the village is not known.</summary>
    private static async Task<VillageProgress?> VillageProgressAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, string villageCode, CancellationToken ct)
    {
        if (await ProgressQueries.VillageAsync(conn, tx, tenantId, coverageYear, villageCode, ct) is not { } row) return null;
        var progress = ProtoMapping.ToProto(row, coverageYear);
        var breakdown = await ProgressQueries.BreakdownAsync(conn, tx, tenantId, coverageYear, villageCode, ct);
        progress.PersonGroups.AddRange(breakdown.Where(b => b.Dimension == CounterDimensions.PersonGroup)
            .Select(b => new PersonGroupCounts { PersonGroup = b.Value, Counts = ProtoMapping.ToProto(b.Counts) }));
        progress.Channels.AddRange(breakdown.Where(b => b.Dimension == CounterDimensions.Channel)
            .Select(b => new ChannelCounts { Channel = CounterDimensions.ChannelFromKey(b.Value), Counts = ProtoMapping.ToProto(b.Counts) }));
        var rules = await RulesStore.FindAsync(conn, tx, tenantId, coverageYear, ct);
        var targets = await ProgressQueries.KeyGroupTargetsAsync(conn, tx, tenantId, coverageYear, villageCode, ct);
        progress.KeyGroups.AddRange(ProtoMapping.KeyGroups(rules?.Rules, targets,
            breakdown.Where(b => b.Dimension == CounterDimensions.KeyGroup).ToDictionary(b => b.Value, b => b.Counts.Enrolled)));
        return progress;
    }

    public override async Task<ListVillageProgressResponse> ListVillageProgress(ListVillageProgressRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .CheckPageSize(request.PageSize)
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var filter = request.CoverageYear.ToString(CultureInfo.InvariantCulture);
        var after = PageTokens.Decode(request.PageToken, nameof(ListVillageProgress), filter, keyLength: 1);
        var pageSize = PageTokens.PageSize(request.PageSize);
        var ct = context.CancellationToken;

        // Keyset paging on the village code; one row more than the page tells whether another page exists.
        var rows = await db.InTenantAsync(tenantId, (conn, tx) =>
            ProgressQueries.VillagesAsync(conn, tx, tenantId, request.CoverageYear, after.Length == 1 ? after[0] : "", pageSize + 1, ct), ct);

        var response = new ListVillageProgressResponse();
        response.Progress.AddRange(rows.Take(pageSize).Select(r => ProtoMapping.ToProto(r, request.CoverageYear)));
        if (rows.Count > pageSize)
            response.NextPageToken = PageTokens.Encode(nameof(ListVillageProgress), filter, rows[pageSize - 1].VillageCode);
        return response;
    }

    public override async Task<ListDivisionProgressResponse> ListDivisionProgress(ListDivisionProgressRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.Level != ProgressLevel.Unspecified && Enum.IsDefined(request.Level), "level", "must be TOWNSHIP, COUNTY or CITY")
            .CheckPageSize(request.PageSize)
            .ThrowIfInvalid();
        var level = request.Level switch
        {
            ProgressLevel.Township => RollupLevel.Township,
            ProgressLevel.County => RollupLevel.County,
            _ => RollupLevel.City,
        };
        // A tenant sums its own villages; the city level, and any level across tenants, is for city scope.
        var acrossTenants = tenant.TenantId is null;
        if (acrossTenants && !tenant.IsCityScope) tenant.RequireTenant();
        if (level == RollupLevel.City && !tenant.IsCityScope)
            throw RpcErrors.PermissionDenied(ErrorReason.CityScopeRequired, "The city level spans tenants: it needs city-scope credentials.");
        var tenantId = tenant.TenantId ?? "";
        var filter = $"{request.CoverageYear}/{request.Level}/{tenantId}";
        var after = PageTokens.Decode(request.PageToken, nameof(ListDivisionProgress), filter, keyLength: 2);
        var pageSize = PageTokens.PageSize(request.PageSize);
        var ct = context.CancellationToken;

        Task<List<DivisionRow>> Work(NpgsqlConnection conn, NpgsqlTransaction tx) => DivisionQueries.RollupAsync(conn, tx, tenantId,
            request.CoverageYear, level, after.Length == 2 ? (after[0], after[1]) : ("", ""), pageSize + 1, ct);
        var rows = acrossTenants
            ? await db.InCityScopeAsync(tenant.Client, "QuotaTrackingService/" + nameof(ListDivisionProgress),
                $"enrolment totals by {level} across tenants", Work, ct)
            : await db.InTenantAsync(tenantId, Work, ct);

        var response = new ListDivisionProgressResponse();
        response.Divisions.AddRange(rows.Take(pageSize).Select(r => ProtoMapping.ToProto(r, request.CoverageYear, request.Level)));
        if (rows.Count > pageSize)
            response.NextPageToken = PageTokens.Encode(nameof(ListDivisionProgress), filter, rows[pageSize - 1].TenantId, rows[pageSize - 1].Code);
        return response;
    }

    internal static bool IsCoverageYear(int year) => year is >= 2000 and <= 2100;

    /// <summary>A client request id as every mutating RPC takes it.</summary>
    private static RequestValidator RequireRequestId(RequestValidator validator, string requestId) => validator
        .Require(requestId, "request_id")
        .Check(requestId.Length <= 128, "request_id", "must be at most 128 characters");
}
