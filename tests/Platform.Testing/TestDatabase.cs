using Medins.Migrator;
using Medins.Platform.Hosting.Data;
using Npgsql;

namespace Medins.Platform.Testing;

/// <summary>
/// A fresh, fully migrated database for one test class, copied from a template migrated once per cluster.
/// Services connect as their own non-owner roles, so row-level security applies exactly as in production.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>Each service's login role has its own password, as in a real release.</summary>
    public static IReadOnlyDictionary<string, string> AppRolePasswords { get; } =
        PlatformMigrator.Services.ToDictionary(s => s.AppId, s => "medins-test-" + s.AppId);

    private const string TemplateName = "medins_template";
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static bool _templateReady;

    private readonly PostgresCluster _cluster;

    public string Name { get; }

    /// <summary>Bypasses row-level security (the schemas' owner): for arranging data and checking outcomes.</summary>
    public NpgsqlDataSource Owner { get; }

    private TestDatabase(PostgresCluster cluster, string name)
    {
        _cluster = cluster;
        Name = name;
        Owner = cluster.OwnerDataSource(name);
    }

    /// <param name="demoCity">Also load the demo city (tenants, divisions, policies).</param>
    public static async Task<TestDatabase> CreateAsync(bool demoCity = true)
    {
        var cluster = await PostgresCluster.GetAsync();
        await EnsureTemplateAsync(cluster);
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = cluster.OwnerDataSource("postgres"))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {name} TEMPLATE {TemplateName}"))
            await create.ExecuteNonQueryAsync();
        var database = new TestDatabase(cluster, name);
        if (!demoCity) await database.ClearDemoDataAsync();
        return database;
    }

    /// <summary>The connection string a service uses: its own login role, in this database.</summary>
    public string ConnectionStringFor(string appId)
    {
        var service = PlatformMigrator.Services.Single(s => s.AppId == appId);
        return new NpgsqlConnectionStringBuilder(_cluster.OwnerConnectionString)
        {
            Database = Name,
            Username = service.Role,
            Password = AppRolePasswords[appId],
        }.ConnectionString;
    }

    public NpgsqlDataSource DataSourceFor(string appId) => NpgsqlDataSource.Create(ConnectionStringFor(appId));

    private static async Task EnsureTemplateAsync(PostgresCluster cluster)
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (_templateReady) return;
            await using (var admin = cluster.OwnerDataSource("postgres"))
            {
                await using var exists = admin.CreateCommand($"SELECT 1 FROM pg_database WHERE datname = '{TemplateName}'");
                if (await exists.ExecuteScalarAsync() is null)
                {
                    // The template holds the demo city; a test that wants none deletes it from its own copy.
                    await using var create = admin.CreateCommand($"CREATE DATABASE {TemplateName}");
                    await create.ExecuteNonQueryAsync();
                    await using var owner = cluster.OwnerDataSource(TemplateName);
                    await PlatformMigrator.MigrateAsync(owner, AppRolePasswords, loadDemoCity: true, TimeProvider.System, TextWriter.Null);
                }
                // Login roles belong to the cluster, and a template migrated by the test command may have given them
                // other (or shared) passwords: set each role's own.
                foreach (var service in PlatformMigrator.Services)
                    await MigrationRunner.SetRolePasswordAsync(admin, service.Role, AppRolePasswords[service.AppId]);
            }
            _templateReady = true;
        }
        finally
        {
            TemplateLock.Release();
        }
    }

    private async Task ClearDemoDataAsync()
    {
        // Every tenant table is emptied; schema_migrations stays.
        await using var cmd = Owner.CreateCommand("""
            DO $$ DECLARE t record; BEGIN
              FOR t IN SELECT schemaname, tablename FROM pg_tables
                       WHERE schemaname LIKE ANY (ARRAY['identity_registry','contribution_calculation','payment_collection','quota_tracking','notification'])
                         AND tablename <> 'schema_migrations'
              LOOP EXECUTE format('TRUNCATE %I.%I CASCADE', t.schemaname, t.tablename); END LOOP;
            END $$
            """);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Owner.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = _cluster.OwnerDataSource("postgres");
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }
}
