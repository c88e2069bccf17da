using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using Npgsql;
using DomainEnrolmentStatus = Medins.IdentityRegistry.Domain.EnrolmentStatus;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>
/// The facts a contribution policy prices by beyond birth date and identities: her person group with its evidence,
/// the grade of her disability certificate, and last year's enrolment as the provincial roster states it.
/// </summary>
public sealed partial class IdentityRegistryGrpcService
{
    /// <summary>
    /// Rows per ImportPriorEnrolments request: about 2 MB of rows, well inside a gRPC message; a county's roster is
    /// sent in several requests, each idempotent by its own request id.
    /// </summary>
    public const int MaxPriorEnrolmentRows = 50_000;

    // A policy's person group id ("university-student"); the policy owns the list, the registry checks the shape.
    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$")]
    private static partial Regex PersonGroupPattern();

    public override async Task<SetPersonGroupResponse> SetPersonGroup(SetPersonGroupRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var membership = request.Membership ?? new PersonGroupMembership();
        var group = membership.PersonGroup.Trim();
        var school = membership.School.Trim();
        var evidence = membership.EvidenceReference.Trim();
        var admitted = membership.AdmissionDate.ToDateOnly();
        var clearing = group.Length == 0;
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(Guid.TryParse(request.ResidentId, out var residentId), "resident_id", "must be a UUID")
            .Check(request.Membership is not null, "membership", "is required (an empty person_group leaves the group)")
            .Check(clearing || PersonGroupPattern().IsMatch(group), "membership.person_group",
                "must be a person group id of the policy: lower-case letters, digits and hyphens, at most 64")
            .Check(school.Length <= 100 && !school.Any(char.IsControl), "membership.school", "must be at most 100 printable characters")
            .Check(membership.AdmissionDate is null || admitted is not null, "membership.admission_date", "must be a full calendar date")
            .Check(evidence.Length <= 200 && !evidence.Any(char.IsControl), "membership.evidence_reference",
                "must be at most 200 printable characters")
            .Check(!clearing || (school.Length == 0 && admitted is null && !membership.SchoolYearScheme), "membership",
                "names no school, admission date or school-year scheme when person_group is empty")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        var response = await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(SetPersonGroup), request.RequestId, request, SetPersonGroupResponse.Parser,
                async () =>
                {
                    var row = await LockLivingResidentAsync(conn, tx, tenantId, residentId, ct);
                    if (admitted is { } day && day < row.BirthDate)
                        throw RpcErrors.InvalidArgument(ErrorReason.InvalidAdmissionDate, "admission_date must not be before the resident's birth date.",
                            ("membership.admission_date", "must not be before the resident's birth date"));
                    var facts = clearing ? null : new PersonGroupFacts(group, school.Length == 0 ? null : school, admitted,
                        membership.SchoolYearScheme, evidence.Length == 0 ? null : evidence, time.UtcNow());
                    await ResidentQueries.SetPersonGroupAsync(conn, tx, tenantId, residentId, facts, ct);
                    logger.LogInformation("Set person group {PersonGroup} of resident {ResidentId}", clearing ? "(none)" : group, residentId);
                    // The request log keeps the masked answer, as for every write.
                    return new SetPersonGroupResponse
                    {
                        Resident = await WholeResidentAsync(conn, tx, row with { PersonGroup = facts }, reveal: false, ct),
                    };
                }, ct), ct);
        return response;
    }

    public override async Task<SetDisabilityGradeResponse> SetDisabilityGrade(SetDisabilityGradeRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var evidence = request.EvidenceReference.Trim();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(Guid.TryParse(request.ResidentId, out var residentId), "resident_id", "must be a UUID")
            .Check(evidence.Length <= 200 && !evidence.Any(char.IsControl), "evidence_reference", "must be at most 200 printable characters")
            .ThrowIfInvalid();
        // The certificate's grades are 一级 to 四级 (GB/T 26341); anything else is no grade at all.
        if (request.DisabilityGrade is < 0 or > 4)
            throw RpcErrors.InvalidArgument(ErrorReason.InvalidDisabilityGrade, "disability_grade must be 1–4, or 0 to clear it.",
                ("disability_grade", "must be 1–4, or 0 to clear it"));
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(SetDisabilityGrade), request.RequestId, request,
                SetDisabilityGradeResponse.Parser,
                async () =>
                {
                    var row = await LockLivingResidentAsync(conn, tx, tenantId, residentId, ct);
                    await ResidentQueries.SetDisabilityGradeAsync(conn, tx, tenantId, residentId, request.DisabilityGrade,
                        evidence.Length == 0 ? null : evidence, ct);
                    logger.LogInformation("Set disability grade {Grade} of resident {ResidentId}", request.DisabilityGrade, residentId);
                    return new SetDisabilityGradeResponse
                    {
                        Resident = await WholeResidentAsync(conn, tx, row with { DisabilityGrade = request.DisabilityGrade }, reveal: false, ct),
                    };
                }, ct), ct);
    }

    private static async Task<ResidentRow> LockLivingResidentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid residentId, CancellationToken ct)
    {
        var row = await ResidentQueries.GetForUpdateAsync(conn, tx, tenantId, residentId, ct)
            ?? throw RpcErrors.NotFound(ErrorReason.ResidentNotFound, $"No resident {residentId} in this tenant.");
        if (row.DeregisteredOn is not null)
            throw RpcErrors.FailedPrecondition(ErrorReason.ResidentDeregistered, "The resident is deregistered (death or moved away).");
        return row;
    }

    public override async Task<ImportPriorEnrolmentsResponse> ImportPriorEnrolments(ImportPriorEnrolmentsRequest request,
        ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(request.Rows.Count > 0, "rows", "is required")
            .ThrowIfInvalid();
        if (request.Rows.Count > MaxPriorEnrolmentRows)
            throw RpcErrors.InvalidArgument(ErrorReason.TooManyRows,
                $"At most {MaxPriorEnrolmentRows} rows per request; send a larger roster in several requests, each with its own request_id.",
                ("rows", $"at most {MaxPriorEnrolmentRows} rows"));
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(ImportPriorEnrolments), request.RequestId, request,
                ImportPriorEnrolmentsResponse.Parser, () => ImportPriorAsync(conn, tx, tenantId, request.Rows, ct), ct), ct);
    }

    private async Task<ImportPriorEnrolmentsResponse> ImportPriorAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyList<PriorEnrolmentRow> rows, CancellationToken ct)
    {
        var response = new ImportPriorEnrolmentsResponse();
        var problems = new List<PriorEnrolmentProblem>();
        void Problem(int number, ErrorReason reason, string message) =>
            problems.Add(new PriorEnrolmentProblem { RowNumber = number, Reason = ErrorReasons.Code(reason), Message = message });

        var today = ShanghaiCalendar.Today(time);
        var good = new List<(int Number, string Hash, PriorEnrolmentRow Row)>();
        var seen = new Dictionary<(string Hash, int Year), int>();
        var hashes = new List<byte[]>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (number, row) = (i + 1, rows[i]);
            var idError = NationalId.TryParse(row.NationalId, today, out var nationalId);
            if (idError != NationalIdError.None) { Problem(number, ErrorReason.InvalidNationalId, "national_id " + NationalId.Describe(idError) + "."); continue; }
            // A roster of a year already under way or past: a coming coverage year is paid through orders here.
            if (row.CoverageYear < 2000 || row.CoverageYear > today.Year)
            { Problem(number, ErrorReason.InvalidCoverageYear, $"coverage_year must be a year between 2000 and {today.Year}."); continue; }
            if (row.Tier is < 0 or > 9) { Problem(number, ErrorReason.InvalidTier, "tier must be 0 (not stated) to 9."); continue; }
            if (row.PaidAmountFen < 0) { Problem(number, ErrorReason.InvalidAmount, "paid_amount_fen must not be negative."); continue; }
            var hash = protector.LookupHash(nationalId);
            var key = (Convert.ToHexString(hash), row.CoverageYear);
            if (seen.TryGetValue(key, out var earlier))
            { Problem(number, ErrorReason.DuplicateRow, $"Row {earlier} already names this person for {row.CoverageYear}."); continue; }
            seen[key] = number;
            good.Add((number, key.Item1, row));
            hashes.Add(hash);
        }

        // One lookup for the whole roster; each registered person locked, so payment events for her wait.
        var residents = await ResidentQueries.LockByLookupHashesAsync(conn, tx, tenantId, hashes, ct);
        var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, residents.Values.Distinct().ToList(), ct);
        var imports = new List<EnrolmentQueries.PriorEnrolment>();
        foreach (var (number, hash, row) in good)
        {
            if (!residents.TryGetValue(hash, out var residentId))
            { Problem(number, ErrorReason.ResidentNotRegistered, "Nobody with this ID number is registered in this tenant."); continue; }
            var existing = enrolments[residentId].FirstOrDefault(e => e.CoverageYear == row.CoverageYear)?.State.Status;
            if (existing is DomainEnrolmentStatus.Enrolled or DomainEnrolmentStatus.RefundPending)
            { Problem(number, ErrorReason.AlreadyEnrolled, $"The resident is already enrolled for {row.CoverageYear}."); continue; }
            // A refund recorded here is later and better knowledge than the roster: it is kept.
            if (existing is DomainEnrolmentStatus.Refunded)
            { Problem(number, ErrorReason.AlreadyRefunded, $"The resident's {row.CoverageYear} enrolment was refunded here."); continue; }
            imports.Add(new EnrolmentQueries.PriorEnrolment(residentId, row.CoverageYear, row.Tier, row.PaidAmountFen));
        }
        // One statement for the whole roster, not a round trip per row.
        var written = await EnrolmentQueries.UpsertPriorAsync(conn, tx, tenantId, imports, time.UtcNow(), ct);
        // Quota-tracking's last-year counters follow the roster (seed 000 二 以2023年实际参保人数为目标; seed 004 一（三）1
        // 不低于2023年城乡居民参保人数): one event per coverage year, in this transaction, so a replay of the request (answered
        // from the request log) publishes nothing again.
        foreach (var year in written.GroupBy(w => w.CoverageYear))
        {
            var evt = new PriorEnrolmentsImported { TenantId = tenantId, CoverageYear = year.Key };
            evt.Villages.AddRange(year.Select(w => new VillagePriorEnrolments
            {
                VillageCode = w.VillageCode, EnrolledCount = w.Enrolled, PaidCount = w.Paid, ZeroContributionCount = w.ZeroContribution,
                CollectedAmountFen = w.CollectedFen,
            }));
            await outbox.AddAsync(conn, tx, tenantId, EventTopics.PriorEnrolmentsImported, evt, ct);
        }
        response.Imported = imports.Count;
        response.Problems.AddRange(problems.OrderBy(p => p.RowNumber));
        logger.LogInformation("Imported {Imported} prior enrolments, {Problems} rows refused", response.Imported, response.Problems.Count);
        return response;
    }

    private static PersonGroupMembership ToProto(PersonGroupFacts group) => new()
    {
        PersonGroup = group.Group,
        School = group.School ?? "",
        AdmissionDate = group.AdmittedOn?.ToProtoDate(),
        SchoolYearScheme = group.SchoolYearScheme,
        EvidenceReference = group.Evidence ?? "",
        RecordTime = Timestamp.FromDateTimeOffset(group.RecordedAt),
    };
}
