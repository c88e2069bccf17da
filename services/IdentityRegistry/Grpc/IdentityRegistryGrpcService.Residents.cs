using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;
using Npgsql;
using DomainSex = Medins.IdentityRegistry.Domain.Sex;
using DomainEnrolmentStatus = Medins.IdentityRegistry.Domain.EnrolmentStatus;
using EnrolmentStatus = Medins.Identity.V1.EnrolmentStatus;
using Sex = Medins.Identity.V1.Sex;
using LifeEventKind = Medins.Identity.V1.LifeEventKind;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>Residents: registration, reads one, many and by village, and how a resident row becomes the contract's Resident.</summary>
public sealed partial class IdentityRegistryGrpcService
{
    private const string ResidentList = "residents";

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
            .ThrowIfInvalid(idError == NationalIdError.None ? PlatformReason.InvalidRequest : (System.Enum)ErrorReason.InvalidNationalId);

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
            throw RpcErrors.InvalidArgument(ErrorReason.UnknownVillage, $"'{villageCode}' is not a village or community of this tenant.",
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
            throw RpcErrors.FailedPrecondition(ErrorReason.HouseholdHasHead, "This household booklet already has a registered head.");
        }
        if (!inserted)
        {
            var existing = await ResidentQueries.FindByLookupHashAsync(conn, tx, tenantId, row.NationalIdHash, ct);
            throw RpcErrors.Build(Google.Rpc.Code.AlreadyExists, ErrorReason.ResidentAlreadyRegistered,
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
            throw RpcErrors.InvalidArgument(PlatformReason.InvalidRequest, "resident_id must be a UUID.", ("resident_id", "must be a UUID"));
        var ct = context.CancellationToken;
        var resident = await ReadResidentsAsync(tenantId, nameof(GetResident), async (conn, tx) =>
        {
            var row = await ResidentQueries.GetAsync(conn, tx, tenantId, residentId, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.ResidentNotFound, $"No resident {residentId} in this tenant.");
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
            .CheckPageSize(request.PageSize)
            .Check(villageCode.Length == 0 || VillageCodePattern().IsMatch(villageCode), "village_code", "must be a 12-digit village or community code")
            .ThrowIfInvalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var after = PageTokens.Decode(request.PageToken, ResidentList, villageCode, keyLength: 1);
        var afterId = Guid.Empty;
        if (after.Length == 1 && !Guid.TryParse(after[0], out afterId))
            throw PageTokens.Invalid();
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
}
