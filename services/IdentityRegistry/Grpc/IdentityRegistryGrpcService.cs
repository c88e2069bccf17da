using Medins;
using System.Text.RegularExpressions;
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
using DomainSex = Medins.IdentityRegistry.Domain.Sex;
using DomainEnrolmentStatus = Medins.IdentityRegistry.Domain.EnrolmentStatus;
using EnrolmentStatus = Medins.Identity.V1.EnrolmentStatus;
using Sex = Medins.Identity.V1.Sex;
using LifeEventKind = Medins.Identity.V1.LifeEventKind;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>
/// Maps the gRPC contract to the resident store. ID numbers and phones leave masked unless the caller has city
/// scope: county and village systems need to recognise a person, not to copy her number, while the bureau's
/// city-scope staff reconcile with tax and civil-affairs lists by full number. City-scope reads of residents go
/// through the audited city scope, so every disclosure of full numbers is recorded with who asked.
/// </summary>
public sealed partial class IdentityRegistryGrpcService(PlatformDatabase db, TenantContext tenant, RequestLog requestLog,
    Outbox outbox, IdentityProtector protector, TimeProvider time, IdentityImports identities, ILogger<IdentityRegistryGrpcService> logger)
    : IdentityRegistryService.IdentityRegistryServiceBase
{
    private const string ResidentList = "residents";
    private const string DivisionList = "divisions";
    private const string LedgerList = "ledger";
    private const string DuplicateList = "duplicates";
    private const int ExportChunkRows = 1000;

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex VillageCodePattern();

    [GeneratedRegex("^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")]
    private static partial Regex DivisionCodePattern();

    public override async Task<ListDivisionsResponse> ListDivisions(ListDivisionsRequest request, ServerCallContext context)
    {
        var parentCode = request.ParentCode.Trim();
        new RequestValidator()
            .Check(request.PageSize >= 0, "page_size", "must not be negative")
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

    public override async Task<RegisterResidentResponse> RegisterResident(RegisterResidentRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var idError = NationalId.TryParse(request.NationalId, ShanghaiCalendar.Today(time), out var nationalId);
        var name = request.Name.Trim();
        var villageCode = request.VillageCode.Trim();
        var householdNumber = request.HouseholdNumber.Trim();
        var phoneGiven = !string.IsNullOrWhiteSpace(request.Phone);
        var phone = phoneGiven ? PhoneNumber.Normalise(request.Phone) : null;
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(idError == NationalIdError.None, "national_id", NationalId.Describe(idError))
            .Require(name, "name")
            .Check(name.Length <= 64 && !name.Any(char.IsControl), "name", "must be at most 64 printable characters")
            .Require(villageCode, "village_code")
            .Check(villageCode.Length == 0 || VillageCodePattern().IsMatch(villageCode), "village_code", "must be a 12-digit village or community code")
            .Check(householdNumber.Length <= 32 && !householdNumber.Any(char.IsControl), "household_number", "must be at most 32 printable characters")
            .Check(System.Enum.IsDefined(request.RegistrationType), "registration_type", "is not a known registration type")
            .Check(!phoneGiven || phone is not null, "phone", "must be an 11-digit mainland mobile number")
            .Check(System.Enum.IsDefined(request.Relationship), "relationship", "is not a known household relationship")
            .Check(request.Relationship == HouseholdRelationship.Unspecified || householdNumber.Length > 0, "relationship",
                "needs a household_number")
            .ThrowIfInvalid(idError == NationalIdError.None ? "INVALID_REQUEST" : "INVALID_NATIONAL_ID");

        var ct = context.CancellationToken;
        var response = await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RegisterResident), request.RequestId, request,
                RegisterResidentResponse.Parser,
                () => RegisterAsync(conn, tx, tenantId, nationalId, name, villageCode, householdNumber, request.RegistrationType, phone,
                    RelationshipText(request.Relationship), ct),
                ct), ct);

        // The request log keeps the masked answer only; a city-scope caller gets back the numbers she sent.
        if (tenant.IsCityScope)
        {
            response.Resident.NationalId = nationalId.Value;
            response.Resident.Phone = phone ?? "";
        }
        return response;
    }

    private async Task<RegisterResidentResponse> RegisterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        NationalId nationalId, string name, string villageCode, string householdNumber, RegistrationType registrationType,
        string? phone, string? relationship, CancellationToken ct)
    {
        if (!await DivisionQueries.IsVillageAsync(conn, tx, tenantId, villageCode, ct))
            throw RpcErrors.InvalidArgument("UNKNOWN_VILLAGE", $"'{villageCode}' is not a village or community of this tenant.",
                ("village_code", "is not a village or community of this tenant"));

        var now = time.UtcNow();
        var residentId = Guid.CreateVersion7(now);
        var row = new ResidentRow(tenantId, residentId,
            protector.Encrypt(nationalId.Value, Binding(tenantId, residentId, "national_id")),
            protector.LookupHash(nationalId), nationalId.BirthDate, nationalId.Sex, name, villageCode,
            householdNumber.Length == 0 ? null : householdNumber, RegistrationTypeText(registrationType),
            phone is null ? null : protector.Encrypt(phone, Binding(tenantId, residentId, "phone")), now, relationship);
        bool inserted;
        try
        {
            inserted = await ResidentQueries.TryInsertAsync(conn, tx, row, ct);
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "residents_one_head" })
        {
            throw RpcErrors.FailedPrecondition("HOUSEHOLD_HAS_HEAD", "This household booklet already has a registered head.");
        }
        if (!inserted)
        {
            var existing = await ResidentQueries.FindByLookupHashAsync(conn, tx, tenantId, row.NationalIdHash, ct);
            throw RpcErrors.Build(Google.Rpc.Code.AlreadyExists, "RESIDENT_ALREADY_REGISTERED",
                "A resident with this ID number is already registered in this tenant.",
                metadata: existing is { } id ? new Dictionary<string, string> { ["resident_id"] = id.ToString() } : null);
        }

        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ResidentRegistered, new ResidentRegistered
        {
            TenantId = tenantId,
            ResidentId = residentId.ToString(),
            VillageCode = villageCode,
            RegistrationType = ToProto(row.RegistrationType),
            BirthDate = row.BirthDate.ToProtoDate(),
        }, ct);
        logger.LogInformation("Registered resident {ResidentId} in village {VillageCode}", residentId, villageCode);
        return new RegisterResidentResponse { Resident = ToProto(row, nationalId.Value, phone, [], reveal: false) };
    }

    public override async Task<GetResidentResponse> GetResident(GetResidentRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        if (!Guid.TryParse(request.ResidentId, out var residentId))
            throw RpcErrors.InvalidArgument("INVALID_REQUEST", "resident_id must be a UUID.", ("resident_id", "must be a UUID"));
        var ct = context.CancellationToken;
        var resident = await ReadResidentsAsync(tenantId, nameof(GetResident), async (conn, tx) =>
        {
            var row = await ResidentQueries.GetAsync(conn, tx, tenantId, residentId, ct)
                ?? throw RpcErrors.NotFound("RESIDENT_NOT_FOUND", $"No resident {residentId} in this tenant.");
            return await WholeResidentAsync(conn, tx, row, tenant.IsCityScope, ct);
        }, ct);
        return new GetResidentResponse { Resident = resident };
    }

    private const int MaxBatchGet = 500;

    public override async Task<BatchGetResidentsResponse> BatchGetResidents(BatchGetResidentsRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var ids = new List<Guid>(request.ResidentIds.Count);
        var malformed = false;
        foreach (var text in request.ResidentIds)
        {
            if (Guid.TryParse(text, out var id)) ids.Add(id);
            else malformed = true;
        }
        new RequestValidator()
            .Check(ids.Count > 0 || malformed, "resident_ids", "is required")
            .Check(request.ResidentIds.Count <= MaxBatchGet, "resident_ids", $"must name at most {MaxBatchGet} residents")
            .Check(!malformed, "resident_ids", "must be UUIDs")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        var distinct = ids.Distinct().ToList();
        var found = await ReadResidentsAsync(tenantId, nameof(BatchGetResidents), async (conn, tx) =>
        {
            // One query each for the residents, enrolments, identities and life events of the whole batch.
            var rows = await ResidentQueries.GetManyAsync(conn, tx, tenantId, distinct, ct);
            var present = rows.Select(r => r.ResidentId).ToList();
            var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, present, ct);
            var certified = (await IdentityQueries.UnrevokedForAsync(conn, tx, tenantId, present, ct)).ToLookup(c => c.ResidentId);
            var lifeEvents = await LifeEventQueries.ListForManyAsync(conn, tx, tenantId, present, ct);
            var today = ShanghaiCalendar.Today(time);
            return rows.ToDictionary(r => r.ResidentId, r =>
            {
                var resident = ToProto(r, enrolments[r.ResidentId]);
                resident.CertifiedIdentities.AddRange(IdentityImports.Current(certified[r.ResidentId], today));
                resident.LifeEvents.AddRange(lifeEvents[r.ResidentId].Select(ToProto));
                return resident;
            });
        }, ct);
        var response = new BatchGetResidentsResponse();
        response.Residents.AddRange(distinct.Where(found.ContainsKey).Select(id => found[id]));
        return response;
    }

    public override async Task<ListResidentsResponse> ListResidents(ListResidentsRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var villageCode = request.VillageCode.Trim();
        new RequestValidator()
            .Check(request.PageSize >= 0, "page_size", "must not be negative")
            .Check(villageCode.Length == 0 || VillageCodePattern().IsMatch(villageCode), "village_code", "must be a 12-digit village or community code")
            .ThrowIfInvalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var after = PageTokens.Decode(request.PageToken, ResidentList, villageCode, keyLength: 1);
        var afterId = Guid.Empty;
        if (after.Length == 1 && !Guid.TryParse(after[0], out afterId))
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token is not a page token of this list.",
                ("page_token", "is not a page token of this list"));
        var ct = context.CancellationToken;

        var (residents, more) = await ReadResidentsAsync(tenantId, nameof(ListResidents), async (conn, tx) =>
        {
            var rows = await ResidentQueries.ListAsync(conn, tx, tenantId, villageCode, afterId, pageSize + 1, ct);
            var page = rows.Take(pageSize).ToList();
            var ids = page.Select(r => r.ResidentId).ToList();
            // One query each for the whole page's enrolments and identities, never one per resident.
            var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, ids, ct);
            var certified = (await IdentityQueries.UnrevokedForAsync(conn, tx, tenantId, ids, ct)).ToLookup(c => c.ResidentId);
            var today = ShanghaiCalendar.Today(time);
            return (page.Select(r =>
            {
                var resident = ToProto(r, enrolments[r.ResidentId]);
                resident.CertifiedIdentities.AddRange(IdentityImports.Current(certified[r.ResidentId], today));
                return resident;
            }).ToList(), rows.Count > pageSize);
        }, ct);

        var response = new ListResidentsResponse();
        response.Residents.AddRange(residents);
        if (more) response.NextPageToken = PageTokens.Encode(ResidentList, villageCode, residents[^1].ResidentId);
        return response;
    }

    public override async Task<RecordHouseholdResponse> RecordHousehold(RecordHouseholdRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var householdNumber = request.HouseholdNumber.Trim();
        var villageCode = request.VillageCode.Trim();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Require(householdNumber, "household_number")
            .Check(householdNumber.Length <= 32 && !householdNumber.Any(char.IsControl), "household_number", "must be at most 32 printable characters")
            .Require(villageCode, "village_code")
            .Check(villageCode.Length == 0 || VillageCodePattern().IsMatch(villageCode), "village_code", "must be a 12-digit village or community code")
            .Check(request.BookletMemberCount is >= 1 and <= 99, "booklet_member_count", "must be between 1 and 99")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RecordHousehold), request.RequestId, request, RecordHouseholdResponse.Parser,
                async () =>
                {
                    if (!await DivisionQueries.IsVillageAsync(conn, tx, tenantId, villageCode, ct))
                        throw RpcErrors.InvalidArgument("UNKNOWN_VILLAGE", $"'{villageCode}' is not a village or community of this tenant.",
                            ("village_code", "is not a village or community of this tenant"));
                    await HouseholdQueries.UpsertAsync(conn, tx, tenantId,
                        new HouseholdRow(householdNumber, villageCode, request.BookletMemberCount), time.UtcNow(), ct);
                    return new RecordHouseholdResponse
                    {
                        Household = new Household
                        {
                            HouseholdNumber = householdNumber, VillageCode = villageCode, BookletMemberCount = request.BookletMemberCount,
                        },
                    };
                }, ct), ct);
    }

    public override async Task<GetHouseholdResponse> GetHousehold(GetHouseholdRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var householdNumber = request.HouseholdNumber.Trim();
        new RequestValidator()
            .Require(householdNumber, "household_number")
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year between 2000 and 2100")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        var household = await ReadResidentsAsync(tenantId, nameof(GetHousehold), async (conn, tx) =>
        {
            var booklet = await HouseholdQueries.GetAsync(conn, tx, tenantId, householdNumber, ct);
            var members = await ResidentQueries.ListByHouseholdAsync(conn, tx, tenantId, householdNumber, ct);
            if (booklet is null && members.Count == 0)
                throw RpcErrors.NotFound("HOUSEHOLD_NOT_FOUND", "No household with this booklet number in this tenant.");
            var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, members.Select(m => m.ResidentId).ToList(), ct);
            var facts = members.Select(m =>
            {
                var enrolment = enrolments[m.ResidentId].FirstOrDefault(e => e.CoverageYear == request.CoverageYear)?.State;
                // The member's own Resident says why she is not expected: deregistered_date, suspended_date with its
                // suspension_reason, or the year's enrolment excused_from_enrolment.
                return new HouseholdMemberFacts(m.Relationship == "head", enrolment?.Status,
                    ExpectedToEnrol: m.DeregisteredOn is null && m.Suspension is null && enrolment?.ExcusedFromEnrolment != true);
            }).ToList();
            var result = new Household
            {
                HouseholdNumber = householdNumber,
                VillageCode = booklet?.VillageCode ?? members[0].VillageCode,
                BookletMemberCount = booklet?.BookletMemberCount ?? 0,
                HeadResidentId = members.FirstOrDefault(m => m.Relationship == "head")?.ResidentId.ToString() ?? "",
                CoverageYear = request.CoverageYear,
            };
            for (var i = 0; i < members.Count; i++)
                result.Members.Add(new HouseholdMember
                {
                    Resident = ToProto(members[i], enrolments[members[i].ResidentId]),
                    Relationship = RelationshipProto(members[i].Relationship),
                    EnrolmentStatus = facts[i].Status is { } status ? ToProto(status) : EnrolmentStatus.NotEnrolled,
                });
            var problems = Households.Check(booklet?.BookletMemberCount, facts);
            result.Problems.AddRange(problems.Select(p => p switch
            {
                Domain.HouseholdProblem.BookletUnknown => Identity.V1.HouseholdProblem.BookletUnknown,
                Domain.HouseholdProblem.MembersUnregistered => Identity.V1.HouseholdProblem.MembersUnregistered,
                Domain.HouseholdProblem.HeadMissing => Identity.V1.HouseholdProblem.HeadMissing,
                Domain.HouseholdProblem.MembersNotEnrolled => Identity.V1.HouseholdProblem.MembersNotEnrolled,
                Domain.HouseholdProblem.MoreMembersThanBooklet => Identity.V1.HouseholdProblem.MoreMembersThanBooklet,
                _ => Identity.V1.HouseholdProblem.Unspecified,
            }));
            result.Complete = problems.Count == 0;
            return result;
        }, ct);
        return new GetHouseholdResponse { Household = household };
    }

    public override async Task<RecordLifeEventResponse> RecordLifeEvent(RecordLifeEventRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var evidence = request.EvidenceReference.Trim();
        var occurred = request.OccurredDate.ToDateOnly();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(Guid.TryParse(request.ResidentId, out var residentId), "resident_id", "must be a UUID")
            .Check(LifeEventKindOf(request.Kind) is not null, "kind", "must be a known life event kind")
            .Check(occurred is not null, "occurred_date", "must be a full calendar date")
            .Require(evidence, "evidence_reference")
            .Check(evidence.Length <= 200 && !evidence.Any(char.IsControl), "evidence_reference", "must be at most 200 printable characters")
            .ThrowIfInvalid();
        var kind = LifeEventKindOf(request.Kind)!.Value;
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RecordLifeEvent), request.RequestId, request, RecordLifeEventResponse.Parser,
                async () =>
                {
                    var resident = await ResidentQueries.GetForUpdateAsync(conn, tx, tenantId, residentId, ct)
                        ?? throw RpcErrors.NotFound("RESIDENT_NOT_FOUND", $"No resident {residentId} in this tenant.");
                    if (resident.DeregisteredOn is not null)
                        throw RpcErrors.FailedPrecondition("RESIDENT_DEREGISTERED", "The resident is deregistered (death or moved away).");
                    if (LifeEvents.DateProblem(occurred!.Value, resident.BirthDate, ShanghaiCalendar.Today(time)) is { } problem)
                        throw RpcErrors.InvalidArgument("INVALID_LIFE_EVENT_DATE", "occurred_date " + problem + ".", ("occurred_date", problem));
                    var now = time.UtcNow();
                    var row = new LifeEventRow(Guid.CreateVersion7(now), residentId, kind, occurred.Value, evidence, now);
                    await LifeEventQueries.InsertAsync(conn, tx, tenantId, row, ct);
                    if (LifeEvents.AffectsSuspension(kind))
                    {
                        // From all her events, in date order: a late-recorded army entry may precede a discharge.
                        var events = await LifeEventQueries.ListForAsync(conn, tx, tenantId, residentId, ct);
                        await LifeEventQueries.SetSuspensionAsync(conn, tx, tenantId, residentId,
                            LifeEvents.SuspensionAfter(events.Select(e => (e.Kind, e.OccurredOn))), ct);
                    }
                    if (LifeEvents.Deregisters(kind))
                    {
                        await LifeEventQueries.DeregisterAsync(conn, tx, tenantId, residentId, occurred.Value, ct);
                        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ResidentDeregistered, new ResidentDeregistered
                        {
                            TenantId = tenantId,
                            ResidentId = residentId.ToString(),
                            VillageCode = resident.VillageCode,
                            Reason = request.Kind,
                            DeregisteredDate = occurred.Value.ToProtoDate(),
                            EvidenceReference = evidence,
                        }, ct);
                    }
                    logger.LogInformation("Recorded life event {Kind} for resident {ResidentId}", LifeEvents.Code(kind), residentId);
                    return new RecordLifeEventResponse { LifeEvent = ToProto(row) };
                }, ct), ct);
    }

    private static LifeEvent ToProto(LifeEventRow row) => new()
    {
        LifeEventId = row.LifeEventId.ToString(),
        ResidentId = row.ResidentId.ToString(),
        Kind = ToProto(row.Kind),
        OccurredDate = row.OccurredOn.ToProtoDate(),
        EvidenceReference = row.EvidenceReference,
        RecordTime = Timestamp.FromDateTimeOffset(row.RecordedAt),
    };

    // The contract's kinds follow the domain's order, one after UNSPECIFIED.
    private static LifeEventKind ToProto(Domain.LifeEventKind kind) => (LifeEventKind)((int)kind + 1);

    private static Domain.LifeEventKind? LifeEventKindOf(LifeEventKind kind) =>
        kind != LifeEventKind.Unspecified && System.Enum.IsDefined(kind) ? (Domain.LifeEventKind)((int)kind - 1) : null;

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
                        ?? throw RpcErrors.NotFound("RESIDENT_NOT_FOUND", $"No resident {residentId} in this tenant.");
                    if (resident.DeregisteredOn is not null)
                        throw RpcErrors.FailedPrecondition("RESIDENT_DEREGISTERED", "The resident is deregistered (death or moved away).");
                    var current = await EnrolmentQueries.GetAsync(conn, tx, tenantId, residentId, request.CoverageYear, ct);
                    if (current?.Status == DomainEnrolmentStatus.Enrolled)
                        throw RpcErrors.FailedPrecondition("ALREADY_ENROLLED", $"The resident is enrolled for {request.CoverageYear}.");
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
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token is not a page token of this list.",
                ("page_token", "is not a page token of this list"));
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
            throw RpcErrors.PermissionDenied("CITY_SCOPE_REQUIRED", "Only city scope may compare registrations across tenants.");
        new RequestValidator().Check(request.PageSize >= 0, "page_size", "must not be negative").ThrowIfInvalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var after = PageTokens.Decode(request.PageToken, DuplicateList, "", keyLength: 1);
        byte[] afterHash = [];
        if (after.Length == 1)
        {
            try { afterHash = Convert.FromHexString(after[0]); }
            catch (FormatException)
            {
                throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token is not a page token of this list.",
                    ("page_token", "is not a page token of this list"));
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
            .Check(pageSize >= 0, "page_size", "must not be negative")
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

    private static string? RelationshipText(HouseholdRelationship relationship) => relationship switch
    {
        HouseholdRelationship.Unspecified => null,
        HouseholdRelationship.ChildInLaw => "child_in_law",
        _ => relationship.ToString().ToLowerInvariant(),
    };

    private static HouseholdRelationship RelationshipProto(string? relationship) => relationship switch
    {
        null => HouseholdRelationship.Unspecified,
        "child_in_law" => HouseholdRelationship.ChildInLaw,
        _ => System.Enum.TryParse<HouseholdRelationship>(relationship, ignoreCase: true, out var parsed) ? parsed : HouseholdRelationship.Unspecified,
    };

    public override Task<ImportIdentitiesResponse> ImportIdentities(IAsyncStreamReader<ImportIdentitiesRequest> requestStream,
        ServerCallContext context) => identities.ImportStreamAsync(requestStream, context.CancellationToken);

    public override Task<ImportIdentitiesCsvResponse> ImportIdentitiesCsv(ImportIdentitiesCsvRequest request, ServerCallContext context) =>
        identities.ImportCsvAsync(request, context.CancellationToken);

    public override Task<RevokeIdentityResponse> RevokeIdentity(RevokeIdentityRequest request, ServerCallContext context) =>
        identities.RevokeAsync(request, context.CancellationToken);

    /// <summary>Residents of one tenant: masked in the tenant's own scope, in full through the audited city scope.</summary>
    private Task<T> ReadResidentsAsync<T>(string tenantId, string rpc, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken ct) =>
        tenant.IsCityScope
            ? db.InCityScopeAsync(tenant.Client, "IdentityRegistryService/" + rpc, $"unmasked resident identities of tenant {tenantId}", work, ct)
            : db.InTenantAsync(tenantId, work, ct);

    /// <summary>Everything GetResident shows of her: enrolments, current identities and life events.</summary>
    private async Task<Resident> WholeResidentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResidentRow row, bool reveal,
        CancellationToken ct)
    {
        var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, row.TenantId, [row.ResidentId], ct);
        var resident = ToProto(row,
            protector.Decrypt(row.NationalIdEncrypted, Binding(row.TenantId, row.ResidentId, "national_id")),
            row.PhoneEncrypted is null ? null : protector.Decrypt(row.PhoneEncrypted, Binding(row.TenantId, row.ResidentId, "phone")),
            enrolments[row.ResidentId], reveal);
        var certified = await IdentityQueries.UnrevokedForAsync(conn, tx, row.TenantId, [row.ResidentId], ct);
        resident.CertifiedIdentities.AddRange(IdentityImports.Current(certified, ShanghaiCalendar.Today(time)));
        resident.LifeEvents.AddRange((await LifeEventQueries.ListForAsync(conn, tx, row.TenantId, row.ResidentId, ct)).Select(ToProto));
        return resident;
    }

    private Resident ToProto(ResidentRow row, IEnumerable<EnrolmentRow> enrolments) =>
        ToProto(row,
            protector.Decrypt(row.NationalIdEncrypted, Binding(row.TenantId, row.ResidentId, "national_id")),
            row.PhoneEncrypted is null ? null : protector.Decrypt(row.PhoneEncrypted, Binding(row.TenantId, row.ResidentId, "phone")),
            enrolments, reveal: tenant.IsCityScope);

    private static Resident ToProto(ResidentRow row, string nationalId, string? phone, IEnumerable<EnrolmentRow> enrolments, bool reveal)
    {
        var resident = new Resident
        {
            ResidentId = row.ResidentId.ToString(),
            NationalId = reveal ? nationalId : NationalId.MaskText(nationalId),
            Name = row.Name,
            BirthDate = row.BirthDate.ToProtoDate(),
            Sex = row.Sex == DomainSex.Male ? Sex.Male : Sex.Female,
            VillageCode = row.VillageCode,
            HouseholdNumber = row.HouseholdNumber ?? "",
            RegistrationType = ToProto(row.RegistrationType),
            Phone = phone is null ? "" : reveal ? phone : PhoneNumber.Mask(phone),
            CreateTime = Timestamp.FromDateTimeOffset(row.CreatedAt),
            Relationship = RelationshipProto(row.Relationship),
            DeregisteredDate = row.DeregisteredOn is { } deregistered ? deregistered.ToProtoDate() : null,
            SuspendedDate = row.Suspension?.Since.ToProtoDate(),
            SuspensionReason = row.Suspension is { } suspension ? ToProto(suspension.Reason) : LifeEventKind.Unspecified,
            PersonGroup = row.PersonGroup is { } group ? ToProto(group) : null,
            DisabilityGrade = row.DisabilityGrade,
        };
        resident.Enrolments.AddRange(enrolments.Select(e => new Enrolment
        {
            CoverageYear = e.CoverageYear,
            Status = ToProto(e.State.Status),
            OrderId = e.State.OrderId ?? "",
            PersonalAmountFen = e.State.PersonalAmountFen,
            BenefitStartDate = e.State.BenefitStart is { } start ? start.ToProtoDate() : null,
            BenefitEndDate = e.State.BenefitEnd is { } end ? end.ToProtoDate() : null,
            UpdateTime = Timestamp.FromDateTimeOffset(e.UpdatedAt),
            RefundReason = e.State.RefundReason ?? "",
            ExcusedFromEnrolment = e.State.ExcusedFromEnrolment,
            SubsidyLines =
            {
                e.State.SubsidyLines.Lines.Select(l => new Identity.V1.EnrolmentSubsidyLine
                {
                    Category = l.Category, FundingSource = l.FundingSource, AmountFen = l.AmountFen,
                }),
            },
        }));
        return resident;
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

    /// <summary>Ties a ciphertext to its tenant, row and column.</summary>
    private static string Binding(string tenantId, Guid residentId, string column) => $"{tenantId}/{residentId}/{column}";

    // A registration without a type is the common case: a person registered in her household's booklet here.
    private static string RegistrationTypeText(RegistrationType type) => type switch
    {
        RegistrationType.ResidentFromElsewhere => "resident_from_elsewhere",
        RegistrationType.Student => "student",
        RegistrationType.ResidencePermit => "residence_permit",
        _ => "household_registered",
    };

    private static RegistrationType ToProto(string registrationType) => registrationType switch
    {
        "household_registered" => RegistrationType.HouseholdRegistered,
        "resident_from_elsewhere" => RegistrationType.ResidentFromElsewhere,
        "student" => RegistrationType.Student,
        "residence_permit" => RegistrationType.ResidencePermit,
        _ => RegistrationType.Unspecified,
    };

    private static EnrolmentStatus ToProto(DomainEnrolmentStatus status) => status switch
    {
        DomainEnrolmentStatus.NotEnrolled => EnrolmentStatus.NotEnrolled,
        DomainEnrolmentStatus.Enrolled => EnrolmentStatus.Enrolled,
        DomainEnrolmentStatus.Refunded => EnrolmentStatus.Refunded,
        DomainEnrolmentStatus.Refused => EnrolmentStatus.Refused,
        DomainEnrolmentStatus.RefundPending => EnrolmentStatus.RefundPending,
        _ => EnrolmentStatus.Unspecified,
    };

}
