using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;

namespace Medins.Migrator;

/// <summary>
/// A city release's own data, as the Helm chart hands it to the migration job (<c>Migrator:CityData</c>, a JSON
/// file): its tenants with their division trees and village targets, and the policy each tenant follows — a
/// document given inline, or a shipped one by name. Loading is idempotent, like the demo city's: existing rows and
/// published versions are kept (versions never change; a new year's rules are published as a new version).
/// </summary>
public static class CityData
{
    public sealed record CityFile(string City, int CoverageYear, IReadOnlyList<Tenant> Tenants,
        IReadOnlyDictionary<string, JsonElement>? Policies);

    public sealed record Tenant(string Id, string Name, Division County, Division? City, string? Policy,
        IReadOnlyList<Township> Townships);

    public sealed record Division(string Code, string Name);

    public sealed record Township(string Code, string Name, IReadOnlyList<Village> Villages);

    public sealed record Village(string Code, string Name, int? RegisteredPopulation, int? Task);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static CityFile Parse(string json) =>
        JsonSerializer.Deserialize<CityFile>(json, Json) ?? throw new FormatException("The city data file is empty.");

    public static async Task LoadAsync(NpgsqlDataSource owner, CityFile city, Assembly assembly, TimeProvider time,
        TextWriter log, CancellationToken ct = default)
    {
        await InSchemaAsync(owner, "identity_registry", async (conn, tx) =>
        {
            var rows = 0;
            foreach (var tenant in city.Tenants)
            {
                if (tenant.City is { } root)
                    rows += await DivisionAsync(conn, tx, "city", root.Code, root.Name, "city", null, ct);
                rows += await DivisionAsync(conn, tx, tenant.Id, tenant.County.Code, tenant.County.Name, "county", tenant.City?.Code, ct);
                foreach (var township in tenant.Townships)
                {
                    rows += await DivisionAsync(conn, tx, tenant.Id, township.Code, township.Name, "township", tenant.County.Code, ct);
                    foreach (var village in township.Villages)
                        rows += await DivisionAsync(conn, tx, tenant.Id, village.Code, village.Name, "village", township.Code, ct);
                }
            }
            await log.WriteLineAsync($"identity_registry: {rows} divisions added for {city.Tenants.Count} tenants of {city.City}");
        }, ct);

        await InSchemaAsync(owner, "quota_tracking", async (conn, tx) =>
        {
            var rows = 0;
            foreach (var tenant in city.Tenants)
            foreach (var village in tenant.Townships.SelectMany(t => t.Villages))
            {
                if (village.RegisteredPopulation is not { } population || village.Task is not { } task) continue;
                // A task table: the registered population is the base the rate counts against.
                await using var cmd = new NpgsqlCommand("""
                    INSERT INTO village_targets (tenant_id, coverage_year, village_code, registered_population, base, task, task_source)
                    VALUES ($1, $2, $3, $4, $4, $5, 'task-table') ON CONFLICT DO NOTHING
                    """, conn, tx);
                cmd.Parameters.Add(new() { Value = tenant.Id });
                cmd.Parameters.Add(new() { Value = city.CoverageYear });
                cmd.Parameters.Add(new() { Value = village.Code });
                cmd.Parameters.Add(new() { Value = population });
                cmd.Parameters.Add(new() { Value = task });
                rows += await cmd.ExecuteNonQueryAsync(ct);
            }
            await log.WriteLineAsync($"quota_tracking: {rows} village targets added");

            // Progress rolls up along the same division tree, and the tenants get the shipped quota rules naming them.
            var divisions = 0;
            foreach (var tenant in city.Tenants)
            {
                if (tenant.City is { } root)
                    divisions += await DivisionAsync(conn, tx, "city", root.Code, root.Name, "city", null, ct);
                divisions += await DivisionAsync(conn, tx, tenant.Id, tenant.County.Code, tenant.County.Name, "county", tenant.City?.Code, ct);
                foreach (var township in tenant.Townships)
                {
                    divisions += await DivisionAsync(conn, tx, tenant.Id, township.Code, township.Name, "township", tenant.County.Code, ct);
                    foreach (var village in township.Villages)
                        divisions += await DivisionAsync(conn, tx, tenant.Id, village.Code, village.Name, "village", township.Code, ct);
                }
            }
            var rules = await DemoQuotaRules.LoadAsync(conn, tx, assembly, $"migrator:{city.City}", time,
                city.Tenants.Select(t => t.Id).ToHashSet(StringComparer.Ordinal), ct);
            await log.WriteLineAsync($"quota_tracking: {divisions} divisions and {rules} quota rules added");
        }, ct);

        await InSchemaAsync(owner, "contribution_calculation", async (conn, tx) =>
        {
            var published = 0;
            foreach (var name in city.Tenants.Select(t => t.Policy).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                var text = city.Policies is not null && city.Policies.TryGetValue(name, out var inline)
                    ? inline.GetRawText()
                    : DemoPolicies.Shipped(assembly, name)
                      ?? throw new FormatException($"Policy '{name}' is neither given in the city data nor a shipped policy.");
                published += await DemoPolicies.PublishDocumentAsync(conn, tx, name, text, $"migrator:{city.City}", time, ct);
            }
            await log.WriteLineAsync($"contribution_calculation: {published} policy versions published");
        }, ct);
    }

    private static async Task<int> DivisionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string code,
        string name, string level, string? parent, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO divisions (tenant_id, code, name, level, parent_code) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = code });
        cmd.Parameters.Add(new() { Value = name });
        cmd.Parameters.Add(new() { Value = level });
        cmd.Parameters.Add(new() { Value = (object?)parent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task InSchemaAsync(NpgsqlDataSource owner, string schema,
        Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct)
    {
        await using var conn = await owner.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var path = new NpgsqlCommand($"SET LOCAL search_path TO \"{schema}\"", conn, tx))
            await path.ExecuteNonQueryAsync(ct);
        await work(conn, tx);
        await tx.CommitAsync(ct);
    }
}
