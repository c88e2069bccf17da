using Npgsql;

namespace Medins.LoadGenerator;

/// <summary>One table's cumulative counters from pg_stat_user_tables.</summary>
public sealed record TableScans(string Table, long SeqScans, long SeqRowsRead, long IndexScans, long LiveRows);

/// <summary>The database's transaction count and every table's scan counters at one moment.</summary>
public sealed record PgSample(long Transactions, IReadOnlyDictionary<string, TableScans> Tables)
{
    public static async Task<PgSample> TakeAsync(string ownerConnection, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ownerConnection);
        await conn.OpenAsync(ct);
        // Backends flush their statistics about once a second when idle: let the last ones land first.
        await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", conn)) await clear.ExecuteNonQueryAsync(ct);
        long transactions;
        await using (var db = new NpgsqlCommand(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()", conn))
            transactions = (long)(await db.ExecuteScalarAsync(ct))!;
        var tables = new Dictionary<string, TableScans>();
        await using var cmd = new NpgsqlCommand("""
            SELECT schemaname || '.' || relname, coalesce(seq_scan, 0), coalesce(seq_tup_read, 0), coalesce(idx_scan, 0), n_live_tup
            FROM pg_stat_user_tables
            """, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            tables[reader.GetString(0)] = new TableScans(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.GetInt64(4));
        return new PgSample(transactions, tables);
    }
}

public static class PgReport
{
    /// <summary>Tables this small may be scanned whole: a sequential scan of them costs about what an index would.</summary>
    public const long SmallTableRows = 1_000;

    /// <summary>Rows read by sequential scans during the window on tables holding more than <see cref="SmallTableRows"/> rows at its end, largest first.</summary>
    public static IReadOnlyList<(string Table, long SeqScans, long RowsRead, long LiveRows)> SeqScanned(PgSample start, PgSample end) =>
        end.Tables.Values
            .Where(t => t.LiveRows > SmallTableRows)
            .Select(t => (t.Table, Scans: t.SeqScans - (start.Tables.GetValueOrDefault(t.Table)?.SeqScans ?? 0),
                Rows: t.SeqRowsRead - (start.Tables.GetValueOrDefault(t.Table)?.SeqRowsRead ?? 0), t.LiveRows))
            .Where(t => t.Scans > 0)
            .OrderByDescending(t => t.Rows)
            .ToList();

    public static string Summary(PgSample start, PgSample end, int payments)
    {
        double Per(double x) => payments == 0 ? 0 : x / payments;
        var scanned = SeqScanned(start, end);
        var lines = new List<string>
        {
            $"PostgreSQL per paid contribution: {Per(end.Transactions - start.Transactions):F1} transactions, " +
            $"{Per(scanned.Sum(t => t.RowsRead)):F1} rows read by sequential scans of tables over {SmallTableRows:N0} rows",
        };
        lines.AddRange(scanned.Take(10).Select(t =>
            $"  seq scans of {t.Table} ({t.LiveRows:N0} rows): {t.SeqScans} scans, {t.RowsRead:N0} rows read = {Per(t.RowsRead):F1}/payment"));
        return string.Join('\n', lines);
    }
}
