using Medins.Platform.Hosting.Data;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Medins.Migrator;

/// <summary>A service's schema and the login role it connects as (which does not own the tables).</summary>
public sealed record ServiceSchema(string AppId, string Schema)
{
    public string Role => "medins_" + Schema;
}

/// <summary>Brings every service schema to its latest migration, and optionally loads the demo city.</summary>
public static class PlatformMigrator
{
    public static readonly IReadOnlyList<ServiceSchema> Services =
    [
        new("identity-registry", "identity_registry"),
        new("contribution-calculation", "contribution_calculation"),
        new("payment-collection", "payment_collection"),
        new("quota-tracking", "quota_tracking"),
        new("notification", "notification"),
    ];

    /// <summary>The configuration key of one service login role's password.</summary>
    public static string AppRolePasswordKey(string appId) => $"Migrator:AppRolePasswords:{appId}";

    /// <summary>
    /// Each service login role's own password (<c>Migrator:AppRolePasswords:&lt;appId&gt;</c>), so one leaked
    /// connection string opens one schema. <c>Migrator:AppRolePassword</c>, one password for every role, is kept only
    /// as a development fallback for a service that has none of its own; <paramref name="shared"/> names those.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadAppRolePasswords(IConfiguration config,
        out IReadOnlyList<string> shared, out IReadOnlyList<string> missing)
    {
        var passwords = new Dictionary<string, string>();
        var sharedIds = new List<string>();
        var missingIds = new List<string>();
        var fallback = config["Migrator:AppRolePassword"];
        foreach (var service in Services)
        {
            if (config[AppRolePasswordKey(service.AppId)] is { } own && !string.IsNullOrWhiteSpace(own))
                passwords[service.AppId] = own;
            else if (!string.IsNullOrWhiteSpace(fallback))
            {
                passwords[service.AppId] = fallback;
                sharedIds.Add(service.AppId);
            }
            else missingIds.Add(service.AppId);
        }
        shared = sharedIds;
        missing = missingIds;
        return passwords;
    }

    /// <param name="appRolePasswords">Each service's login role password, by app id (every service needs one).</param>
    public static async Task<int> MigrateAsync(NpgsqlDataSource owner, IReadOnlyDictionary<string, string> appRolePasswords,
        bool loadDemoCity, TimeProvider time, TextWriter log, CancellationToken ct = default)
    {
        var assembly = typeof(PlatformMigrator).Assembly;
        var total = 0;
        foreach (var service in Services)
        {
            if (!appRolePasswords.TryGetValue(service.AppId, out var password) || string.IsNullOrWhiteSpace(password))
                throw new ArgumentException($"No login role password for {service.AppId}.", nameof(appRolePasswords));
            var migrations = Migration.ForService(assembly, service.Schema + "/");
            var applied = await MigrationRunner.ApplyAsync(owner, service.Schema, service.Role, password, migrations, time, ct);
            await log.WriteLineAsync($"{service.Schema}: {applied} applied, at version {migrations[^1].Version:D4}");
            total += applied;
        }

        if (loadDemoCity)
        {
            // Demo data is one idempotent SQL file per schema (demo-city/<schema>.sql), run as the owner.
            foreach (var service in Services)
            {
                var sql = ReadResource(assembly, $"demo-city/{service.Schema}.sql");
                if (sql is null) continue;
                await using var conn = await owner.OpenConnectionAsync(ct);
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var path = new NpgsqlCommand($"SET LOCAL search_path TO \"{service.Schema}\"", conn, tx))
                    await path.ExecuteNonQueryAsync(ct);
                await using (var load = new NpgsqlCommand(sql, conn, tx))
                    await load.ExecuteNonQueryAsync(ct);
                await tx.CommitAsync(ct);
                await log.WriteLineAsync($"{service.Schema}: demo city loaded");
            }
            await PublishDemoPoliciesAsync(owner, assembly, time, log, ct);
            await LoadDemoQuotaRulesAsync(owner, assembly, time, log, ct);
        }
        return total;
    }

    /// <summary>The shipped policy documents, published as contribution-calculation publishes a version.</summary>
    private static async Task PublishDemoPoliciesAsync(NpgsqlDataSource owner, System.Reflection.Assembly assembly,
        TimeProvider time, TextWriter log, CancellationToken ct)
    {
        const string schema = "contribution_calculation";
        await using var conn = await owner.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var path = new NpgsqlCommand($"SET LOCAL search_path TO \"{schema}\"", conn, tx))
            await path.ExecuteNonQueryAsync(ct);
        var published = await DemoPolicies.PublishAsync(conn, tx, assembly, time, ct);
        await tx.CommitAsync(ct);
        await log.WriteLineAsync($"{schema}: {published} demo policy versions published");
    }

    /// <summary>The shipped quota rules, for every tenant they name.</summary>
    private static async Task LoadDemoQuotaRulesAsync(NpgsqlDataSource owner, System.Reflection.Assembly assembly,
        TimeProvider time, TextWriter log, CancellationToken ct)
    {
        const string schema = "quota_tracking";
        await using var conn = await owner.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var path = new NpgsqlCommand($"SET LOCAL search_path TO \"{schema}\"", conn, tx))
            await path.ExecuteNonQueryAsync(ct);
        var loaded = await DemoQuotaRules.LoadAsync(conn, tx, assembly, DemoPolicies.PublishedBy, time, tenants: null, ct);
        await tx.CommitAsync(ct);
        await log.WriteLineAsync($"{schema}: {loaded} demo quota rules loaded");
    }

    private static string? ReadResource(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name);
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
