using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>A weekly snapshot: every village's counters and target as they were read on the snapshot day.</summary>
public sealed record Snapshot(DateOnly Date, DateTimeOffset TakenAt, int ExpectedRateBp, int VillagesBehind,
    IReadOnlyList<VillageRow> Villages, IReadOnlySet<string> Behind);

public static class SnapshotStore
{
    /// <summary>Claims the snapshot of a day; false when another replica (or an earlier run) already took it.</summary>
    public static async Task<bool> TryClaimAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        DateOnly date, DateTimeOffset takenAt, int expectedRateBp, int villagesBehind, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO progress_snapshots (tenant_id, coverage_year, snapshot_date, taken_at, expected_rate_bp, villages_behind)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = date });
        cmd.Parameters.Add(new() { Value = takenAt });
        cmd.Parameters.Add(new() { Value = expectedRateBp });
        cmd.Parameters.Add(new() { Value = villagesBehind });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Writes every village of the snapshot in one statement.</summary>
    public static async Task InsertVillagesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        DateOnly date, IReadOnlyList<VillageRow> villages, IReadOnlySet<string> behind, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO village_snapshots (tenant_id, coverage_year, snapshot_date, village_code, village_name, township_code,
              enrolled_count, paid_count, zero_contribution_count, refunded_count, collected_amount_fen, differential_refund_count,
              subsidy_amount_fen, has_target, base, task, reduced_count, behind_schedule)
            SELECT $1, $2, $3, * FROM unnest($4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[],
              $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::boolean[], $15::int[], $16::int[], $17::int[], $18::boolean[])
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = date });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.VillageCode).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Name).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.TownshipCode).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.Enrolled).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.Paid).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.ZeroContribution).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.Refunded).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.CollectedFen).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.DifferentialRefunds).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.Counts.SubsidyFen).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => v.HasTarget).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => (int)v.Base).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => (int)v.Task).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => (int)v.Reduced).ToArray() });
        cmd.Parameters.Add(new() { Value = villages.Select(v => behind.Contains(v.VillageCode)).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The snapshot of a day, or the latest one when <paramref name="date"/> is null; null when none.</summary>
    public static async Task<Snapshot?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        DateOnly? date, CancellationToken ct)
    {
        DateOnly day;
        DateTimeOffset takenAt;
        int expected, behindCount;
        await using (var header = new NpgsqlCommand("""
            SELECT snapshot_date, taken_at, expected_rate_bp, villages_behind FROM progress_snapshots
            WHERE tenant_id = $1 AND coverage_year = $2 AND ($3::date IS NULL OR snapshot_date = $3)
            ORDER BY snapshot_date DESC LIMIT 1
            """, conn, tx))
        {
            header.Parameters.Add(new() { Value = tenantId });
            header.Parameters.Add(new() { Value = coverageYear });
            header.Parameters.Add(new() { Value = (object?)date ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
            await using var reader = await header.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            (day, takenAt, expected, behindCount) = (reader.GetFieldValue<DateOnly>(0), reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetInt32(2), reader.GetInt32(3));
        }

        await using var cmd = new NpgsqlCommand("""
            SELECT village_code, village_name, township_code, enrolled_count, paid_count, zero_contribution_count, refunded_count,
                   collected_amount_fen, differential_refund_count, subsidy_amount_fen, has_target, base, task, reduced_count,
                   behind_schedule
            FROM village_snapshots WHERE tenant_id = $1 AND coverage_year = $2 AND snapshot_date = $3
            ORDER BY village_code
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = day });
        var villages = new List<VillageRow>();
        var behind = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                villages.Add(new VillageRow(tenantId, reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    new Counts(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7),
                        reader.GetInt64(8), reader.GetInt64(9)),
                    reader.GetBoolean(10), reader.GetInt32(11), reader.GetInt32(12), reader.GetInt32(13)));
                if (reader.GetBoolean(14)) behind.Add(reader.GetString(0));
            }
        }
        return new Snapshot(day, takenAt, expected, behindCount, villages, behind);
    }

    /// <summary>The snapshot before <paramref name="date"/>, for the week's enrolments; null for the first.</summary>
    public static async Task<Snapshot?> PreviousAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear,
        DateOnly date, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT max(snapshot_date) FROM progress_snapshots WHERE tenant_id = $1 AND coverage_year = $2 AND snapshot_date < $3
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = date });
        DateOnly? previous;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            previous = await reader.ReadAsync(ct) && !reader.IsDBNull(0) ? reader.GetFieldValue<DateOnly>(0) : null;
        return previous is { } day ? await FindAsync(conn, tx, tenantId, coverageYear, day, ct) : null;
    }
}
