using Medins.Migrator;
using Medins.Platform.Testing;

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
        // RULES.md §9: the nine demo tenants; each must be able to register residents in at least one village.
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
    public async Task DemoCity_IdentityVocabulary_MeishanCodesInNineStepsGaoyangCategoriesAsCodes()
    {
        // Seed 003 §三(二): 28 local codes (17 veterans' codes plus 11 others) in nine import steps, the same
        // in each of Meishan's six demo counties; Gaoyang's eight categories (seed 004 §二(三)) are their own codes;
        // the Chongqing tenants have none.
        Assert.Equal(6 * 28, await CountAsync("SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id LIKE 'sc-meishan-%'"));
        Assert.Equal(9, await CountAsync(
            "SELECT count(DISTINCT import_step) FROM identity_registry.identity_codes WHERE tenant_id LIKE 'sc-meishan-%'"));
        Assert.Equal(8, await CountAsync(
            "SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id = 'he-gaoyang' AND local_code = category"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM identity_registry.identity_codes WHERE tenant_id LIKE 'cq-%'"));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM identity_registry.identity_codes
            WHERE tenant_id = 'sc-meishan-dongpo' AND local_code = '2304' AND category = 'tekun' AND import_step = 9
            """));
    }
}
