using Medins.Migrator;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Medins.Security.Tests;

/// <summary>
/// What the database itself allows each service's login role: city scope writes nothing (not even rows of tenant
/// ''), and each role logs in with its own password only.
/// </summary>
public sealed class DatabaseLeastPrivilegeTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private TestDatabase _db = null!;
    private NpgsqlDataSource _payment = null!;
    private PlatformDatabase _platform = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync(demoCity: false);
        _payment = _db.DataSourceFor("payment-collection");
        _platform = new PlatformDatabase(_payment, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _payment.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task InsertRequestLogAsOwnerAsync(string tenantId, string requestId)
    {
        await using var cmd = _db.Owner.CreateCommand("""
            INSERT INTO payment_collection.request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
            VALUES ($1, 'CreatePaymentOrder', $2, '\x01', '\x02', now())
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = requestId });
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<(string Tenant, string RequestId, string Response)>> RequestLogAsync()
    {
        await using var cmd = _db.Owner.CreateCommand(
            "SELECT tenant_id, request_id, response FROM payment_collection.request_log ORDER BY tenant_id, request_id");
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), Convert.ToHexString(reader.GetFieldValue<byte[]>(2))));
        return rows;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task CityScope_InsertRowOfEmptyTenant_RefusedByRowLevelSecurity()
    {
        var ex = await Assert.ThrowsAsync<PostgresException>(() => _platform.InCityScopeAsync("bureau-analyst", "Tamper", "test",
            (conn, tx) => ExecuteAsync(conn, tx, """
                INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
                VALUES ('', 'CreatePaymentOrder', 'forged', '\x01', '\x02', now())
                """), CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState);
        Assert.Empty(await RequestLogAsync());
    }

    [Fact]
    public async Task CityScope_UpdateOrDeleteRowsOfEmptyTenantAndOfATenant_ChangesNothing()
    {
        await InsertRequestLogAsOwnerAsync("", "platform-row");
        await InsertRequestLogAsOwnerAsync(Lidu, "tenant-row");
        var before = await RequestLogAsync();

        var (updated, deleted) = await _platform.InCityScopeAsync("bureau-analyst", "Tamper", "test", async (conn, tx) =>
            (await ExecuteAsync(conn, tx, "UPDATE request_log SET response = '\\xff'"),
             await ExecuteAsync(conn, tx, "DELETE FROM request_log")), CancellationToken.None);

        Assert.Equal((0, 0), (updated, deleted));
        Assert.Equal(before, await RequestLogAsync());
    }

    [Fact]
    public async Task CityScope_Read_StillAudited()
    {
        await InsertRequestLogAsOwnerAsync(Lidu, "tenant-row");

        var seen = await _platform.InCityScopeAsync("bureau-analyst", "ListRequests", "annual report", async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM request_log", conn, tx);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }, CancellationToken.None);

        Assert.Equal(1L, seen);
        await using var audit = _db.Owner.CreateCommand(
            "SELECT count(*) FROM payment_collection.city_scope_audit WHERE actor = 'bureau-analyst' AND reason = 'annual report'");
        Assert.Equal(1L, (long)(await audit.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task SessionWithoutScope_WriteRowOfEmptyTenant_Refused()
    {
        // A connection that never set medins.tenant_id reads it as '' once the setting exists in the session.
        await InsertRequestLogAsOwnerAsync("", "platform-row");
        await using var conn = await _payment.OpenConnectionAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await ExecuteAsync(conn, tx, "SELECT set_config('medins.tenant_id', '', true)");
            await tx.CommitAsync();
        }

        var updated = await ExecuteAsync(conn, null, "UPDATE request_log SET response = '\\xff' WHERE tenant_id = ''");
        var insert = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(conn, null, """
            INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
            VALUES ('', 'CreatePaymentOrder', 'forged', '\x01', '\x02', now())
            """));

        Assert.Equal(0, updated);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
        Assert.Equal([("", "platform-row", "02")], await RequestLogAsync());
    }

    [Fact]
    public async Task TenantScopeNamingEmptyTenant_InsertRowOfEmptyTenant_Refused()
    {
        await using var conn = await _payment.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await ExecuteAsync(conn, tx, "SELECT set_config('medins.tenant_id', '', true), set_config('medins.scope', 'tenant', true)");

        var ex = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(conn, tx, """
            INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
            VALUES ('', 'CreatePaymentOrder', 'forged', '\x01', '\x02', now())
            """));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState);
    }

    [Fact]
    public async Task TenantAndSystemScope_WriteTheirRows_Allowed()
    {
        await _platform.InTenantAsync(Lidu, (conn, tx) => ExecuteAsync(conn, tx, """
            INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
            VALUES ('cq-lidu', 'CreatePaymentOrder', 'by-tenant', '\x01', '\x02', now())
            """), CancellationToken.None);
        await _platform.InSystemScopeAsync((conn, tx) => ExecuteAsync(conn, tx, """
            INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
            VALUES ('', 'CreatePaymentOrder', 'by-system', '\x01', '\x02', now())
            """), CancellationToken.None);

        Assert.Equal([("", "by-system", "02"), (Lidu, "by-tenant", "02")], await RequestLogAsync());
    }

    [Fact]
    public async Task EveryServiceTable_WritePolicyNeedsTenantOrSystemScope()
    {
        // Every table with row-level security but city_scope_audit has exactly the 9002 write policy.
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT c.relnamespace::regnamespace::text || '.' || c.relname,
                   (SELECT count(*) FROM pg_policies p
                    WHERE p.schemaname = c.relnamespace::regnamespace::text AND p.tablename = c.relname
                      AND p.policyname = 'tenant_write' AND p.cmd = 'ALL'
                      AND p.qual LIKE '%''tenant''::text%' AND p.with_check LIKE '%''tenant''::text%')
            FROM pg_class c
            WHERE c.relkind = 'r' AND c.relrowsecurity AND c.relname <> 'city_scope_audit'
              AND c.relnamespace::regnamespace::text IN ('identity_registry','contribution_calculation','payment_collection','quota_tracking','notification')
            ORDER BY 1
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var tables = new List<(string Table, long Policies)>();
        while (await reader.ReadAsync()) tables.Add((reader.GetString(0), reader.GetInt64(1)));

        Assert.Contains(tables, t => t.Table == "identity_registry.residents");
        Assert.Contains(tables, t => t.Table == "notification.wechat_push_nonces");
        Assert.All(tables, t => Assert.True(t.Policies == 1, $"{t.Table} lacks the tenant-or-system write policy"));
    }

    [Fact]
    public async Task ServiceLogin_OwnPassword_Connects()
    {
        foreach (var service in PlatformMigrator.Services)
        {
            await using var source = _db.DataSourceFor(service.AppId);
            await using var cmd = source.CreateCommand("SELECT current_user");
            Assert.Equal(service.Role, await cmd.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task ServiceLogin_AnotherServicesPassword_Refused()
    {
        var passwords = TestDatabase.AppRolePasswords;
        Assert.Equal(PlatformMigrator.Services.Count, passwords.Values.Distinct().Count());

        foreach (var (service, other) in PlatformMigrator.Services.Zip(PlatformMigrator.Services.Skip(1).Append(PlatformMigrator.Services[0])))
        {
            var connection = new NpgsqlConnectionStringBuilder(_db.ConnectionStringFor(service.AppId))
            {
                Password = passwords[other.AppId],
                Pooling = false,
            }.ConnectionString;
            await using var conn = new NpgsqlConnection(connection);

            var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());

            Assert.Equal(PostgresErrorCodes.InvalidPassword, ex.SqlState);
        }
    }

    [Fact]
    public void MigratorPasswords_OnePerService_EachItsOwn()
    {
        var config = Config(PlatformMigrator.Services.ToDictionary(s => PlatformMigrator.AppRolePasswordKey(s.AppId), s => "pw-" + s.AppId));

        var passwords = PlatformMigrator.ReadAppRolePasswords(config, out var shared, out var missing);

        Assert.Equal(PlatformMigrator.Services.ToDictionary(s => s.AppId, s => "pw-" + s.AppId), passwords);
        Assert.Empty(shared);
        Assert.Empty(missing);
    }

    [Fact]
    public void MigratorPasswords_SharedFallback_UsedOnlyWhereOneIsMissingAndReported()
    {
        var config = Config(new Dictionary<string, string>
        {
            ["Migrator:AppRolePassword"] = "shared-dev",
            [PlatformMigrator.AppRolePasswordKey("payment-collection")] = "pw-payment",
        });

        var passwords = PlatformMigrator.ReadAppRolePasswords(config, out var shared, out var missing);

        Assert.Equal("pw-payment", passwords["payment-collection"]);
        Assert.Equal("shared-dev", passwords["notification"]);
        Assert.Equal(["identity-registry", "contribution-calculation", "quota-tracking", "notification"], shared);
        Assert.Empty(missing);
    }

    [Fact]
    public void MigratorPasswords_NoneForAService_ReportedMissing()
    {
        var config = Config(new Dictionary<string, string>
        {
            [PlatformMigrator.AppRolePasswordKey("identity-registry")] = "pw-identity",
            [PlatformMigrator.AppRolePasswordKey("notification")] = " ",
        });

        PlatformMigrator.ReadAppRolePasswords(config, out _, out var missing);

        Assert.Equal(["contribution-calculation", "payment-collection", "quota-tracking", "notification"], missing);
    }

    [Fact]
    public async Task Migrate_AServiceWithoutPassword_RefusedBeforeAnyChange()
    {
        var partial = TestDatabase.AppRolePasswords.Where(p => p.Key != "notification").ToDictionary();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            PlatformMigrator.MigrateAsync(_db.Owner, partial, loadDemoCity: false, TimeProvider.System, TextWriter.Null));
    }

    private static IConfiguration Config(Dictionary<string, string> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values!).Build();
}
