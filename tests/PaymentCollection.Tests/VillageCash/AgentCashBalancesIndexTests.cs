using Medins.PaymentCollection.VillageCash;
using Medins.Platform.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Medins.PaymentCollection.Tests.VillageCash;

/// <summary>
/// ListAgentCashBalances reads through the existing indexes on a populated database: agents by
/// cash_agents_by_village, their day's receipts by cash_receipts_by_agent_day or cash_receipts_by_day_village, never a
/// sequential scan; EXPLAINed on
/// payment-collection's own login role (row-level security live), as planned for the values and as a prepared
/// statement is planned once for any values.
/// </summary>
public sealed class AgentCashBalancesIndexTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Tenant = "cq-lidu";
    private TestDatabase _db = null!;

    /// <summary>
    /// 4,000 agents in 400 villages of 8 townships over two tenants, each with 10 receipts over 10 days (40,000
    /// receipts, half remitted); foreign keys off for the bulk load, as the orders behind the receipts do not matter
    /// to the plan.
    /// </summary>
    private const string Population = """
        SET search_path = payment_collection;
        SET session_replication_role = replica;
        INSERT INTO cash_agents (tenant_id, agent_id, name, village_code, registered_at)
        SELECT CASE WHEN i % 2 = 0 THEN 'cq-lidu' ELSE 'cq-linjiang' END, 'agent-' || i, '代收员' || i,
          CASE WHEN i % 2 = 0 THEN '500102' ELSE '500118' END || '90' || (i % 8) || lpad((i / 8 % 50)::text, 3, '0'),
          timestamptz '2023-09-01 00:00+08'
        FROM generate_series(1, 4000) i;
        INSERT INTO cash_receipts (tenant_id, cash_receipt_id, agent_id, village_code, order_id, resident_id, amount_fen,
          collected_at, collection_date, remittance_id)
        SELECT a.tenant_id, gen_random_uuid(), a.agent_id, a.village_code, gen_random_uuid(), a.agent_id || '-r' || d,
          38000, timestamptz '2023-11-10 10:00+08' + d * interval '1 day', date '2023-11-10' + d,
          CASE WHEN d % 2 = 0 THEN gen_random_uuid() END
        FROM cash_agents a CROSS JOIN generate_series(0, 9) d;
        SET session_replication_role = origin;
        ANALYZE cash_agents;
        ANALYZE cash_receipts;
        """;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await using var cmd = _db.Owner.CreateCommand(Population);
        cmd.CommandTimeout = 300;
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Theory]
    [InlineData("", "", "")]
    [InlineData("500102902", "", "")]
    [InlineData("500102902", "500102902010", "agent-1234")]
    public async Task ListAgentCashBalances_PopulatedTables_ReadThroughIndexesNeverASequentialScan(string division,
        string afterVillage, string afterAgent)
    {
        foreach (var mode in new[] { "force_custom_plan", "force_generic_plan" })
        {
            var plan = await ExplainAsync(mode, $"'{Tenant}', '2023-11-15', '{division}', '{afterVillage}', '{afterAgent}', 51");
            output.WriteLine(plan);

            Assert.DoesNotContain("Seq Scan", plan);
            Assert.Matches(@"(Scan using|Bitmap Index Scan on) cash_agents_by_village\b", plan);
            // Per agent (a later page, few agents) or the tenant's whole day at once (the first page, hashed).
            Assert.Matches(@"(Scan using|Bitmap Index Scan on) cash_receipts_by_(agent_day|day_village)\b", plan);
        }
    }

    private async Task<string> ExplainAsync(string planCacheMode, string values)
    {
        await using var source = _db.DataSourceFor("payment-collection");
        await using var conn = await source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var scope = new NpgsqlCommand($"""
            SELECT set_config('medins.tenant_id', '{Tenant}', true), set_config('medins.scope', 'tenant', true),
                   set_config('plan_cache_mode', '{planCacheMode}', true)
            """, conn, tx))
            await scope.ExecuteNonQueryAsync();
        await using (var prepare = new NpgsqlCommand(
            "PREPARE agent_balances(text, date, text, text, text, int) AS " + CashStore.AgentBalancesSql, conn, tx))
            await prepare.ExecuteNonQueryAsync();
        await using var explain = new NpgsqlCommand($"EXPLAIN (COSTS OFF) EXECUTE agent_balances({values})", conn, tx);
        var lines = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        await tx.RollbackAsync();
        return string.Join(Environment.NewLine, lines);
    }
}
