using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;
using DomainEnrolmentStatus = Medins.IdentityRegistry.Domain.EnrolmentStatus;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>The four ledgers of people not enrolled, the refusal list, its CSV export, and people registered in several tenants.</summary>
public sealed partial class IdentityRegistryGrpcService
{
    private const string LedgerList = "ledger";
    private const string DuplicateList = "duplicates";
    private const int ExportChunkRows = 1000;

    public override async Task<RecordRefusalResponse> RecordRefusal(RecordRefusalRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var reason = request.Reason.Trim();
        var signedBy = request.SignedBy.Trim();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(Guid.TryParse(request.ResidentId, out var residentId), "resident_id", "must be a UUID")
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year between 2000 and 2100")
            .Require(reason, "reason")
            .Check(reason.Length <= 500 && !reason.Any(char.IsControl), "reason", "must be at most 500 printable characters")
            .Require(signedBy, "signed_by")
            .Check(signedBy.Length <= 64 && !signedBy.Any(char.IsControl), "signed_by", "must be at most 64 printable characters")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RecordRefusal), request.RequestId, request, RecordRefusalResponse.Parser,
                async () =>
                {
                    var resident = await ResidentQueries.GetForUpdateAsync(conn, tx, tenantId, residentId, ct)
                        ?? throw RpcErrors.NotFound(ErrorReason.ResidentNotFound, $"No resident {residentId} in this tenant.");
                    if (resident.DeregisteredOn is not null)
                        throw RpcErrors.FailedPrecondition(ErrorReason.ResidentDeregistered, "The resident is deregistered (death or moved away).");
                    var current = await EnrolmentQueries.GetAsync(conn, tx, tenantId, residentId, request.CoverageYear, ct);
                    if (current?.Status == DomainEnrolmentStatus.Enrolled)
                        throw RpcErrors.FailedPrecondition(ErrorReason.AlreadyEnrolled, $"The resident is enrolled for {request.CoverageYear}.");
                    var now = time.UtcNow();
                    await LedgerQueries.UpsertRefusalAsync(conn, tx, tenantId, residentId, request.CoverageYear, reason, signedBy, now, ct);
                    // The order of a refunded enrolment stays, so a late event of that order is still recognised.
                    await EnrolmentQueries.UpsertAsync(conn, tx, tenantId, residentId, request.CoverageYear,
                        current is null ? new EnrolmentState(DomainEnrolmentStatus.Refused, null, 0, null, null)
                            : current with { Status = DomainEnrolmentStatus.Refused }, now, ct);
                    return new RecordRefusalResponse
                    {
                        Refusal = new Refusal
                        {
                            ResidentId = residentId.ToString(), CoverageYear = request.CoverageYear, Reason = reason, SignedBy = signedBy,
                            RecordTime = Timestamp.FromDateTimeOffset(now),
                        },
                    };
                }, ct), ct);
    }

    public override async Task<ListLedgerResponse> ListLedger(ListLedgerRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var (ledger, villageCode) = ValidateLedger(request.Ledger, request.CoverageYear, request.VillageCode, request.PageSize);
        var pageSize = PageTokens.PageSize(request.PageSize);
        var filter = $"{request.Ledger}/{request.CoverageYear}/{villageCode}";
        var after = PageTokens.Decode(request.PageToken, LedgerList, filter, keyLength: 2);
        var afterVillage = after.Length == 2 ? after[0] : "";
        var afterId = Guid.Empty;
        if (after.Length == 2 && !Guid.TryParse(after[1], out afterId))
            throw PageTokens.Invalid();
        var ct = context.CancellationToken;
        var rows = await ReadResidentsAsync(tenantId, nameof(ListLedger), (conn, tx) =>
            LedgerQueries.PageAsync(conn, tx, tenantId, ledger, request.CoverageYear, villageCode, afterVillage, afterId,
                ShanghaiCalendar.Today(time), pageSize + 1, ct), ct);
        var response = new ListLedgerResponse();
        response.Entries.AddRange(rows.Take(pageSize).Select(ToLedgerEntry));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1].Resident;
            response.NextPageToken = PageTokens.Encode(LedgerList, filter, last.VillageCode, last.ResidentId.ToString());
        }
        return response;
    }

    public override async Task ExportLedgerCsv(ExportLedgerCsvRequest request, IServerStreamWriter<ExportLedgerCsvResponse> responseStream,
        ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var (ledger, villageCode) = ValidateLedger(request.Ledger, request.CoverageYear, request.VillageCode, 0);
        var ct = context.CancellationToken;
        var today = ShanghaiCalendar.Today(time);
        var (afterVillage, afterId) = ("", Guid.Empty);
        var csv = new System.Text.StringBuilder(LedgerCsv.Header);
        // Page by page, each in its own short transaction, so a long export holds no snapshot open.
        while (true)
        {
            var rows = await ReadResidentsAsync(tenantId, nameof(ExportLedgerCsv), (conn, tx) =>
                LedgerQueries.PageAsync(conn, tx, tenantId, ledger, request.CoverageYear, villageCode, afterVillage, afterId, today,
                    ExportChunkRows, ct), ct);
            foreach (var entry in rows.Select(ToLedgerEntry))
                LedgerCsv.AppendRow(csv, [entry.ResidentId, entry.NationalId, entry.Name, entry.VillageCode, entry.HouseholdNumber,
                    RegistrationTypeText(entry.RegistrationType), entry.Phone, string.Join(' ', entry.IdentityCategories),
                    entry.RefusalReason, entry.RefusalSignedBy]);
            await responseStream.WriteAsync(new ExportLedgerCsvResponse { CsvChunk = csv.ToString() }, ct);
            csv.Clear();
            if (rows.Count < ExportChunkRows) return;
            (afterVillage, afterId) = (rows[^1].Resident.VillageCode, rows[^1].Resident.ResidentId);
        }
    }

    public override async Task<ListDuplicateResidentsResponse> ListDuplicateResidents(ListDuplicateResidentsRequest request,
        ServerCallContext context)
    {
        if (!tenant.IsCityScope)
            throw RpcErrors.PermissionDenied(ErrorReason.CityScopeRequired, "Only city scope may compare registrations across tenants.");
        new RequestValidator().CheckPageSize(request.PageSize).ThrowIfInvalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var after = PageTokens.Decode(request.PageToken, DuplicateList, "", keyLength: 1);
        byte[] afterHash = [];
        if (after.Length == 1)
        {
            try { afterHash = Convert.FromHexString(after[0]); }
            catch (FormatException)
            {
                throw PageTokens.Invalid();
            }
        }
        var ct = context.CancellationToken;
        var rows = await db.InCityScopeAsync(tenant.Client, "IdentityRegistryService/ListDuplicateResidents",
            "people registered in several tenants, with full ID numbers",
            (conn, tx) => LedgerQueries.DuplicatesAsync(conn, tx, afterHash, pageSize + 1, ct), ct);
        var people = rows.GroupBy(r => Convert.ToHexString(r.NationalIdHash)).ToList();
        var response = new ListDuplicateResidentsResponse();
        foreach (var person in people.Take(pageSize))
        {
            var first = person.First();
            var duplicate = new DuplicateResident
            {
                NationalId = protector.Decrypt(first.NationalIdEncrypted, Binding(first.TenantId, first.ResidentId, "national_id")),
            };
            duplicate.Registrations.AddRange(person.Select(r => new DuplicateRegistration
            {
                TenantId = r.TenantId, ResidentId = r.ResidentId.ToString(), VillageCode = r.VillageCode, Name = r.Name,
                CreateTime = Timestamp.FromDateTimeOffset(r.CreatedAt),
            }));
            response.Duplicates.Add(duplicate);
        }
        if (people.Count > pageSize) response.NextPageToken = PageTokens.Encode(DuplicateList, "", people[pageSize - 1].Key);
        return response;
    }

    private static (LedgerKind Ledger, string VillageCode) ValidateLedger(Ledger ledger, int coverageYear, string villageCode, int pageSize)
    {
        var village = villageCode.Trim();
        new RequestValidator()
            .Check(ledger != Ledger.Unspecified && System.Enum.IsDefined(ledger), "ledger", "must be one of the four ledgers or the refusal list")
            .Check(coverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year between 2000 and 2100")
            .Check(village.Length == 0 || VillageCodePattern().IsMatch(village), "village_code", "must be a 12-digit village or community code")
            .CheckPageSize(pageSize)
            .ThrowIfInvalid();
        var kind = ledger switch
        {
            Ledger.RegisteredNotEnrolled => LedgerKind.RegisteredNotEnrolled,
            Ledger.ResidentPopulationNotEnrolled => LedgerKind.ResidentPopulationNotEnrolled,
            Ledger.EnrolledLastYearNotThisYear => LedgerKind.EnrolledLastYearNotThisYear,
            Ledger.SpecialIdentitiesNotEnrolled => LedgerKind.SpecialIdentitiesNotEnrolled,
            _ => LedgerKind.Refused,
        };
        return (kind, village);
    }

    private LedgerEntry ToLedgerEntry(LedgerRow row)
    {
        var resident = ToProto(row.Resident, []);
        var entry = new LedgerEntry
        {
            ResidentId = resident.ResidentId,
            NationalId = resident.NationalId,
            Name = resident.Name,
            VillageCode = resident.VillageCode,
            HouseholdNumber = resident.HouseholdNumber,
            RegistrationType = resident.RegistrationType,
            Phone = resident.Phone,
            RefusalReason = row.RefusalReason ?? "",
            RefusalSignedBy = row.RefusalSignedBy ?? "",
        };
        entry.IdentityCategories.AddRange(row.Categories);
        return entry;
    }
}
