using System.Text;
using Google.Rpc;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

public sealed class IdentityRegistryServiceTests : IAsyncLifetime
{
    // Demo city (identity_registry.sql): Linjiang's 高滩村 and 普安村 (seed 002 §6), a Gaoyang village under 庞口镇.
    private const string Gaotan = "500118901201";
    private const string Puan = "500118901207";
    private const string GaoyangVillage = "130628902201";
    private const string Phone = "13800001234";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "identity-registry", services: s => s.AddSingleton<TimeProvider>(_time));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client(string? tenant, bool cityScope = false) =>
        new(_host.Channel(tenant, cityScope));

    private static string Id(int sequence, int year = 1980) => TestIds.Make("500118", new DateOnly(year, 5, 17), sequence);

    private static RegisterResidentRequest Registration(string nationalId, string village = Gaotan, string? requestId = null) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        NationalId = nationalId,
        Name = "张三",
        VillageCode = village,
        HouseholdNumber = "HK-0042",
        Phone = Phone,
    };

    private async Task<Resident> RegisterAsync(string tenant, RegisterResidentRequest request) =>
        (await Client(tenant).RegisterResidentAsync(request)).Resident;

    private async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new() { Value = arg });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task RegisterResident_ValidLinjiangResident_GetReturnsMaskedIdAndDerivedFacts()
    {
        var nationalId = Id(123);
        var registered = await RegisterAsync("cq-linjiang", Registration(nationalId));

        var resident = (await Client("cq-linjiang").GetResidentAsync(new GetResidentRequest { ResidentId = registered.ResidentId })).Resident;

        Assert.Equal(nationalId[..4] + "**********" + nationalId[14..], resident.NationalId);
        Assert.Equal(registered.NationalId, resident.NationalId);
        Assert.Equal("138****1234", resident.Phone);
        Assert.Equal(new Google.Type.Date { Year = 1980, Month = 5, Day = 17 }, resident.BirthDate);
        Assert.Equal(Sex.Male, resident.Sex); // 17th digit 3 is odd
        Assert.Equal(Gaotan, resident.VillageCode);
        Assert.Equal("HK-0042", resident.HouseholdNumber);
        Assert.Equal(RegistrationType.HouseholdRegistered, resident.RegistrationType);
        Assert.Equal(_time.GetUtcNow(), resident.CreateTime.ToDateTimeOffset());
        Assert.Empty(resident.Enrolments);
    }

    [Fact]
    public async Task RegisterResident_ReplaySameRequestId_SameResidentAndOneRow()
    {
        var request = Registration(Id(123));

        var first = await RegisterAsync("cq-linjiang", request);
        var replay = await RegisterAsync("cq-linjiang", request.Clone());

        Assert.Equal(first.ResidentId, replay.ResidentId);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.residents WHERE tenant_id = 'cq-linjiang'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'resident.registered'"));
    }

    [Fact]
    public async Task RegisterResident_ReplayWithOtherContent_FailedPreconditionRequestIdReused()
    {
        var request = Registration(Id(123));
        await RegisterAsync("cq-linjiang", request);
        var altered = request.Clone();
        altered.Name = "李四";

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").RegisterResidentAsync(altered).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RegisterResident_WrongCheckCharacter_InvalidArgumentWithNationalIdViolation()
    {
        var wrong = TestIds.WithWrongCheck(Id(123));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-linjiang").RegisterResidentAsync(Registration(wrong)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_NATIONAL_ID", RpcErrors.ReasonOf(ex));
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "national_id");
        Assert.DoesNotContain(wrong[6..14], ex.Status.Detail);
    }

    [Fact]
    public async Task RegisterResident_SeveralBadFields_EveryViolationAtOnce()
    {
        var request = new RegisterResidentRequest
        {
            RequestId = "r-1",
            NationalId = Id(123),
            VillageCode = "5001",
            Phone = "12345",
            RegistrationType = (RegistrationType)42,
        };

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").RegisterResidentAsync(request).ResponseAsync);

        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order();
        Assert.Equal(["name", "phone", "registration_type", "village_code"], fields);
    }

    [Fact]
    public async Task RegisterResident_VillageOfAnotherTenant_UnknownVillage()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-linjiang").RegisterResidentAsync(Registration(Id(123), GaoyangVillage)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("UNKNOWN_VILLAGE", RpcErrors.ReasonOf(ex));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM identity_registry.residents"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM identity_registry.request_log"));
    }

    [Fact]
    public async Task RegisterResident_SamePersonTwice_AlreadyExistsNamingTheResident()
    {
        var first = await RegisterAsync("cq-linjiang", Registration(Id(123)));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-linjiang").RegisterResidentAsync(Registration(Id(123), Puan)).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal("RESIDENT_ALREADY_REGISTERED", RpcErrors.ReasonOf(ex));
        Assert.Equal(first.ResidentId, ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["resident_id"]);
    }

    [Fact]
    public async Task RegisterResident_SamePersonInAnotherTenant_RegisteredThereToo()
    {
        await RegisterAsync("cq-linjiang", Registration(Id(123)));

        var elsewhere = await RegisterAsync("he-gaoyang", Registration(Id(123), GaoyangVillage));

        Assert.Equal(GaoyangVillage, elsewhere.VillageCode);
    }

    [Fact]
    public async Task GetResident_OtherTenantsResident_NotFound()
    {
        var registered = await RegisterAsync("cq-linjiang", Registration(Id(123)));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("he-gaoyang").GetResidentAsync(new GetResidentRequest { ResidentId = registered.ResidentId }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("RESIDENT_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetResident_NotAUuid_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-linjiang").GetResidentAsync(new GetResidentRequest { ResidentId = "42" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "resident_id");
    }

    [Fact]
    public async Task BatchGetResidents_CityScope_FoundInAskedOrderUnknownLeftOutOneAuditRow()
    {
        var first = await RegisterAsync("cq-linjiang", Registration(Id(301)));
        var second = await RegisterAsync("cq-linjiang", Registration(Id(302), village: Puan));
        await Client("cq-linjiang").RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = "death-302", ResidentId = second.ResidentId, Kind = LifeEventKind.Death,
            OccurredDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 10 }, EvidenceReference = "注销证明-302",
        });
        var otherTenant = await RegisterAsync("he-gaoyang", Registration(TestIds.Make("130628", new DateOnly(1980, 5, 17), 303), village: GaoyangVillage));

        var residents = (await Client("cq-linjiang", cityScope: true).BatchGetResidentsAsync(new BatchGetResidentsRequest
        {
            ResidentIds = { second.ResidentId, Guid.NewGuid().ToString(), first.ResidentId, otherTenant.ResidentId, second.ResidentId },
        })).Residents;

        Assert.Equal([second.ResidentId, first.ResidentId], residents.Select(r => r.ResidentId));
        Assert.All(residents, r => Assert.Equal(Phone, r.Phone));
        Assert.Equal(LifeEventKind.Death, Assert.Single(residents[0].LifeEvents).Kind);
        Assert.Empty(residents[1].LifeEvents);
        Assert.NotNull(residents[0].DeregisteredDate);
        Assert.Equal(1, await CountAsync(
            "SELECT count(*) FROM identity_registry.city_scope_audit WHERE operation = 'IdentityRegistryService/BatchGetResidents'"));
    }

    [Fact]
    public async Task BatchGetResidents_TenantScope_NumbersMasked()
    {
        var registered = await RegisterAsync("cq-linjiang", Registration(Id(311)));

        var resident = Assert.Single((await Client("cq-linjiang").BatchGetResidentsAsync(new BatchGetResidentsRequest
        {
            ResidentIds = { registered.ResidentId },
        })).Residents);

        Assert.Equal((registered.ResidentId, registered.NationalId, registered.Phone), (resident.ResidentId, resident.NationalId, resident.Phone));
        Assert.NotEqual(Phone, resident.Phone);
        Assert.NotEqual(Id(311), resident.NationalId);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(501, false)]
    [InlineData(1, true)]
    public async Task BatchGetResidents_NoneTooManyOrMalformed_InvalidArgument(int count, bool malformed)
    {
        var request = new BatchGetResidentsRequest();
        request.ResidentIds.AddRange(Enumerable.Range(0, count).Select(_ => malformed ? "not-a-uuid" : Guid.NewGuid().ToString()));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").BatchGetResidentsAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("resident_ids", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task GetResident_CityScope_FullNumbersAndAudited()
    {
        var nationalId = Id(123);
        var registered = await RegisterAsync("cq-linjiang", Registration(nationalId));

        var resident = (await Client("cq-linjiang", cityScope: true)
            .GetResidentAsync(new GetResidentRequest { ResidentId = registered.ResidentId })).Resident;

        Assert.Equal(nationalId, resident.NationalId);
        Assert.Equal(Phone, resident.Phone);
        Assert.Equal(1, await CountAsync(
            "SELECT count(*) FROM identity_registry.city_scope_audit WHERE operation = 'IdentityRegistryService/GetResident' AND actor = 'test-client'"));
    }

    [Fact]
    public async Task RegisterResident_CityScope_FullNumbersBackButRequestLogKeepsThemMasked()
    {
        var nationalId = Id(123);

        var resident = (await Client("cq-linjiang", cityScope: true).RegisterResidentAsync(Registration(nationalId))).Resident;

        Assert.Equal(nationalId, resident.NationalId);
        Assert.Equal(Phone, resident.Phone);
        await using var cmd = _db.Owner.CreateCommand("SELECT response FROM identity_registry.request_log");
        var stored = RegisterResidentResponse.Parser.ParseFrom((byte[])(await cmd.ExecuteScalarAsync())!);
        Assert.Equal(nationalId[..4] + "**********" + nationalId[14..], stored.Resident.NationalId);
    }

    [Fact]
    public async Task RegisterResident_StoresNeitherIdNorPhoneInClear()
    {
        var nationalId = Id(123);
        await RegisterAsync("cq-linjiang", Registration(nationalId));

        await using var cmd = _db.Owner.CreateCommand("""
            SELECT national_id_encrypted, phone_encrypted, national_id_hash,
                   (SELECT response FROM identity_registry.request_log),
                   (SELECT payload::text FROM identity_registry.outbox)
            FROM identity_registry.residents
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        for (var column = 0; column < 4; column++)
        {
            var stored = Encoding.Latin1.GetString((byte[])reader[column]);
            Assert.DoesNotContain(nationalId, stored);
            Assert.DoesNotContain(nationalId[6..14], stored);
            Assert.DoesNotContain(Phone, stored);
        }
        Assert.DoesNotContain(nationalId, reader.GetString(4));
    }

    [Fact]
    public async Task RegisterResident_WritesResidentRegisteredToOutboxInSameTenant()
    {
        var registered = await RegisterAsync("cq-linjiang", Registration(Id(123)));

        await using var cmd = _db.Owner.CreateCommand(
            "SELECT tenant_id, event_type, payload->>'residentId', payload->>'villageCode' FROM identity_registry.outbox WHERE topic = 'resident.registered'");
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("cq-linjiang", reader.GetString(0));
        Assert.Equal(ResidentRegistered.Descriptor.FullName, reader.GetString(1));
        Assert.Equal(registered.ResidentId, reader.GetString(2));
        Assert.Equal(Gaotan, reader.GetString(3));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task ListResidents_SeveralPages_EveryResidentOnce()
    {
        var expected = new HashSet<string>();
        for (var sequence = 1; sequence <= 7; sequence++)
            expected.Add((await RegisterAsync("cq-linjiang", Registration(Id(sequence)))).ResidentId);
        await RegisterAsync("cq-linjiang", Registration(Id(8), Puan));
        await RegisterAsync("he-gaoyang", Registration(Id(9), GaoyangVillage));

        var seen = new List<string>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await Client("cq-linjiang").ListResidentsAsync(
                new ListResidentsRequest { VillageCode = Gaotan, PageSize = 3, PageToken = token });
            Assert.True(page.Residents.Count <= 3);
            Assert.All(page.Residents, r => Assert.Contains("**********", r.NationalId));
            seen.AddRange(page.Residents.Select(r => r.ResidentId));
            token = page.NextPageToken;
            pages++;
        } while (token.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(7, seen.Count);
        Assert.Equal(expected.Order(), seen.Order());
    }

    [Fact]
    public async Task ListResidents_WholeTenant_DefaultPageHoldsAll()
    {
        await RegisterAsync("cq-linjiang", Registration(Id(1)));
        await RegisterAsync("cq-linjiang", Registration(Id(2), Puan));

        var page = await Client("cq-linjiang").ListResidentsAsync(new ListResidentsRequest());

        Assert.Equal(2, page.Residents.Count);
        Assert.Equal("", page.NextPageToken);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("WyJkaXZpc2lvbnMiLCIiLCJjcS1saWR1IiwiNTAwMTAyIl0=")] // a ListDivisions token
    public async Task ListResidents_ForeignPageToken_InvalidPageToken(string token)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-linjiang").ListResidentsAsync(new ListResidentsRequest { PageToken = token }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListResidents_TokenOfAnotherVillageFilter_InvalidPageToken()
    {
        for (var sequence = 1; sequence <= 3; sequence++) await RegisterAsync("cq-linjiang", Registration(Id(sequence)));
        var first = await Client("cq-linjiang").ListResidentsAsync(new ListResidentsRequest { VillageCode = Gaotan, PageSize = 2 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").ListResidentsAsync(
            new ListResidentsRequest { VillageCode = Puan, PageSize = 2, PageToken = first.NextPageToken }).ResponseAsync);

        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListDivisions_LinjiangTown_ItsElevenVillagesAndCommunity()
    {
        // Seed 002 §6: Linjiang's village task table names 11 villages/communities under 临江镇.
        var response = await Client("cq-linjiang").ListDivisionsAsync(new ListDivisionsRequest { ParentCode = "500118901" });

        Assert.Equal(
            ["临江社区", "高滩村", "桂林村", "九龙村", "龙安村", "龙洞桥村", "隆顺村", "普安村", "天堂村", "天星村", "兴隆村"],
            response.Divisions.Select(d => d.Name));
        Assert.All(response.Divisions, d => Assert.Equal(DivisionLevel.Village, d.Level));
        Assert.All(response.Divisions, d => Assert.Equal("cq-linjiang", d.TenantId));
    }

    [Fact]
    public async Task ListDivisions_GaoyangWholeSubtree_CountyEightTownsAndTheirVillages()
    {
        // Seed 004: Gaoyang county (130628) and its eight towns/subdistricts, each with a demo village.
        var divisions = (await Client("he-gaoyang").ListDivisionsAsync(new ListDivisionsRequest())).Divisions;

        Assert.Single(divisions, d => d.Level == DivisionLevel.County && d.Code == "130628" && d.ParentCode == "130600");
        Assert.Equal(8, divisions.Count(d => d.Level == DivisionLevel.Township));
        Assert.All(divisions.Where(d => d.Level == DivisionLevel.Township),
            town => Assert.Contains(divisions, v => v.Level == DivisionLevel.Village && v.ParentCode == town.Code));
    }

    [Fact]
    public async Task ListDivisions_CityScopeWithoutTenant_PagesAcrossTenantsAndAudits()
    {
        var all = new List<Division>();
        var token = "";
        do
        {
            var page = await Client(null, cityScope: true).ListDivisionsAsync(new ListDivisionsRequest { PageSize = 20, PageToken = token });
            all.AddRange(page.Divisions);
            token = page.NextPageToken;
        } while (token.Length > 0);

        Assert.Equal(await CountAsync("SELECT count(*) FROM identity_registry.divisions"), all.Count);
        Assert.Equal(all.Count, all.Select(d => (d.TenantId, d.Code)).Distinct().Count());
        Assert.Equal(10, all.Select(d => d.TenantId).Distinct().Count()); // nine tenants and the city's own rows
        Assert.Contains(all, d => d is { Code: "511400", Level: DivisionLevel.City, TenantId: "" });
        Assert.True(await CountAsync(
            "SELECT count(*) FROM identity_registry.city_scope_audit WHERE operation = 'IdentityRegistryService/ListDivisions'") >= 3);
    }

    [Fact]
    public async Task ListDivisions_TenantScopeAssertionWithoutTenant_Unauthenticated()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client(null).ListDivisionsAsync(new ListDivisionsRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal(AssertionReasons.Malformed, RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListDivisions_NegativePageSize_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-lidu").ListDivisionsAsync(new ListDivisionsRequest { PageSize = -1 }).ResponseAsync);

        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "page_size");
    }

    [Fact]
    public async Task Startup_WithoutEncryptionKey_Refused()
    {
        await using var host = new ServiceHost<Program>(_db, "identity-registry",
            new Dictionary<string, string?> { ["IdentityRegistry:IdEncryptionKey"] = "" });

        var ex = Assert.ThrowsAny<Exception>(() => host.Server);

        Assert.Contains("IdentityRegistry:IdEncryptionKey is not configured", ex.ToString());
    }
}
