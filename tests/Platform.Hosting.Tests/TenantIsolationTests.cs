using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

/// <summary>Row-level security as the services meet it: their own login roles, which do not own the tables.</summary>
public sealed class TenantIsolationTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _calc = null!;
    private PlatformDatabase _platform = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _calc = _db.DataSourceFor("contribution-calculation");
        _platform = new PlatformDatabase(_calc, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _calc.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Query_WithoutTenantFilter_SeesOnlyItsTenant()
    {
        var total = await Scalar<long>(_db.Owner, "SELECT count(*) FROM contribution_calculation.policies");

        // The query deliberately has no WHERE tenant_id = ...: row-level security supplies it.
        var tenants = await _platform.InTenantAsync("cq-lidu", async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT DISTINCT tenant_id FROM policies", conn, tx);
            await using var reader = await cmd.ExecuteReaderAsync();
            var seen = new List<string>();
            while (await reader.ReadAsync()) seen.Add(reader.GetString(0));
            return seen;
        }, CancellationToken.None);

        Assert.True(total > 1, "the demo city holds several tenants' policies");
        Assert.Equal(["cq-lidu"], tenants);
    }

    [Fact]
    public async Task Query_OutsideAnyTenantTransaction_SeesNothing()
    {
        await using var conn = await _calc.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM policies", conn);

        Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Insert_ForAnotherTenant_IsRefusedByRowLevelSecurity()
    {
        var ex = await Assert.ThrowsAsync<PostgresException>(() => _platform.InTenantAsync("cq-lidu", async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO policies (tenant_id, coverage_year, version, policy_id, document, published_at)
                VALUES ('he-gaoyang', 2099, 1, 'forged', '{}', now())
                """, conn, tx);
            return await cmd.ExecuteNonQueryAsync();
        }, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState);
        Assert.Equal(0L, await Scalar<long>(_db.Owner, "SELECT count(*) FROM contribution_calculation.policies WHERE coverage_year = 2099"));
    }

    [Fact]
    public async Task CityScope_ReadsEveryTenant_AndIsAudited()
    {
        var tenants = await _platform.InCityScopeAsync("bureau-analyst", "ListPolicies", "annual report", async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT count(DISTINCT tenant_id) FROM policies", conn, tx);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }, CancellationToken.None);

        Assert.Equal(await Scalar<long>(_db.Owner, "SELECT count(DISTINCT tenant_id) FROM contribution_calculation.policies"), tenants);
        Assert.Equal(1L, await Scalar<long>(_db.Owner,
            "SELECT count(*) FROM contribution_calculation.city_scope_audit WHERE actor = 'bureau-analyst' AND reason = 'annual report'"));
    }

    [Fact]
    public async Task CityScope_Update_ChangesNoRow()
    {
        var updated = await _platform.InCityScopeAsync("bureau-analyst", "Tamper", "test", async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("UPDATE policies SET policy_id = 'tampered'", conn, tx);
            return await cmd.ExecuteNonQueryAsync();
        }, CancellationToken.None);

        Assert.Equal(0, updated);
        Assert.Equal(0L, await Scalar<long>(_db.Owner, "SELECT count(*) FROM contribution_calculation.policies WHERE policy_id = 'tampered'"));
    }

    [Fact]
    public async Task EveryServiceTable_CarriesTenantAndRowLevelSecurity()
    {
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT c.relnamespace::regnamespace::text || '.' || c.relname,
                   c.relrowsecurity,
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
            FROM pg_class c
            WHERE c.relkind = 'r'
              AND c.relnamespace::regnamespace::text IN ('identity_registry','contribution_calculation','payment_collection','quota_tracking','notification')
              AND c.relname <> 'schema_migrations'
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
            Assert.True(reader.GetBoolean(1), $"{reader.GetString(0)} has row-level security off");
            Assert.True(reader.GetBoolean(2), $"{reader.GetString(0)} has no tenant_id");
        }
        Assert.Contains("contribution_calculation.policies", tables);
        Assert.Contains("contribution_calculation.outbox", tables);
    }

    [Fact]
    public async Task ServiceRoles_OwnNothing_AndCannotBypassRowLevelSecurity()
    {
        var owningRoles = await Scalar<long>(_db.Owner, """
            SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
            WHERE r.rolname LIKE 'medins\_%' AND c.relkind = 'r'
            """);
        var privileged = await Scalar<long>(_db.Owner,
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'medins\\_%' AND (rolbypassrls OR rolsuper)");

        Assert.Equal(0L, owningRoles);
        Assert.Equal(0L, privileged);
    }

    private static async Task<T> Scalar<T>(NpgsqlDataSource source, string sql)
    {
        await using var cmd = source.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
