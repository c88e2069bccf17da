using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using LifeEventKind = Medins.Identity.V1.LifeEventKind;

namespace Medins.IdentityRegistry.Tests;

public sealed class LedgerTests : IAsyncLifetime
{
    // Demo city: Linjiang's 高滩村 and 普安村 (seed 002 §6); Meishan's four ledgers (seed 003 六（二）).
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201";
    private const string Puan = "500118901207";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private int _sequence = 100;

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

    private IdentityRegistryService.IdentityRegistryServiceClient Client(string tenant = Linjiang) => new(_host.Channel(tenant));

    private string NextId(string region = "500118") => TestIds.Make(region, new DateOnly(1975, 4, 9), ++_sequence);

    private async Task<string> RegisterAsync(string village = Gaotan, RegistrationType type = RegistrationType.HouseholdRegistered,
        string? nationalId = null, string tenant = Linjiang) =>
        (await Client(tenant).RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(), NationalId = nationalId ?? NextId(), Name = "刘八", VillageCode = village,
            RegistrationType = type, Phone = "13900001111",
        })).Resident.ResidentId;

    private async Task EnrolAsync(string residentId, int year, string tenant = Linjiang)
    {
        using var http = _host.CreateClient();
        await CloudEventPoster.DeliverAsync(http, "contribution.paid", tenant, new ContributionPaid
        {
            TenantId = tenant, ResidentId = residentId, OrderId = $"order-{year}-{residentId}", CoverageYear = year, PersonalAmountFen = 38000,
        });
    }

    private async Task<List<string>> LedgerAsync(Ledger ledger, string village = "", string tenant = Linjiang, int year = 2024) =>
        (await Client(tenant).ListLedgerAsync(new ListLedgerRequest { Ledger = ledger, CoverageYear = year, VillageCode = village }))
            .Entries.Select(e => e.ResidentId).ToList();

    [Fact]
    public async Task ListLedger_RegisteredNotEnrolled_LeavesOutEnrolledMovedDeadAndEmployeeInsured()
    {
        var enrolled = await RegisterAsync();
        var notEnrolled = await RegisterAsync();
        var otherVillage = await RegisterAsync(Puan);
        await RegisterAsync(type: RegistrationType.ResidentFromElsewhere);
        var dead = await RegisterAsync();
        var employee = await RegisterAsync();
        await EnrolAsync(enrolled, 2024);
        await Client().RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = "e1", ResidentId = dead, Kind = LifeEventKind.Death, EvidenceReference = "注销证明 1",
            OccurredDate = new Google.Type.Date { Year = 2023, Month = 10, Day = 1 },
        });
        await Client().RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = "e2", ResidentId = employee, Kind = LifeEventKind.EmployeeInsurance, EvidenceReference = "职工医保参保证明",
            OccurredDate = new Google.Type.Date { Year = 2023, Month = 10, Day = 1 },
        });

        Assert.Equal([notEnrolled], await LedgerAsync(Ledger.RegisteredNotEnrolled, Gaotan));
        Assert.Equal([notEnrolled, otherVillage], await LedgerAsync(Ledger.RegisteredNotEnrolled)); // 高滩 …201 before 普安 …207
    }

    [Fact]
    public async Task ListLedger_ResidentPopulationNotEnrolled_LocallyRegisteredAndPeopleRegisteredElsewhere()
    {
        // Seed 003 一（一）–（二）: the resident population is Meishan's registered people and those from elsewhere who
        // live here; the 常住人口未参保 ledger (seed 003 六（二）) leaves out neither.
        var local = await RegisterAsync();
        var fromElsewhere = await RegisterAsync(type: RegistrationType.ResidentFromElsewhere);
        var permit = await RegisterAsync(type: RegistrationType.ResidencePermit);
        var enrolledStudent = await RegisterAsync(type: RegistrationType.Student);
        await EnrolAsync(enrolledStudent, 2024);

        var ledger = await LedgerAsync(Ledger.ResidentPopulationNotEnrolled);

        Assert.Equal(new[] { local, fromElsewhere, permit }.Order(), ledger.Order());
    }

    [Fact]
    public async Task ListLedger_EnrolledLastYearNotThisYear_OnlyThoseWhoLapsed()
    {
        var lapsed = await RegisterAsync();
        var renewed = await RegisterAsync();
        await RegisterAsync();
        await EnrolAsync(lapsed, 2023);
        await EnrolAsync(renewed, 2023);
        await EnrolAsync(renewed, 2024);

        Assert.Equal([lapsed], await LedgerAsync(Ledger.EnrolledLastYearNotThisYear));
    }

    [Fact]
    public async Task ListLedger_SpecialIdentitiesNotEnrolled_CertifiedAndNotEnrolledWithCategories()
    {
        const string dongpo = "sc-meishan-dongpo";
        const string village = "511402901201";
        var ids = Enumerable.Range(0, 3).Select(_ => NextId("511402")).ToList();
        var tekun = await RegisterAsync(village, nationalId: ids[0], tenant: dongpo);
        var enrolledDibao = await RegisterAsync(village, nationalId: ids[1], tenant: dongpo);
        await RegisterAsync(village, nationalId: ids[2], tenant: dongpo);
        await EnrolAsync(enrolledDibao, 2024, dongpo);
        var rows = new Google.Protobuf.Collections.RepeatedField<IdentityImportRow>
        {
            new IdentityImportRow { NationalId = ids[0], LocalCode = "2304", Department = CertifyingDepartment.CivilAffairs, ValidFrom = new() { Year = 2023, Month = 1, Day = 1 } },
            new IdentityImportRow { NationalId = ids[1], LocalCode = "2303", Department = CertifyingDepartment.CivilAffairs, ValidFrom = new() { Year = 2023, Month = 1, Day = 1 } },
        };
        using (var call = Client(dongpo).ImportIdentities())
        {
            await call.RequestStream.WriteAsync(new ImportIdentitiesRequest { RequestId = "i1", Rows = { rows } });
            await call.RequestStream.CompleteAsync();
            Assert.Equal(2, (await call).CertifiedCount);
        }

        var entries = (await Client(dongpo).ListLedgerAsync(new ListLedgerRequest
        {
            Ledger = Ledger.SpecialIdentitiesNotEnrolled, CoverageYear = 2024,
        })).Entries;

        var entry = Assert.Single(entries);
        Assert.Equal(tekun, entry.ResidentId);
        Assert.Equal(["tekun"], entry.IdentityCategories);
        Assert.Equal(ids[0][..4] + "**********" + ids[0][14..], entry.NationalId);
        Assert.Equal("139****1111", entry.Phone);
    }

    [Fact]
    public async Task RecordRefusal_NotEnrolled_OnRefusalListUntilSheEnrols()
    {
        var refuser = await RegisterAsync();
        await Client().RecordRefusalAsync(new RecordRefusalRequest
        {
            RequestId = "r1", ResidentId = refuser, CoverageYear = 2024, Reason = "已在外地参加职工医保，未提供证明", SignedBy = "本人 刘八",
        });

        var entry = Assert.Single((await Client().ListLedgerAsync(new ListLedgerRequest { Ledger = Ledger.Refused, CoverageYear = 2024 })).Entries);
        var resident = (await Client().GetResidentAsync(new GetResidentRequest { ResidentId = refuser })).Resident;
        await EnrolAsync(refuser, 2024);

        Assert.Equal(("已在外地参加职工医保，未提供证明", "本人 刘八"), (entry.RefusalReason, entry.RefusalSignedBy));
        Assert.Equal(EnrolmentStatus.Refused, Assert.Single(resident.Enrolments).Status);
        Assert.Empty(await LedgerAsync(Ledger.Refused));
    }

    [Fact]
    public async Task RecordRefusal_AlreadyEnrolled_FailedPreconditionAlreadyEnrolled()
    {
        var resident = await RegisterAsync();
        await EnrolAsync(resident, 2024);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().RecordRefusalAsync(new RecordRefusalRequest
        {
            RequestId = "r1", ResidentId = resident, CoverageYear = 2024, Reason = "不愿参保", SignedBy = "本人",
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("ALREADY_ENROLLED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListLedger_SeveralPagesAcrossVillages_EveryPersonOnceInVillageOrder()
    {
        var expected = new List<string>();
        for (var i = 0; i < 4; i++) expected.Add(await RegisterAsync(Gaotan));
        for (var i = 0; i < 3; i++) expected.Add(await RegisterAsync(Puan));

        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await Client().ListLedgerAsync(new ListLedgerRequest
            {
                Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = 2024, PageSize = 3, PageToken = token,
            });
            seen.AddRange(page.Entries.Select(e => e.ResidentId));
            token = page.NextPageToken;
            pages++;
        } while (token.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(expected.Take(4).Order().Concat(expected.Skip(4).Order()), seen);
    }

    [Fact]
    public async Task ListLedger_TokenOfAnotherLedger_InvalidPageToken()
    {
        for (var i = 0; i < 3; i++) await RegisterAsync();
        var page = await Client().ListLedgerAsync(new ListLedgerRequest { Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = 2024, PageSize = 1 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().ListLedgerAsync(new ListLedgerRequest
        {
            Ledger = Ledger.Refused, CoverageYear = 2024, PageSize = 1, PageToken = page.NextPageToken,
        }).ResponseAsync);

        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListLedger_NoLedger_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client().ListLedgerAsync(new ListLedgerRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ExportLedgerCsv_Village_HeaderAndOneMaskedLinePerPerson()
    {
        var nationalId = NextId();
        var resident = await RegisterAsync(nationalId: nationalId);
        await RegisterAsync();
        await RegisterAsync(Puan);

        using var call = Client().ExportLedgerCsv(new ExportLedgerCsvRequest
        {
            Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = 2024, VillageCode = Gaotan,
        });
        var csv = string.Concat(await call.ResponseStream.ReadAllAsync().Select(c => c.CsvChunk).ToListAsync());

        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("resident_id,national_id,name,village_code", lines[0]);
        Assert.Contains($"{resident},{nationalId[..4]}**********{nationalId[14..]},刘八,{Gaotan},,household_registered,139****1111,,,", lines);
        Assert.DoesNotContain(nationalId, csv);
    }

    [Fact]
    public async Task ListDuplicateResidents_SamePersonInTwoTenants_ListedWithFullNumberAndAudited()
    {
        var nationalId = NextId();
        var inLinjiang = await RegisterAsync(nationalId: nationalId);
        var inLidu = await RegisterAsync("500102901201", nationalId: nationalId, tenant: "cq-lidu");
        await RegisterAsync();

        var city = new IdentityRegistryService.IdentityRegistryServiceClient(_host.Channel(null, cityScope: true));
        var duplicates = (await city.ListDuplicateResidentsAsync(new ListDuplicateResidentsRequest())).Duplicates;

        var duplicate = Assert.Single(duplicates);
        Assert.Equal(nationalId, duplicate.NationalId);
        Assert.Equal([("cq-linjiang", inLinjiang), ("cq-lidu", inLidu)],
            duplicate.Registrations.Select(r => (r.TenantId, r.ResidentId)).OrderByDescending(r => r.TenantId));
        await using var audit = _db.Owner.CreateCommand(
            "SELECT count(*) FROM identity_registry.city_scope_audit WHERE operation = 'IdentityRegistryService/ListDuplicateResidents'");
        Assert.Equal(1L, await audit.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ListDuplicateResidents_TenantScope_PermissionDeniedCityScopeRequired()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().ListDuplicateResidentsAsync(new ListDuplicateResidentsRequest()).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("CITY_SCOPE_REQUIRED", RpcErrors.ReasonOf(ex));
    }
}
