using Medins.Identity.V1;
using Medins.Migrator;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

public sealed class DemoCityTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task DemoCity_LoadedAgain_SameDivisions()
    {
        var before = await CountAsync("SELECT count(*) FROM identity_registry.divisions");

        await PlatformMigrator.MigrateAsync(_db.Owner, TestDatabase.AppRolePasswords, loadDemoCity: true, TimeProvider.System, TextWriter.Null);

        Assert.Equal(before, await CountAsync("SELECT count(*) FROM identity_registry.divisions"));
    }

    [Fact]
    public async Task DemoCity_EveryTenantHasAVillageUnderATownshipUnderItsCounty()
    {
        // The nine demo tenants of seeds 000, 002, 003 (six counties) and 004; each must be able to register residents in at
        // least one village.
        var tenantsWithVillages = await CountAsync("""
            SELECT count(DISTINCT v.tenant_id) FROM identity_registry.divisions v
            JOIN identity_registry.divisions t ON t.tenant_id = v.tenant_id AND t.code = v.parent_code AND t.level = 'township'
            JOIN identity_registry.divisions c ON c.tenant_id = v.tenant_id AND c.code = t.parent_code AND c.level = 'county'
            JOIN identity_registry.divisions city ON city.tenant_id = 'city' AND city.code = c.parent_code AND city.level = 'city'
            WHERE v.level = 'village' AND v.code LIKE t.code || '%' AND t.code LIKE c.code || '%'
            """);

        Assert.Equal(9, tenantsWithVillages);
    }

    [Fact]
    public async Task DemoCity_IdentityVocabulary_MeishanCodesInNineStepsOthersCategoriesAsCodes()
    {
        // Seed 003 三（二）: 28 local codes (17 veterans' codes plus 11 others) in nine import steps, the same in each of
        // Meishan's six demo counties; Gaoyang's eight categories (seed 004 二（三）), Lidu's 22 (seed 000 三（三）) and
        // Linjiang's nine (seed 002 二（二）) are their own codes, with no import order.
        Assert.Equal(6 * 28, await CountAsync("SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id LIKE 'sc-meishan-%'"));
        Assert.Equal(9, await CountAsync(
            "SELECT count(DISTINCT import_step) FROM identity_registry.identity_codes WHERE tenant_id LIKE 'sc-meishan-%'"));
        Assert.Equal(8, await CountAsync(
            "SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id = 'he-gaoyang' AND local_code = category"));
        Assert.Equal(22, await CountAsync(
            "SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id = 'cq-lidu' AND local_code = category AND import_step IS NULL"));
        Assert.Equal(9, await CountAsync(
            "SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id = 'cq-linjiang' AND local_code = category AND import_step IS NULL"));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM identity_registry.identity_codes
            WHERE tenant_id = 'sc-meishan-dongpo' AND local_code = '2304' AND category = 'tekun' AND import_step = 9
            """));
    }

    // One village of each demo tenant, with its county's code for ID numbers.
    private static readonly (string Tenant, string Village)[] Tenants =
    [
        ("cq-lidu", "500102901001"), ("cq-linjiang", "500118901201"), ("sc-meishan-dongpo", "511402901201"),
        ("sc-meishan-pengshan", "511403901201"), ("sc-meishan-renshou", "511421901201"), ("sc-meishan-hongya", "511423901201"),
        ("sc-meishan-danling", "511424901201"), ("sc-meishan-qingshen", "511425901201"), ("he-gaoyang", "130628902201"),
    ];

    private ServiceHost<Program> Host(FakeTimeProvider time) =>
        new(_db, "identity-registry", services: s => s.AddSingleton<TimeProvider>(time));

    private static FakeTimeProvider CampaignDay() => new(new DateTimeOffset(2023, 11, 20, 1, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData("cq-lidu", "500102901001", "dibao", "civil_affairs")]
    [InlineData("cq-lidu", "500102901001", "family-planning-reward", "卫健")]
    [InlineData("cq-lidu", "500102901001", "hardship-university-student", "education")]
    [InlineData("cq-linjiang", "500118901201", "tekun", "民政")]
    [InlineData("cq-linjiang", "500118901201", "entitled-group", "veterans_affairs")]
    public async Task ImportIdentitiesCsv_ChongqingTenantOfTheDemoCity_CategoryCertified(string tenant, string village, string category,
        string department)
    {
        // Issue 16: identity imports were refused for Lidu and Linjiang, which had no vocabulary.
        await using var host = Host(CampaignDay());
        var client = new IdentityRegistryService.IdentityRegistryServiceClient(host.Channel(tenant));
        var nationalId = TestIds.Make(village[..6], new DateOnly(1958, 1, 9), 101);
        var residentId = (await client.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "register-1", NationalId = nationalId, Name = "郑一", VillageCode = village,
        })).Resident.ResidentId;

        var result = (await client.ImportIdentitiesCsvAsync(new ImportIdentitiesCsvRequest
        {
            RequestId = "csv-1", Source = "民政局 2023-11", CsvText = $"national_id,local_code,department,valid_from\n{nationalId},{category},{department},2023-09-01\n",
        })).Result;

        Assert.Equal((1, ImportRowOutcome.Certified), (result.CertifiedCount, Assert.Single(result.Results).Outcome));
        var resident = (await client.GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident;
        Assert.Equal(category, Assert.Single(resident.CertifiedIdentities).Category);
    }

    [Fact]
    public async Task DemoCity_LoadedWithResidents_EveryTenantsLapsedLedgerHas2023People()
    {
        // Issue 16: the 上年度参保本年度未参保人员 ledger (seed 003 六（二）) was empty in every tenant, no 2023 enrolment
        // existing. The demo city's 2023 roster enrols a share of the residents it finds in every tenant.
        await using var host = Host(CampaignDay());
        var registered = new Dictionary<string, List<string>>();
        foreach (var (tenant, village) in Tenants)
        {
            var client = new IdentityRegistryService.IdentityRegistryServiceClient(host.Channel(tenant));
            registered[tenant] = [];
            for (var i = 0; i < 20; i++)
                registered[tenant].Add((await client.RegisterResidentAsync(new RegisterResidentRequest
                {
                    RequestId = $"register-{i}", NationalId = TestIds.Make(village[..6], new DateOnly(1980, 5, 1), 101 + 2 * i), Name = "钱二",
                    VillageCode = village,
                })).Resident.ResidentId);
        }

        await PlatformMigrator.MigrateAsync(_db.Owner, TestDatabase.AppRolePasswords, loadDemoCity: true, TimeProvider.System, TextWriter.Null);
        await PlatformMigrator.MigrateAsync(_db.Owner, TestDatabase.AppRolePasswords, loadDemoCity: true, TimeProvider.System, TextWriter.Null);

        var onLedger = 0;
        foreach (var (tenant, _) in Tenants)
        {
            var client = new IdentityRegistryService.IdentityRegistryServiceClient(host.Channel(tenant));
            var ledger = (await client.ListLedgerAsync(new ListLedgerRequest { Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = 2024 }))
                .Entries.Select(e => e.ResidentId).ToList();
            Assert.NotEmpty(ledger);
            Assert.All(ledger, id => Assert.Contains(id, registered[tenant]));
            onLedger += ledger.Count;
        }
        // A share, not everyone: the rest were not enrolled last year. Loaded twice, each 2023 enrolment is there once.
        Assert.InRange(onLedger, Tenants.Length, Tenants.Length * 20 - 1);
        Assert.Equal(onLedger, await CountAsync(
            "SELECT count(*) FROM identity_registry.enrolments WHERE coverage_year = 2023 AND source = 'prior_roster' AND status = 'enrolled'"));
    }
}
