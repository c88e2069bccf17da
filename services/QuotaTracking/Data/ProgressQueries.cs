using Medins.QuotaTracking.Domain;
using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>Counts kept for a village (or summed over a division).</summary>
public sealed record Counts(long Enrolled, long Paid, long ZeroContribution, long Refunded, long CollectedFen,
    long DifferentialRefunds = 0, long SubsidyFen = 0);

/// <summary>A village's live counters, its target (when it has one) and where it sits in the division tree.</summary>
public sealed record VillageRow(string TenantId, string VillageCode, string Name, string TownshipCode, Counts Counts,
    bool HasTarget, long Base, long Task, long Reduced)
{
    /// <summary>The base after reductions: what the enrolment rate is counted against.</summary>
    public long EffectiveBase => Math.Max(Base - Reduced, 0);

    /// <summary>The task after reductions.</summary>
    public long EffectiveTask => Math.Max(Task - Reduced, 0);

    public Rate? EnrolmentRate => HasTarget ? Rate.Of(Counts.Enrolled, EffectiveBase) : null;

    public Rate? TaskCompletion => HasTarget ? Rate.Of(Counts.Enrolled, EffectiveTask) : null;
}

/// <summary>A breakdown row: counts for one person group, channel or key group of a village.</summary>
public sealed record BreakdownRow(string Dimension, string Value, Counts Counts);

/// <summary>A key group's target in a village.</summary>
public sealed record KeyGroupTargetRow(string KeyGroup, int Base, int Target);

/// <summary>Reads of the live counters: every query is by key or over one tenant's villages, never over events.</summary>
public static class ProgressQueries
{
    // Villages with a target or a counter for the tenant and year ($1, $2), with their counts, target and township.
    private const string VillagesSql = """
        WITH known AS (
          SELECT tenant_id, coverage_year, village_code FROM village_targets WHERE tenant_id = $1 AND coverage_year = $2
          UNION
          SELECT tenant_id, coverage_year, village_code FROM village_counters WHERE tenant_id = $1 AND coverage_year = $2)
        SELECT k.tenant_id, k.village_code, coalesce(d.name, ''), coalesce(d.parent_code, ''),
               coalesce(c.enrolled_count, 0), coalesce(c.paid_count, 0), coalesce(c.zero_contribution_count, 0),
               coalesce(c.refunded_count, 0), coalesce(c.collected_amount_fen, 0), coalesce(c.differential_refund_count, 0),
               coalesce(c.subsidy_amount_fen, 0),
               t.village_code IS NOT NULL, coalesce(t.base, 0), coalesce(t.task, 0), coalesce(t.reduced_count, 0)
        FROM known k
        LEFT JOIN village_counters c USING (tenant_id, coverage_year, village_code)
        LEFT JOIN village_targets t USING (tenant_id, coverage_year, village_code)
        LEFT JOIN divisions d ON d.tenant_id = k.tenant_id AND d.code = k.village_code
        """;

    public static async Task<VillageRow?> VillageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string villageCode, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(VillagesSql + " WHERE k.village_code = $3", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = villageCode });
        var rows = await ReadAsync(cmd, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>A page of villages in code order after <paramref name="afterCode"/>.</summary>
    public static async Task<List<VillageRow>> VillagesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string afterCode, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(VillagesSql + " WHERE k.village_code > $3 ORDER BY k.village_code LIMIT $4", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = afterCode });
        cmd.Parameters.Add(new() { Value = limit });
        return await ReadAsync(cmd, ct);
    }

    /// <summary>Every village of the tenant for the year (rankings, bulletins and snapshots: a tenant's villages are
    /// bounded by its division table).</summary>
    public static async Task<List<VillageRow>> AllVillagesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(VillagesSql + " ORDER BY k.village_code", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        return await ReadAsync(cmd, ct);
    }

    public static async Task<List<BreakdownRow>> BreakdownAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, string villageCode, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT dimension, value, enrolled_count, paid_count, zero_contribution_count, refunded_count, collected_amount_fen
            FROM village_breakdown_counters
            WHERE tenant_id = $1 AND coverage_year = $2 AND village_code = $3
            ORDER BY dimension, value
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = villageCode });
        var rows = new List<BreakdownRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new BreakdownRow(reader.GetString(0), reader.GetString(1),
                new Counts(reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6))));
        return rows;
    }

    public static async Task<List<KeyGroupTargetRow>> KeyGroupTargetsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, string villageCode, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT key_group, base, target FROM key_group_targets
            WHERE tenant_id = $1 AND coverage_year = $2 AND village_code = $3 ORDER BY key_group
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = villageCode });
        var rows = new List<KeyGroupTargetRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(new KeyGroupTargetRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)));
        return rows;
    }

    /// <summary>The names of the tenant's divisions among <paramref name="codes"/>.</summary>
    public static async Task<Dictionary<string, string>> DivisionNamesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyCollection<string> codes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT code, name FROM divisions WHERE tenant_id = $1 AND code = ANY($2)", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = codes.ToArray() });
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) names[reader.GetString(0)] = reader.GetString(1);
        return names;
    }

    private static async Task<List<VillageRow>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var rows = new List<VillageRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new VillageRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                new Counts(reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                    reader.GetInt64(9), reader.GetInt64(10)),
                reader.GetBoolean(11), reader.GetInt32(12), reader.GetInt32(13), reader.GetInt32(14)));
        return rows;
    }
}
