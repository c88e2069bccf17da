using Npgsql;

namespace Medins.EndToEnd.Tests;

/// <summary>One table's sequential-scan counters (pg_stat_user_tables) at one moment.</summary>
public sealed record TableScanCounters(string Table, long SeqScans, long SeqRowsRead, long IndexRowsFetched, long LiveRows);

/// <summary>What a stretch of work read from one table: by sequential scans, and through indexes.</summary>
public sealed record TableReads(string Table, long Scans, long RowsRead, long IndexRowsFetched, long LiveRows)
{
    public override string ToString() =>
        $"{Table}: {Scans} sequential scans read {RowsRead} rows, indexes fetched {IndexRowsFetched} rows ({LiveRows} rows in the table)";
}

/// <summary>Snapshots of every service table's scan counters, and what a stretch of work read without an index.</summary>
public static class TableScans
{
    private static readonly string[] Schemas =
        ["identity_registry", "contribution_calculation", "payment_collection", "quota_tracking", "notification"];

    public static async Task<IReadOnlyDictionary<string, TableScanCounters>> SnapshotAsync(NpgsqlDataSource owner)
    {
        // Backends publish their counters when they go idle, at most once a second: wait for the last ones.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await using var cmd = owner.CreateCommand("""
            SELECT schemaname || '.' || relname, seq_scan, seq_tup_read, coalesce(idx_tup_fetch, 0), n_live_tup
            FROM pg_stat_user_tables WHERE schemaname = ANY($1)
            """);
        cmd.Parameters.AddWithValue(Schemas);
        var counters = new Dictionary<string, TableScanCounters>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counters[reader.GetString(0)] = new TableScanCounters(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        return counters;
    }

    /// <summary>What each table of more than <paramref name="minRows"/> rows gave up in between, tables read most first.</summary>
    public static IReadOnlyList<TableReads> Between(IReadOnlyDictionary<string, TableScanCounters> before,
        IReadOnlyDictionary<string, TableScanCounters> after, long minRows) =>
        after.Values
            .Select(a => before.TryGetValue(a.Table, out var b)
                ? new TableReads(a.Table, a.SeqScans - b.SeqScans, a.SeqRowsRead - b.SeqRowsRead, a.IndexRowsFetched - b.IndexRowsFetched, a.LiveRows)
                : new TableReads(a.Table, a.SeqScans, a.SeqRowsRead, a.IndexRowsFetched, a.LiveRows))
            .Where(r => r.LiveRows > minRows && (r.Scans > 0 || r.IndexRowsFetched > 0))
            .OrderByDescending(r => r.RowsRead + r.IndexRowsFetched)
            .ToList();
}
