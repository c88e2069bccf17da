using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Quota.V1;
using Medins.Platform.Hosting.Paging;
using Medins.QuotaTracking.Data;
using Microsoft.Extensions.Logging;
using Npgsql;
using ErrorReason = Medins.Quota.V1.ErrorReason;

namespace Medins.QuotaTracking.Grpc;

/// <summary>Task reductions on evidence (Linjiang seed 002 §二(二): 核减参保任务 before the campaign ends).</summary>
public sealed partial class QuotaTrackingGrpcService
{
    private const int MaxPeoplePerReduction = 1000;

    public override async Task<ReduceVillageTaskResponse> ReduceVillageTask(ReduceVillageTaskRequest request, ServerCallContext context)
    {
        var reference = request.EvidenceReference.Trim();
        var note = request.Note.Trim();
        RequireRequestId(new RequestValidator(), request.RequestId)
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Require(request.VillageCode, "village_code")
            .Check(request.VillageCode.Length <= 64, "village_code", "must be at most 64 characters")
            .Check(request.PersonCount is > 0 and <= MaxPeoplePerReduction, "person_count", $"must be 1 to {MaxPeoplePerReduction}")
            .Check(request.Evidence != ReductionEvidence.Unspecified && Enum.IsDefined(request.Evidence), "evidence",
                "must be DEREGISTRATION_CERTIFICATE, EMPLOYEE_INSURANCE or OTHER_REGION_INSURANCE")
            .Require(reference, "evidence_reference")
            .Check(reference.Length <= 64 && !reference.Any(char.IsControl), "evidence_reference", "must be at most 64 printable characters")
            .Check(note.Length <= 500 && !note.Any(char.IsControl), "note", "must be at most 500 printable characters")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(ReduceVillageTask), request.RequestId, request,
                ReduceVillageTaskResponse.Parser, () => ReduceAsync(conn, tx, tenantId, request, reference, note, ct), ct), ct);
    }

    private async Task<ReduceVillageTaskResponse> ReduceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        ReduceVillageTaskRequest request, string reference, string note, CancellationToken ct)
    {
        var year = request.CoverageYear;
        var rules = (await RulesStore.RequireAsync(conn, tx, tenantId, year, ct)).Rules;
        var today = ShanghaiCalendar.Today(time);
        // Reductions are a tenant's own rule (seed 002 §二（二）), not a platform default.
        if (rules.Campaign.ReductionsUntil is not { } until)
            throw RpcErrors.FailedPrecondition(ErrorReason.ReductionsNotGranted,
                $"The quota rules of coverage year {year} grant no task reductions.");
        if (today > until)
            throw RpcErrors.Build(Google.Rpc.Code.FailedPrecondition, ErrorReason.CampaignClosed,
                $"Task reductions for coverage year {year} closed on {until:yyyy-MM-dd}.",
                metadata: new Dictionary<string, string> { ["reductions_until"] = until.ToString("yyyy-MM-dd") },
                clerk: $"{year} 年度核减任务的办理期限已于 {ClerkText.Date(until)} 截止，不能再核减。如有特殊情况，请联系县医保中心。");

        var evidence = EvidenceKey(request.Evidence);
        if (await ReductionStore.EvidenceUsedByAsync(conn, tx, tenantId, year, evidence, reference, ct) is { } used)
            throw RpcErrors.Build(Google.Rpc.Code.AlreadyExists, ErrorReason.EvidenceAlreadyUsed,
                $"This evidence ('{reference}') already reduced a task in coverage year {year}.",
                metadata: new Dictionary<string, string> { ["reduction_id"] = used.ToString() },
                clerk: $"证明材料“{reference}”已经用于 {year} 年度的一次任务核减，不能重复使用。请核对证明编号。");

        switch (await ReductionStore.TryReduceAsync(conn, tx, tenantId, year, request.VillageCode, request.PersonCount, ct))
        {
            case null:
                throw RpcErrors.FailedPrecondition(ErrorReason.NoTarget,
                    $"Village '{request.VillageCode}' has no target for coverage year {year} to reduce.",
                    $"村（社区）{request.VillageCode} 还没有下达 {year} 年度的任务数，无从核减。请先下达任务。");
            case false:
                throw RpcErrors.FailedPrecondition(ErrorReason.ReductionExceedsBase,
                    $"Reducing {request.PersonCount} more people would reduce more people than village '{request.VillageCode}' has in its base.",
                    $"再核减 {request.PersonCount} 人，将超过村（社区）{request.VillageCode} 的应参保人数。请核对核减人数。");
        }

        var now = time.GetUtcNow().ToUniversalTime();
        var row = new ReductionRow(Guid.CreateVersion7(now), year, request.VillageCode, request.PersonCount, evidence, reference, note,
            tenant.Client, now);
        await ReductionStore.InsertAsync(conn, tx, tenantId, row, request.RequestId, ct);
        logger.LogInformation("Task of village {VillageCode} ({Year}) reduced by {People} on {Evidence}, recorded by {Client}",
            request.VillageCode, year, request.PersonCount, evidence, tenant.Client);
        return new ReduceVillageTaskResponse
        {
            Reduction = ToProto(row),
            Progress = await VillageProgressAsync(conn, tx, tenantId, year, request.VillageCode, ct),
        };
    }

    public override async Task<ListTaskReductionsResponse> ListTaskReductions(ListTaskReductionsRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.VillageCode.Length <= 64, "village_code", "must be at most 64 characters")
            .CheckPageSize(request.PageSize)
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var filter = $"{request.CoverageYear}/{request.VillageCode}";
        var after = PageTokens.Decode(request.PageToken, nameof(ListTaskReductions), filter, keyLength: 1);
        var afterId = Guid.Empty;
        if (after.Length == 1 && !Guid.TryParse(after[0], out afterId))
            throw PageTokens.Invalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var ct = context.CancellationToken;
        var rows = await db.InTenantAsync(tenantId, (conn, tx) =>
            ReductionStore.ListAsync(conn, tx, tenantId, request.CoverageYear, request.VillageCode, afterId, pageSize + 1, ct), ct);

        var response = new ListTaskReductionsResponse();
        response.Reductions.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize)
            response.NextPageToken = PageTokens.Encode(nameof(ListTaskReductions), filter, rows[pageSize - 1].ReductionId.ToString());
        return response;
    }

    private static string EvidenceKey(ReductionEvidence evidence) => evidence switch
    {
        ReductionEvidence.DeregistrationCertificate => "deregistration-certificate",
        ReductionEvidence.EmployeeInsurance => "employee-insurance",
        ReductionEvidence.OtherRegionInsurance => "other-region-insurance",
        _ => throw new ArgumentOutOfRangeException(nameof(evidence), evidence, "no evidence kind"),
    };

    private static ReductionEvidence EvidenceOf(string key) => key switch
    {
        "deregistration-certificate" => ReductionEvidence.DeregistrationCertificate,
        "employee-insurance" => ReductionEvidence.EmployeeInsurance,
        "other-region-insurance" => ReductionEvidence.OtherRegionInsurance,
        _ => ReductionEvidence.Unspecified,
    };

    private static TaskReduction ToProto(ReductionRow row) => new()
    {
        ReductionId = row.ReductionId.ToString(),
        VillageCode = row.VillageCode,
        CoverageYear = row.CoverageYear,
        PersonCount = row.PersonCount,
        Evidence = EvidenceOf(row.Evidence),
        EvidenceReference = row.EvidenceReference,
        Note = row.Note,
        RecordedBy = row.RecordedBy,
        RecordTime = ProtoMapping.ToTimestamp(row.RecordedAt),
    };
}
