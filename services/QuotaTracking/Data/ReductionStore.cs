using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>A recorded task reduction (evidence as stored: deregistration-certificate, employee-insurance, …).</summary>
public sealed record ReductionRow(Guid ReductionId, int CoverageYear, string VillageCode, int PersonCount, string Evidence,
    string EvidenceReference, string Note, string RecordedBy, DateTimeOffset RecordedAt);

public static class ReductionStore
{
    /// <summary>The reduction that already used this evidence, if any.</summary>
    public static async Task<Guid?> EvidenceUsedByAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string evidence, string reference, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT reduction_id FROM task_reductions
            WHERE tenant_id = $1 AND coverage_year = $2 AND evidence = $3 AND evidence_reference = $4
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = evidence });
        cmd.Parameters.Add(new() { Value = reference });
        return await cmd.ExecuteScalarAsync(ct) as Guid?;
    }

    /// <summary>Adds the people to the village's reductions unless that would take more than its base; returns
    /// whether the village has a target (null when it has none).</summary>
    public static async Task<bool?> TryReduceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string villageCode, int personCount, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            -- The update re-checks the bound on the row's latest version when a concurrent reduction holds it.
            WITH target AS (
              SELECT 1 FROM village_targets WHERE tenant_id = $1 AND coverage_year = $2 AND village_code = $3),
            reduced AS (
              UPDATE village_targets SET reduced_count = reduced_count + $4
              WHERE tenant_id = $1 AND coverage_year = $2 AND village_code = $3 AND reduced_count + $4 <= base
              RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM target), EXISTS (SELECT 1 FROM reduced)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = villageCode });
        cmd.Parameters.Add(new() { Value = personCount });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetBoolean(0) ? reader.GetBoolean(1) : null;
    }

    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, ReductionRow row, string requestId,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO task_reductions (tenant_id, reduction_id, coverage_year, village_code, person_count, evidence,
              evidence_reference, note, request_id, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = row.ReductionId });
        cmd.Parameters.Add(new() { Value = row.CoverageYear });
        cmd.Parameters.Add(new() { Value = row.VillageCode });
        cmd.Parameters.Add(new() { Value = row.PersonCount });
        cmd.Parameters.Add(new() { Value = row.Evidence });
        cmd.Parameters.Add(new() { Value = row.EvidenceReference });
        cmd.Parameters.Add(new() { Value = row.Note });
        cmd.Parameters.Add(new() { Value = requestId });
        cmd.Parameters.Add(new() { Value = row.RecordedBy });
        cmd.Parameters.Add(new() { Value = row.RecordedAt });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Reductions of a year in the order they were recorded (ids are time-ordered), after <paramref name="after"/>.</summary>
    public static async Task<List<ReductionRow>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        string villageCode, Guid after, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT reduction_id, coverage_year, village_code, person_count, evidence, evidence_reference, note, recorded_by, recorded_at
            FROM task_reductions
            WHERE tenant_id = $1 AND coverage_year = $2 AND ($3 = '' OR village_code = $3) AND reduction_id > $4
            ORDER BY reduction_id LIMIT $5
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = villageCode });
        cmd.Parameters.Add(new() { Value = after });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<ReductionRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new ReductionRow(reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8)));
        return rows;
    }
}
