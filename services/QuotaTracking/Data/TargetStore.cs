using Medins.Platform.Hosting.Data;
using Medins.QuotaTracking.Domain;
using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>One village's target as stored: the bases it was set from and the resolved base and task.</summary>
public sealed record VillageTargetRow(string VillageCode, VillageBases Bases, ResolvedTarget Target, int ReducedCount);

/// <summary>Village and key-group targets, and what importing them needs to know.</summary>
public static class TargetStore
{
    /// <summary>The codes among <paramref name="codes"/> that are villages or communities of the tenant.</summary>
    public static async Task<HashSet<string>> KnownVillagesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyCollection<string> codes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT code FROM divisions WHERE tenant_id = $1 AND level = 'village' AND code = ANY($2)", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = codes.ToArray() });
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) known.Add(reader.GetString(0));
        return known;
    }

    /// <summary>Each village's enrolled count in a coverage year as kept here (the "last year" of the next year's rules).</summary>
    public static async Task<Dictionary<string, int>> EnrolledCountsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, IReadOnlyCollection<string> codes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT village_code, enrolled_count FROM village_counters
            WHERE tenant_id = $1 AND coverage_year = $2 AND village_code = ANY($3)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = codes.ToArray() });
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = (int)Math.Max(0, reader.GetInt64(1));
        return counts;
    }

    /// <summary>Reductions already recorded per village (they survive a re-import of the targets).</summary>
    public static async Task<Dictionary<string, int>> ReducedCountsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, IReadOnlyCollection<string> codes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT village_code, reduced_count FROM village_targets
            WHERE tenant_id = $1 AND coverage_year = $2 AND village_code = ANY($3)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = codes.ToArray() });
        var reduced = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) reduced[reader.GetString(0)] = reader.GetInt32(1);
        return reduced;
    }

    public static async Task UpsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        VillageTargetRow row, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO village_targets (tenant_id, coverage_year, village_code, registered_population, resident_population,
              last_year_enrolled, base, task, task_source, raised_to_last_year)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET
              registered_population = EXCLUDED.registered_population, resident_population = EXCLUDED.resident_population,
              last_year_enrolled = EXCLUDED.last_year_enrolled, base = EXCLUDED.base, task = EXCLUDED.task,
              task_source = EXCLUDED.task_source, raised_to_last_year = EXCLUDED.raised_to_last_year
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = row.VillageCode });
        cmd.Parameters.Add(Sql.Typed(row.Bases.RegisteredPopulation, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(Sql.Typed(row.Bases.ResidentPopulation, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(Sql.Typed(row.Bases.LastYearEnrolled, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(new() { Value = row.Target.Base });
        cmd.Parameters.Add(new() { Value = row.Target.Task });
        cmd.Parameters.Add(new() { Value = row.Target.FromTaskTable ? "task-table" : "computed" });
        cmd.Parameters.Add(new() { Value = row.Target.RaisedToLastYear });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task UpsertKeyGroupAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string villageCode, string keyGroup, int groupBase, int target, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO key_group_targets (tenant_id, coverage_year, village_code, key_group, base, target)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, coverage_year, village_code, key_group) DO UPDATE SET base = EXCLUDED.base, target = EXCLUDED.target
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = villageCode });
        cmd.Parameters.Add(new() { Value = keyGroup });
        cmd.Parameters.Add(new() { Value = groupBase });
        cmd.Parameters.Add(new() { Value = target });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task RecordImportAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string requestId, string importedBy, DateTimeOffset at, int villageCount, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO target_imports (tenant_id, import_id, coverage_year, request_id, imported_by, imported_at, village_count)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = Guid.CreateVersion7(at) });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = requestId });
        cmd.Parameters.Add(new() { Value = importedBy });
        cmd.Parameters.Add(new() { Value = at });
        cmd.Parameters.Add(new() { Value = villageCount });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
