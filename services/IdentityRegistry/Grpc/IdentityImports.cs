using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>
/// Department lists of certified identities: rows are checked against the tenant's vocabulary and registered
/// residents, good rows land together in one batch and bad rows are answered with their row number and reason.
/// A change never overwrites: the identity it replaces is revoked and kept as history.
/// </summary>
public sealed class IdentityImports(PlatformDatabase db, TenantContext tenant, RequestLog requestLog, Outbox outbox,
    IdentityProtector protector, TimeProvider time, ILogger<IdentityImports> logger)
{
    /// <summary>Beyond this a list must be split: one transaction holds every row.</summary>
    public const int MaxRows = 200_000;

    public async Task<ImportIdentitiesResponse> ImportStreamAsync(IAsyncStreamReader<ImportIdentitiesRequest> stream, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenant();
        // The whole stream as one message: the request log hashes it, so a replay with other rows is refused.
        var whole = new ImportIdentitiesRequest();
        var first = true;
        await foreach (var message in stream.ReadAllAsync(ct))
        {
            if (first)
            {
                whole.RequestId = message.RequestId;
                whole.Source = message.Source;
                first = false;
            }
            else if ((message.RequestId.Length > 0 && message.RequestId != whole.RequestId) || (message.Source.Length > 0 && message.Source != whole.Source))
                throw RpcErrors.InvalidArgument(PlatformReason.InvalidRequest, "request_id and source belong to the first message only.",
                    ("request_id", "must be empty or equal to the first message's"));
            whole.Rows.AddRange(message.Rows);
            if (whole.Rows.Count > MaxRows)
                throw RpcErrors.InvalidArgument(ErrorReason.TooManyRows, $"At most {MaxRows} rows per import.", ("rows", $"at most {MaxRows} rows"));
        }
        ValidateHeader(whole.RequestId, whole.Source, whole.Rows.Count);
        var lines = whole.Rows.Select((r, i) => ToLine(r, i + 1)).ToList();

        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, "ImportIdentities", whole.RequestId, whole, ImportIdentitiesResponse.Parser,
                () => ImportAsync(conn, tx, tenantId, SourceOrDefault(whole.Source), lines, ct), ct), ct);
    }

    public async Task<ImportIdentitiesCsvResponse> ImportCsvAsync(ImportIdentitiesCsvRequest request, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenant();
        new RequestValidator().Require(request.CsvText, "csv_text").ThrowIfInvalid();
        var (lines, headerProblem) = IdentityCsv.Parse(request.CsvText);
        if (headerProblem is not null)
            throw RpcErrors.InvalidArgument(ErrorReason.InvalidCsvHeader, "The CSV header is not usable: " + headerProblem + ".", ("csv_text", headerProblem));
        if (lines.Count > MaxRows)
            throw RpcErrors.InvalidArgument(ErrorReason.TooManyRows, $"At most {MaxRows} rows per import.", ("csv_text", $"at most {MaxRows} rows"));
        ValidateHeader(request.RequestId, request.Source, lines.Count);

        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, "ImportIdentitiesCsv", request.RequestId, request, ImportIdentitiesCsvResponse.Parser,
                async () => new ImportIdentitiesCsvResponse
                {
                    Result = await ImportAsync(conn, tx, tenantId, SourceOrDefault(request.Source), lines, ct),
                }, ct), ct);
    }

    public async Task<RevokeIdentityResponse> RevokeAsync(RevokeIdentityRequest request, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenant();
        var reason = request.Reason.Trim();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(Guid.TryParse(request.IdentityId, out var identityId), "identity_id", "must be a UUID")
            .Require(reason, "reason")
            .Check(reason.Length <= 200, "reason", "must be at most 200 characters")
            .ThrowIfInvalid();

        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, "RevokeIdentity", request.RequestId, request, RevokeIdentityResponse.Parser,
                async () =>
                {
                    var row = await IdentityQueries.GetForUpdateAsync(conn, tx, tenantId, identityId, ct)
                        ?? throw RpcErrors.NotFound(ErrorReason.IdentityNotFound, $"No certified identity {identityId} in this tenant.");
                    if (row.RevokedAt is not null)
                        throw RpcErrors.FailedPrecondition(ErrorReason.IdentityAlreadyRevoked, $"Identity {identityId} is already revoked.");
                    var now = time.UtcNow();
                    await RevokeAsync(conn, tx, row, reason, now, ct);
                    return new RevokeIdentityResponse { Identity = ToProto(row with { RevokedAt = now, RevokeReason = reason }, prevailing: false) };
                }, ct), ct);
    }

    /// <summary>The person's identities in force today, each marked whether it stands under the tenant's import order.</summary>
    public static IEnumerable<CertifiedIdentity> Current(IEnumerable<CertifiedIdentityRow> unrevoked, DateOnly today)
    {
        var current = unrevoked.Where(r => IdentityImportRules.IsValidOn(r.ValidFrom, r.ValidTo, today)).ToList();
        return current.Select(r => ToProto(r, IdentityImportRules.Prevails(r.ImportStep, current.Select(c => c.ImportStep))));
    }

    private async Task<ImportIdentitiesResponse> ImportAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string source, List<IdentityImportLine> lines, CancellationToken ct)
    {
        var today = ShanghaiCalendar.Today(time);
        var vocabulary = await IdentityQueries.VocabularyAsync(conn, tx, tenantId, ct);
        var results = new ImportRowResult[lines.Count];
        var checkedLines = new List<(int Index, CheckedIdentityLine Line, string Hash)>();
        for (var i = 0; i < lines.Count; i++)
        {
            var (ok, rejection) = IdentityImportRules.Check(lines[i], vocabulary, today);
            if (rejection is not null) results[i] = Rejected(lines[i].RowNumber, rejection);
            else checkedLines.Add((i, ok!, Convert.ToHexString(protector.LookupHash(ok!.NationalId))));
        }

        var residents = await IdentityQueries.ResidentsByHashAsync(conn, tx, tenantId,
            checkedLines.Select(c => Convert.FromHexString(c.Hash)).Distinct(new ByteArrayComparer()).ToList(), ct);
        var accepted = new List<(int Index, CheckedIdentityLine Line, Guid ResidentId, string VillageCode)>();
        var seen = new Dictionary<(Guid, string), int>();
        foreach (var (index, line, hash) in checkedLines)
        {
            var rowNumber = line.Line.RowNumber;
            if (!residents.TryGetValue(hash, out var resident))
                results[index] = Rejected(rowNumber, new RowRejection(RowProblem.ResidentNotFound, "no resident with this national_id is registered in this tenant"));
            else if (seen.TryGetValue((resident.ResidentId, line.Code.Category), out var earlierRow))
                results[index] = Rejected(rowNumber, new RowRejection(RowProblem.DuplicateRow,
                    $"row {earlierRow} already certifies '{line.Code.Category}' for the same person"));
            else
            {
                seen[(resident.ResidentId, line.Code.Category)] = rowNumber;
                accepted.Add((index, line, resident.ResidentId, resident.VillageCode));
            }
        }

        var existing = (await IdentityQueries.UnrevokedForAsync(conn, tx, tenantId, accepted.Select(a => a.ResidentId).Distinct().ToList(), ct))
            .ToDictionary(r => (r.ResidentId, r.Category));
        var now = time.UtcNow();
        var batchId = Guid.CreateVersion7(now);
        var changes = new List<(CertifiedIdentityRow New, CertifiedIdentityRow? Replaced)>();
        foreach (var (index, line, residentId, villageCode) in accepted)
        {
            var code = line.Code;
            var localCode = code.LocalCode.Length == 0 ? null : code.LocalCode;
            existing.TryGetValue((residentId, code.Category), out var current);
            if (current is not null && current.LocalCode == localCode && current.Department == code.Department
                && current.ValidFrom == line.Line.ValidFrom && current.ValidTo == line.Line.ValidTo)
            {
                results[index] = new ImportRowResult
                {
                    RowNumber = line.Line.RowNumber, Outcome = ImportRowOutcome.Unchanged, IdentityId = current.IdentityId.ToString(),
                };
                continue;
            }
            var row = new CertifiedIdentityRow(tenantId, Guid.CreateVersion7(now), residentId, code.Category, localCode, code.Department,
                line.Line.ValidFrom!.Value, line.Line.ValidTo, code.ImportStep, batchId, now, null, null, villageCode);
            changes.Add((row, current));
            results[index] = new ImportRowResult { RowNumber = line.Line.RowNumber, Outcome = ImportRowOutcome.Certified, IdentityId = row.IdentityId.ToString() };
        }

        var response = new ImportIdentitiesResponse
        {
            BatchId = batchId.ToString(),
            CertifiedCount = results.Count(r => r.Outcome == ImportRowOutcome.Certified),
            UnchangedCount = results.Count(r => r.Outcome == ImportRowOutcome.Unchanged),
            RejectedCount = results.Count(r => r.Outcome == ImportRowOutcome.Rejected),
        };
        response.Results.AddRange(results);
        await IdentityQueries.InsertBatchAsync(conn, tx, tenantId, batchId, source, response.CertifiedCount, response.UnchangedCount,
            response.RejectedCount, now, ct);
        foreach (var (row, replaced) in changes)
        {
            if (replaced is not null) await RevokeAsync(conn, tx, replaced, $"replaced by import batch {batchId}", now, ct);
            await IdentityQueries.InsertAsync(conn, tx, row, ct);
            await outbox.AddAsync(conn, tx, tenantId, EventTopics.IdentityCertified, new IdentityCertified
            {
                TenantId = tenantId,
                ResidentId = row.ResidentId.ToString(),
                IdentityId = row.IdentityId.ToString(),
                Category = row.Category,
                LocalCode = row.LocalCode ?? "",
                Department = ToProto(row.Department),
                ValidFrom = row.ValidFrom.ToProtoDate(),
                ValidTo = row.ValidTo is { } to ? to.ToProtoDate() : null,
                BatchId = batchId.ToString(),
            }, ct);
        }
        logger.LogInformation("Identity import batch {BatchId} from {Source}: {Certified} certified, {Unchanged} unchanged, {Rejected} rejected",
            batchId, source, response.CertifiedCount, response.UnchangedCount, response.RejectedCount);
        return response;
    }

    private async Task RevokeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CertifiedIdentityRow row, string reason,
        DateTimeOffset now, CancellationToken ct)
    {
        await IdentityQueries.RevokeAsync(conn, tx, row.TenantId, row.IdentityId, reason, now, ct);
        await outbox.AddAsync(conn, tx, row.TenantId, EventTopics.IdentityRevoked, new IdentityRevoked
        {
            TenantId = row.TenantId,
            ResidentId = row.ResidentId.ToString(),
            IdentityId = row.IdentityId.ToString(),
            Category = row.Category,
            LocalCode = row.LocalCode ?? "",
            Reason = reason,
        }, ct);
    }

    private static IdentityImportLine ToLine(IdentityImportRow row, int rowNumber)
    {
        var department = ToDomain(row.Department);
        var validFrom = row.ValidFrom.ToDateOnly();
        var validTo = row.ValidTo.ToDateOnly();
        var malformed =
            row.Department != CertifyingDepartment.Unspecified && department is null ? "department is not a known department"
            : row.ValidFrom is not null && validFrom is null ? "valid_from is not a calendar date"
            : row.ValidTo is not null && validTo is null ? "valid_to is not a calendar date"
            : null;
        return new IdentityImportLine(rowNumber, row.NationalId, row.LocalCode, row.Category, department, validFrom, validTo, malformed);
    }

    private static void ValidateHeader(string requestId, string source, int rowCount) =>
        new RequestValidator()
            .Require(requestId, "request_id")
            .Check(requestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(source.Length <= 200 && !source.Any(char.IsControl), "source", "must be at most 200 printable characters")
            .Check(rowCount > 0, "rows", "at least one row is required")
            .ThrowIfInvalid();

    private static string SourceOrDefault(string source) => source.Trim().Length == 0 ? "unnamed list" : source.Trim();

    private static ImportRowResult Rejected(int rowNumber, RowRejection rejection) => new()
    {
        RowNumber = rowNumber, Outcome = ImportRowOutcome.Rejected, Reason = ErrorReasons.Code(ToProto(rejection.Reason)),
        Description = rejection.Description,
    };

    private static ErrorReason ToProto(RowProblem problem) => problem switch
    {
        RowProblem.MalformedRow => ErrorReason.MalformedRow,
        RowProblem.InvalidNationalId => ErrorReason.InvalidNationalId,
        RowProblem.MissingCode => ErrorReason.MissingCode,
        RowProblem.UnknownCode => ErrorReason.UnknownCode,
        RowProblem.MissingDepartment => ErrorReason.MissingDepartment,
        RowProblem.DepartmentMismatch => ErrorReason.DepartmentMismatch,
        RowProblem.InvalidValidity => ErrorReason.InvalidValidity,
        RowProblem.ResidentNotFound => ErrorReason.ResidentNotFound,
        RowProblem.DuplicateRow => ErrorReason.DuplicateRow,
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, "A row problem the contract does not name."),
    };

    internal static CertifiedIdentity ToProto(CertifiedIdentityRow row, bool prevailing) => new()
    {
        IdentityId = row.IdentityId.ToString(),
        ResidentId = row.ResidentId.ToString(),
        Category = row.Category,
        LocalCode = row.LocalCode ?? "",
        Department = ToProto(row.Department),
        ValidFrom = row.ValidFrom.ToProtoDate(),
        ValidTo = row.ValidTo is { } to ? to.ToProtoDate() : null,
        BatchId = row.BatchId?.ToString() ?? "",
        ImportStep = row.ImportStep ?? 0,
        Prevailing = prevailing,
        CertifyTime = Timestamp.FromDateTimeOffset(row.CertifiedAt),
        RevokeTime = row.RevokedAt is { } revoked ? Timestamp.FromDateTimeOffset(revoked) : null,
        RevokeReason = row.RevokeReason ?? "",
    };

    private static CertifyingDepartment ToProto(Department department) => department switch
    {
        Department.CivilAffairs => CertifyingDepartment.CivilAffairs,
        Department.RuralRevitalisation => CertifyingDepartment.RuralRevitalisation,
        Department.Health => CertifyingDepartment.Health,
        Department.DisabledPersonsFederation => CertifyingDepartment.DisabledPersonsFederation,
        Department.VeteransAffairs => CertifyingDepartment.VeteransAffairs,
        Department.NaturalResources => CertifyingDepartment.NaturalResources,
        Department.Education => CertifyingDepartment.Education,
        _ => CertifyingDepartment.Unspecified,
    };

    private static Department? ToDomain(CertifyingDepartment department) => department switch
    {
        CertifyingDepartment.CivilAffairs => Department.CivilAffairs,
        CertifyingDepartment.RuralRevitalisation => Department.RuralRevitalisation,
        CertifyingDepartment.Health => Department.Health,
        CertifyingDepartment.DisabledPersonsFederation => Department.DisabledPersonsFederation,
        CertifyingDepartment.VeteransAffairs => Department.VeteransAffairs,
        CertifyingDepartment.NaturalResources => Department.NaturalResources,
        CertifyingDepartment.Education => Department.Education,
        _ => null,
    };

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => BitConverter.ToInt32(obj, 0);
    }
}
