using Medins.Platform.Hosting.Data;
using Npgsql;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>The SQL of village cash. Everything but the monitor's sweep runs in a tenant transaction.</summary>
public static class CashStore
{
    public static async Task<CashAgent?> FindAgentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string agentId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT agent_id, name, village_code, registered_at FROM cash_agents WHERE tenant_id = $1 AND agent_id = $2
            """, tenantId, agentId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAgent(reader) : null;
    }

    /// <summary>Adds the agent; false when the tenant already has an agent with that id.</summary>
    public static async Task<bool> InsertAgentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CashAgent agent, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO cash_agents (tenant_id, agent_id, name, village_code, registered_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            """, tenantId, agent.AgentId, agent.Name, agent.VillageCode, agent.RegisteredAt);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The tenant's own cut-off, or null when it uses the default.</summary>
    public static async Task<TimeOnly?> FindCutoffAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx,
            "SELECT remittance_cutoff FROM cash_remittance_settings WHERE tenant_id = $1", tenantId);
        return await cmd.ExecuteScalarAsync(ct) is TimeOnly cutoff ? cutoff : null;
    }

    public static async Task SetCutoffAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, TimeOnly cutoff,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO cash_remittance_settings (tenant_id, remittance_cutoff, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id) DO UPDATE SET remittance_cutoff = EXCLUDED.remittance_cutoff, updated_at = EXCLUDED.updated_at
            """, tenantId, cutoff, now);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task InsertReceiptAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CashReceipt receipt, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO cash_receipts (tenant_id, cash_receipt_id, agent_id, village_code, order_id, resident_id, amount_fen,
              collected_at, collection_date)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, tenantId, receipt.CashReceiptId, receipt.AgentId, receipt.VillageCode, receipt.OrderId, receipt.ResidentId,
            receipt.AmountFen, receipt.CollectedAt, receipt.CollectionDate);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The agent's receipts of the day not yet handed in, locked until the transaction ends, so two remittances
    /// can never hand in the same cash.
    /// </summary>
    public static async Task<IReadOnlyList<(Guid ReceiptId, long AmountFen)>> LockUnremittedAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, string agentId, DateOnly collectionDate, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT cash_receipt_id, amount_fen FROM cash_receipts
            WHERE tenant_id = $1 AND agent_id = $2 AND collection_date = $3 AND remittance_id IS NULL
            ORDER BY cash_receipt_id
            FOR UPDATE
            """, tenantId, agentId, collectionDate);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var receipts = new List<(Guid, long)>();
        while (await reader.ReadAsync(ct)) receipts.Add((reader.GetGuid(0), reader.GetInt64(1)));
        return receipts;
    }

    public static async Task<bool> DepositReferenceUsedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string depositReference, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx,
            "SELECT EXISTS (SELECT 1 FROM cash_remittances WHERE tenant_id = $1 AND deposit_reference = $2)",
            tenantId, depositReference);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Stores the remittance and marks the receipts it hands in.</summary>
    public static async Task InsertRemittanceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CashRemittance remittance, IReadOnlyList<Guid> receiptIds, CancellationToken ct)
    {
        await using (var insert = Sql.Command(conn, tx, """
            INSERT INTO cash_remittances (tenant_id, remittance_id, agent_id, village_code, collection_date, deposit_reference,
              amount_fen, receipt_count, remitted_at, cutoff_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, tenantId, remittance.RemittanceId, remittance.AgentId, remittance.VillageCode, remittance.CollectionDate,
            remittance.DepositReference, remittance.AmountFen, remittance.ReceiptCount, remittance.RemittedAt,
            remittance.CutoffAt))
            await insert.ExecuteNonQueryAsync(ct);

        await using var mark = Sql.Command(conn, tx, """
            UPDATE cash_receipts SET remittance_id = $2 WHERE tenant_id = $1 AND cash_receipt_id = ANY($3) AND remittance_id IS NULL
            """, tenantId, remittance.RemittanceId, receiptIds.ToArray());
        if (await mark.ExecuteNonQueryAsync(ct) != receiptIds.Count)
            throw new InvalidOperationException($"Remittance {remittance.RemittanceId} lost receipts it had locked.");
    }

    public static async Task<CashBalance> AgentBalanceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string agentId, DateOnly date, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {BalanceColumns} FROM cash_receipts r
            WHERE r.tenant_id = $1 AND r.agent_id = $2 AND r.collection_date = $3
            """, tenantId, agentId, date);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return ReadBalance(reader, 0);
    }

    /// <summary>
    /// Every village with a registered agent within <paramref name="divisionPrefix"/> (codes nest: a township's
    /// villages start with its code), in code order after <paramref name="afterVillage"/>, with the day's cash.
    /// </summary>
    public static async Task<IReadOnlyList<VillageBalance>> VillageBalancesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, DateOnly date, string divisionPrefix, string afterVillage, int limit, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT a.village_code, count(DISTINCT a.agent_id)::int, {BalanceColumns}
            {AgentsWithDayReceipts}
            WHERE a.tenant_id = $1 AND starts_with(a.village_code, $3) AND a.village_code > $4
            GROUP BY a.village_code
            ORDER BY a.village_code
            LIMIT $5
            """, tenantId, date, divisionPrefix, afterVillage, limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var villages = new List<VillageBalance>();
        while (await reader.ReadAsync(ct))
            villages.Add(new VillageBalance(reader.GetString(0), reader.GetInt32(1), ReadBalance(reader, 2)));
        return villages;
    }

    /// <summary>
    /// Every registered agent within <paramref name="divisionPrefix"/>, in (village, agent) order after the given key,
    /// with the day's cash: the same columns and join as the village list, grouped per agent instead.
    /// </summary>
    public static async Task<IReadOnlyList<AgentBalance>> AgentBalancesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, DateOnly date, string divisionPrefix, string afterVillage, string afterAgent, int limit,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, AgentBalancesSql, tenantId, date, divisionPrefix, afterVillage,
            afterAgent, limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var agents = new List<AgentBalance>();
        while (await reader.ReadAsync(ct))
            agents.Add(new AgentBalance(ReadAgent(reader), ReadBalance(reader, 4)));
        return agents;
    }

    /// <summary>The cash an agent still holds from one day (under the caller's transaction).</summary>
    public static async Task<(long UnremittedFen, int ReceiptCount)> HoldingAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string agentId, DateOnly date, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT coalesce(sum(amount_fen), 0)::bigint, count(*)::int FROM cash_receipts
            WHERE tenant_id = $1 AND agent_id = $2 AND collection_date = $3 AND remittance_id IS NULL
            """, tenantId, agentId, date);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt32(1));
    }

    /// <summary>Records the alert of an agent's day; false when it was raised before.</summary>
    public static async Task<bool> InsertAlertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CashHolding holding, DateTimeOffset cutoffAt, DateTimeOffset raisedAt, CancellationToken ct)
    {
        // A concurrent replica's insert of the same key makes this one wait, then do nothing: one alert, one event.
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO cash_unremitted_alerts (tenant_id, agent_id, collection_date, village_code, unremitted_amount_fen,
              receipt_count, cutoff_at, raised_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT DO NOTHING
            """, tenantId, holding.AgentId, holding.CollectionDate, holding.VillageCode, holding.UnremittedFen,
            holding.ReceiptCount, cutoffAt, raisedAt);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>System scope (the monitor): cash still held, per tenant, agent and day, with each tenant's own
    /// cut-off (null: the default), leaving out days already alerted.</summary>
    public static async Task<IReadOnlyList<(CashHolding Holding, TimeOnly? Cutoff)>> UnalertedHoldingsAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT r.tenant_id, r.agent_id, a.village_code, r.collection_date, sum(r.amount_fen)::bigint, count(*)::int,
                   s.remittance_cutoff
            FROM cash_receipts r
            JOIN cash_agents a ON a.tenant_id = r.tenant_id AND a.agent_id = r.agent_id
            LEFT JOIN cash_remittance_settings s ON s.tenant_id = r.tenant_id
            WHERE r.remittance_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM cash_unremitted_alerts x
                              WHERE x.tenant_id = r.tenant_id AND x.agent_id = r.agent_id AND x.collection_date = r.collection_date)
            GROUP BY r.tenant_id, r.agent_id, a.village_code, r.collection_date, s.remittance_cutoff
            ORDER BY r.tenant_id, r.collection_date, r.agent_id
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var holdings = new List<(CashHolding, TimeOnly?)>();
        while (await reader.ReadAsync(ct))
            holdings.Add((new CashHolding(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    reader.GetFieldValue<DateOnly>(3), reader.GetInt64(4), reader.GetInt32(5)),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<TimeOnly>(6)));
        return holdings;
    }

    /// <summary>System scope (the gauge): cash held in villages now, per tenant.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> UnremittedByTenantAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT tenant_id, sum(amount_fen)::bigint FROM cash_receipts WHERE remittance_id IS NULL GROUP BY tenant_id
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var totals = new Dictionary<string, long>();
        while (await reader.ReadAsync(ct)) totals[reader.GetString(0)] = reader.GetInt64(1);
        return totals;
    }

    /// <summary>Every agent of the tenant ($1) with her receipts of the day ($2), for the per-village and per-agent
    /// lists; the receipts are read through cash_receipts_by_agent_day or cash_receipts_by_day_village.</summary>
    private const string AgentsWithDayReceipts = """
        FROM cash_agents a
        LEFT JOIN cash_receipts r
          ON r.tenant_id = a.tenant_id AND r.agent_id = a.agent_id AND r.collection_date = $2
        """;

    /// <summary>$1 tenant, $2 day, $3 division prefix, $4 and $5 the (village, agent) to continue after, $6 limit.</summary>
    internal const string AgentBalancesSql = $"""
        SELECT a.agent_id, a.name, a.village_code, a.registered_at, {BalanceColumns}
        {AgentsWithDayReceipts}
        WHERE a.tenant_id = $1 AND starts_with(a.village_code, $3) AND (a.village_code, a.agent_id) > ($4, $5)
        GROUP BY a.tenant_id, a.agent_id
        ORDER BY a.village_code, a.agent_id
        LIMIT $6
        """;

    private const string BalanceColumns = """
        coalesce(sum(r.amount_fen), 0)::bigint,
        count(r.cash_receipt_id)::int,
        coalesce(sum(r.amount_fen) FILTER (WHERE r.remittance_id IS NOT NULL), 0)::bigint,
        coalesce(sum(r.amount_fen) FILTER (WHERE r.remittance_id IS NULL), 0)::bigint,
        (count(r.cash_receipt_id) FILTER (WHERE r.remittance_id IS NULL))::int
        """;

    private static CashBalance ReadBalance(NpgsqlDataReader r, int first) => new(
        CollectedFen: r.GetInt64(first),
        CollectedReceipts: r.GetInt32(first + 1),
        RemittedFen: r.GetInt64(first + 2),
        UnremittedFen: r.GetInt64(first + 3),
        UnremittedReceipts: r.GetInt32(first + 4));

    private static CashAgent ReadAgent(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3));
}
