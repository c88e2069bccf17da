using Npgsql;

namespace Medins.Fuzz.Tests;

/// <summary>
/// Row count and newest row version of every table in every service schema, read as the owner (row-level security
/// bypassed), so two snapshots differ exactly when something stored changed.
/// </summary>
public sealed record StoreSnapshot(IReadOnlyDictionary<string, (long Rows, string Checksum)> Tables)
{
    public static readonly string[] Schemas =
        ["identity_registry", "contribution_calculation", "payment_collection", "quota_tracking", "notification"];

    public static async Task<StoreSnapshot> TakeAsync(NpgsqlDataSource owner, IReadOnlySet<string> excluded)
    {
        var tables = new List<string>();
        await using (var list = owner.CreateCommand(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = ANY($1) ORDER BY 1"))
        {
            list.Parameters.Add(new NpgsqlParameter { Value = Schemas });
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        var result = new Dictionary<string, (long, string)>();
        foreach (var table in tables.Where(t => !excluded.Contains(t)))
        {
            // Every insert or update writes a row version with a newer transaction id (xmin) and every delete lowers
            // the count, so count and newest xmin change exactly when the table does, at the cost of one scan.
            await using var cmd = owner.CreateCommand(
                $"SELECT count(*), coalesce(max(xmin::text::bigint), 0)::text FROM {table}");
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            result[table] = (reader.GetInt64(0), reader.GetString(1));
        }
        return new StoreSnapshot(result);
    }

    /// <summary>The tables whose count or checksum differs, with both counts.</summary>
    public IReadOnlyList<string> Differences(StoreSnapshot after) =>
        Tables.Keys.Union(after.Tables.Keys).Order()
            .Where(t => !Tables.TryGetValue(t, out var b) || !after.Tables.TryGetValue(t, out var a) || b != a)
            .Select(t => $"{t}: {(Tables.TryGetValue(t, out var b) ? b.Rows : 0)} → {(after.Tables.TryGetValue(t, out var a) ? a.Rows : 0)} rows")
            .ToList();
}
