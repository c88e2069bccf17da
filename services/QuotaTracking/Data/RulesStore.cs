using Medins.Platform.Hosting;
using Medins.QuotaTracking.Domain;
using Npgsql;
using ErrorReason = Medins.Quota.V1.ErrorReason;

namespace Medins.QuotaTracking.Data;

/// <summary>A tenant's quota rules for a year as stored, with the parsed rules.</summary>
public sealed record StoredRules(QuotaRules Rules, string Name, string DocumentText, DateTimeOffset LoadedAt, string LoadedBy);

/// <summary>Reads the quota rules the migrator loaded (one document per tenant and coverage year).</summary>
public static class RulesStore
{
    /// <summary>The rules, or null when the tenant has none for the year. Stored rules that no longer read are an
    /// operator's problem, reported as FAILED_PRECONDITION with every error rather than half-applied.</summary>
    public static async Task<StoredRules?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT document::text, name, document_text, loaded_at, loaded_by FROM quota_rules
            WHERE tenant_id = $1 AND coverage_year = $2
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        QuotaRules rules;
        try
        {
            rules = QuotaRulesReader.Read(reader.GetString(0));
        }
        catch (QuotaRulesException ex)
        {
            throw RpcErrors.FailedPrecondition(ErrorReason.QuotaRulesInvalid,
                $"The quota rules of coverage year {coverageYear} do not read: {string.Join("; ", ex.Errors)}");
        }
        return new StoredRules(rules, reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
    }

    public static async Task<StoredRules> RequireAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        CancellationToken ct) =>
        await FindAsync(conn, tx, tenantId, coverageYear, ct)
        ?? throw RpcErrors.FailedPrecondition(ErrorReason.NoQuotaRules,
            $"This tenant has no quota rules for coverage year {coverageYear}; they are loaded with the city's data.");
}
