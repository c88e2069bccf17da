using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Migrator;

/// <summary>
/// Publishes the shipped policy documents (embedded as <c>policies/*.jsonc</c>) as version 1 for every tenant of
/// their appliesTo, effective from the first day of their earliest collection period, exactly as contribution-
/// calculation's PublishPolicy stores a version. The migrator does not depend on the policy engine: it reads only
/// the fields it needs from the JSON, and the engine's own tests check that the shipped documents compile.
/// Idempotent: a tenant that already has version 1 for the year keeps it (published versions never change).
/// </summary>
public static class DemoPolicies
{
    public const string ResourcePrefix = "policies/";
    public const string PublishedBy = "migrator:demo-city";

    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>What the migrator needs to know of a policy document to publish it.</summary>
    public sealed record Header(int CoverageYear, IReadOnlyList<string> AppliesTo, DateOnly EffectiveFrom, string PlainJson);

    /// <summary>Reads coverageYear, appliesTo and the earliest collectionPeriods[].from; throws FormatException naming what is missing.</summary>
    public static Header ReadHeader(string name, string documentText)
    {
        var root = JsonNode.Parse(documentText, documentOptions: Options) as JsonObject
            ?? throw new FormatException($"Policy {name} is not a JSON object.");
        var year = root["coverageYear"] is JsonValue y && y.TryGetValue<int>(out var value)
            ? value
            : throw new FormatException($"Policy {name} has no coverageYear.");
        var appliesTo = (root["appliesTo"] as JsonArray ?? throw new FormatException($"Policy {name} has no appliesTo."))
            .Select(t => t is JsonValue v && v.TryGetValue<string>(out var id) && id.Length > 0
                ? id
                : throw new FormatException($"Policy {name} has an appliesTo entry that is not a tenant id."))
            .ToList();
        var starts = (root["collectionPeriods"] as JsonArray ?? [])
            .Select(p => p?["from"] is JsonValue f && f.TryGetValue<string>(out var text)
                         && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
                ? from
                : (DateOnly?)null)
            .Where(d => d is not null)
            .Select(d => d!.Value)
            .ToList();
        if (starts.Count == 0) throw new FormatException($"Policy {name} has no collectionPeriods[].from date.");
        return new Header(year, appliesTo, starts.Min(), root.ToJsonString());
    }

    /// <summary>Publishes every embedded document; returns how many tenant versions were newly stored.</summary>
    /// <param name="conn">An owner connection whose transaction has search_path set to contribution_calculation.</param>
    public static async Task<int> PublishAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Assembly assembly,
        TimeProvider time, CancellationToken ct)
    {
        var published = 0;
        foreach (var resource in assembly.GetManifestResourceNames()
                     .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            published += await PublishDocumentAsync(conn, tx, resource[ResourcePrefix.Length..], ReadEmbedded(assembly, resource)!,
                PublishedBy, time, ct);
        return published;
    }

    /// <summary>The text of a shipped document by its name (<c>cq-lidu-2024</c>), or null.</summary>
    public static string? Shipped(Assembly assembly, string name) => ReadEmbedded(assembly, $"{ResourcePrefix}{name}.jsonc");

    /// <summary>Publishes one document as version 1 for every tenant of its appliesTo that has none yet.</summary>
    public static async Task<int> PublishDocumentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string name, string text,
        string publishedBy, TimeProvider time, CancellationToken ct)
    {
        var header = ReadHeader(name, text);
        var published = 0;
        foreach (var tenantId in header.AppliesTo.Distinct(StringComparer.Ordinal))
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO policies (tenant_id, coverage_year, version, policy_id, document, published_at,
                  effective_from, document_text, published_by, applies_to)
                VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT DO NOTHING
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = header.CoverageYear });
            // contribution-calculation names versions <tenant>-<year>-v<version>.
            cmd.Parameters.Add(new() { Value = $"{tenantId}-{header.CoverageYear}-v1" });
            cmd.Parameters.Add(new() { Value = header.PlainJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
            cmd.Parameters.Add(new() { Value = time.GetUtcNow().ToUniversalTime() });
            cmd.Parameters.Add(new() { Value = header.EffectiveFrom });
            cmd.Parameters.Add(new() { Value = text });
            cmd.Parameters.Add(new() { Value = publishedBy });
            cmd.Parameters.Add(new() { Value = header.AppliesTo.ToArray() });
            published += await cmd.ExecuteNonQueryAsync(ct);
        }
        return published;
    }

    private static string? ReadEmbedded(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource);
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
