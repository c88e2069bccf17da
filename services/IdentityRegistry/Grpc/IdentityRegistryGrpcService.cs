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

namespace Medins.IdentityRegistry.Grpc;

/// <summary>
/// Maps the gRPC contract to the resident store. ID numbers and phones leave masked unless the caller has city
/// scope: county and village systems need to recognise a person, not to copy her number, while the bureau's
/// city-scope staff reconcile with tax and civil-affairs lists by full number. City-scope reads of residents go
/// through the audited city scope, so every disclosure of full numbers is recorded with who asked.
/// </summary>
public sealed partial class IdentityRegistryGrpcService(PlatformDatabase db, TenantContext tenant, RequestLog requestLog,
    Outbox outbox, IdentityProtector protector, TimeProvider time, ILogger<IdentityRegistryGrpcService> logger)
    : IdentityRegistryService.IdentityRegistryServiceBase
{
    private const string ResidentList = "residents";
    private const string DivisionList = "divisions";

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
            .ThrowIfInvalid(idError == NationalIdError.None ? "INVALID_REQUEST" : "INVALID_NATIONAL_ID");

        var ct = context.CancellationToken;
        var response = await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RegisterResident), request.RequestId, request,
                RegisterResidentResponse.Parser,
                () => RegisterAsync(conn, tx, tenantId, nationalId, name, villageCode, householdNumber, request.RegistrationType, phone, ct),
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
        string? phone, CancellationToken ct)
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
            phone is null ? null : protector.Encrypt(phone, Binding(tenantId, residentId, "phone")), now);
        if (!await ResidentQueries.TryInsertAsync(conn, tx, row, ct))
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
            var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, [residentId], ct);
            return ToProto(row, enrolments[residentId]);
        }, ct);
        return new GetResidentResponse { Resident = resident };
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
            var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, page.Select(r => r.ResidentId).ToList(), ct);
            return (page.Select(r => ToProto(r, enrolments[r.ResidentId])).ToList(), rows.Count > pageSize);
        }, ct);

        var response = new ListResidentsResponse();
        response.Residents.AddRange(residents);
        if (more) response.NextPageToken = PageTokens.Encode(ResidentList, villageCode, residents[^1].ResidentId);
        return response;
    }

    /// <summary>Residents of one tenant: masked in the tenant's own scope, in full through the audited city scope.</summary>
    private Task<T> ReadResidentsAsync<T>(string tenantId, string rpc, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken ct) =>
        tenant.IsCityScope
            ? db.InCityScopeAsync(tenant.Client, "IdentityRegistryService/" + rpc, $"unmasked resident identities of tenant {tenantId}", work, ct)
            : db.InTenantAsync(tenantId, work, ct);

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
        _ => EnrolmentStatus.Unspecified,
    };

}
