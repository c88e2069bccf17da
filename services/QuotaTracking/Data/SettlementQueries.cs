using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>What a fund owes for one identity category: people with a net subsidy from it, and the amount.</summary>
public sealed record SettlementRow(string FundingSource, string Category, string Description, long People, long AmountFen);

/// <summary>A fund's statement: its people (each once, whatever her categories) and its categories.</summary>
public sealed record FundStatement(string FundingSource, long People, IReadOnlyList<SettlementRow> Categories)
{
    public long AmountFen => Categories.Sum(c => c.AmountFen);
}

public static class SettlementQueries
{
    /// <summary>The tenant's settlement counters summed over its villages (a handful of rows per village).</summary>
    public static async Task<List<FundStatement>> ByFundAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, CancellationToken ct)
    {
        var categories = new List<SettlementRow>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT funding_source, category, max(description), sum(people_count)::bigint, sum(amount_fen)::bigint
            FROM settlement_counters WHERE tenant_id = $1 AND coverage_year = $2
            GROUP BY funding_source, category
            ORDER BY funding_source, category
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = coverageYear });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                categories.Add(new SettlementRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        var people = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("""
            SELECT funding_source, sum(people_count)::bigint FROM settlement_fund_counters
            WHERE tenant_id = $1 AND coverage_year = $2 GROUP BY funding_source
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = coverageYear });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) people[reader.GetString(0)] = reader.GetInt64(1);
        }
        return categories.GroupBy(c => c.FundingSource)
            .Select(g => new FundStatement(g.Key, people.GetValueOrDefault(g.Key), g.ToList()))
            .ToList();
    }
}
