using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Migrator;

/// <summary>
/// Loads the shipped quota rules (embedded as <c>quota-rules/*.jsonc</c>, one document per tenant group and coverage
/// year) for every tenant of their appliesTo, as quota-tracking reads them: the demo city's defaults. Here the migrator
/// reads only the header; quota-tracking's tests check that every shipped document is valid. Idempotent: a tenant that
/// already has rules for the year keeps them (a city's own rules come from its city data, CityData.cs, which upserts).
/// </summary>
public static class DemoQuotaRules
{
    public const string ResourcePrefix = "quota-rules/";

    /// <summary>The text of a shipped document by its file name (<c>he-gaoyang-2024</c>), or null.</summary>
    public static string? Shipped(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream($"{ResourcePrefix}{name}.jsonc");
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Loads every shipped document for its tenants, or only for <paramref name="tenants"/> when given.</summary>
    /// <param name="conn">An owner connection whose transaction has search_path set to quota_tracking.</param>
    public static async Task<int> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Assembly assembly, string loadedBy,
        TimeProvider time, IReadOnlySet<string>? tenants, CancellationToken ct)
    {
        var loaded = 0;
        foreach (var resource in assembly.GetManifestResourceNames()
                     .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            await using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync(ct);
            var root = JsonNode.Parse(text, documentOptions: Options) as JsonObject
                ?? throw new FormatException($"Quota rules {resource} are not a JSON object.");
            var name = root["name"]?.GetValue<string>() ?? throw new FormatException($"Quota rules {resource} have no name.");
            var year = root["coverageYear"]?.GetValue<int>() ?? throw new FormatException($"Quota rules {resource} have no coverageYear.");
            var appliesTo = (root["appliesTo"] as JsonArray ?? throw new FormatException($"Quota rules {resource} have no appliesTo."))
                .Select(t => t?.GetValue<string>() ?? throw new FormatException($"Quota rules {resource} have an empty appliesTo entry."));
            foreach (var tenantId in appliesTo.Distinct(StringComparer.Ordinal).Where(t => tenants is null || tenants.Contains(t)))
            {
                await using var cmd = new NpgsqlCommand("""
                    INSERT INTO quota_rules (tenant_id, coverage_year, name, document, document_text, loaded_by, loaded_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
                    """, conn, tx);
                cmd.Parameters.Add(new() { Value = tenantId });
                cmd.Parameters.Add(new() { Value = year });
                cmd.Parameters.Add(new() { Value = name });
                cmd.Parameters.Add(new() { Value = root.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
                cmd.Parameters.Add(new() { Value = text });
                cmd.Parameters.Add(new() { Value = loadedBy });
                cmd.Parameters.Add(new() { Value = time.GetUtcNow().ToUniversalTime() });
                loaded += await cmd.ExecuteNonQueryAsync(ct);
            }
        }
        return loaded;
    }
}
