using System.Text.Json;
using Medins.Platform.Hosting.Data;
using Medins.QuotaTracking.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Medins.QuotaTracking.Data;

/// <summary>A contribution order as the counters know it.</summary>
public sealed record OrderRow(string OrderId, string State, int CoverageYear, string VillageCode, string PersonGroup,
    string ChannelKey, long NetPersonalFen, IReadOnlyList<string> KeyGroups, Guid? PaidEventId)
{
    public const string AwaitingPayment = "awaiting-payment";
    public const string Enrolled = "enrolled";
    public const string Refunded = "refunded";

    public bool ZeroContribution => NetPersonalFen <= 0;
}

/// <summary>A refund as stored, waiting for its payment or applied.</summary>
public sealed record RefundRow(string RefundKey, string OrderId, bool Full, long RefundedFen, IReadOnlyList<FundLine> Withdrawn,
    IReadOnlyList<FundLine> Granted);

/// <summary>The order's row as claimed: whether this event created it.</summary>
public sealed record ClaimedOrder(OrderRow Order, bool Created);

/// <summary>
/// The counters' reads and writes. Every write is a relative single-statement upsert, so concurrent events never
/// lose an increment. A batch of events claims (locks) its order rows in order id order, then writes the summed
/// counters once (<see cref="CounterTotals"/>), village rows before the rows behind them, each in key order, so two
/// batches of one village queue there instead of deadlocking.
/// </summary>
public static class CounterStore
{
    /// <summary>The order's row, created as awaiting payment when this is its first event, locked until commit.</summary>
    public static async Task<ClaimedOrder> ClaimOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string orderId,
        DateTimeOffset now, CancellationToken ct)
    {
        // DO UPDATE (a no-op) rather than DO NOTHING: it locks and returns an existing row in the same statement.
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO contribution_orders AS o (tenant_id, order_id, state, updated_at) VALUES ($1, $2, 'awaiting-payment', $3)
            ON CONFLICT (tenant_id, order_id) DO UPDATE SET updated_at = o.updated_at
            RETURNING state, coalesce(coverage_year, 0), coalesce(village_code, ''), coalesce(person_group, ''), coalesce(channel, ''),
                      coalesce(net_personal_fen, 0), key_groups, paid_event_id, xmax = 0
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = orderId });
        cmd.Parameters.Add(new() { Value = now });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ClaimedOrder(new OrderRow(orderId, reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3),
            reader.GetString(4), reader.GetInt64(5), reader.GetFieldValue<string[]>(6), reader.IsDBNull(7) ? null : reader.GetGuid(7)),
            reader.GetBoolean(8));
    }

    /// <summary>The order's net subsidy per fund and category.</summary>
    public static async Task<Dictionary<(string Fund, string Category), long>> OrderLinesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string orderId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT funding_source, category, amount_fen FROM order_subsidy_lines WHERE tenant_id = $1 AND order_id = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = orderId });
        var lines = new Dictionary<(string, string), long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) lines[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        return lines;
    }

    /// <summary>Stores a refund (applied now or waiting for its payment); false when this refund is already stored.</summary>
    public static async Task<bool> TryAddRefundAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, RefundRow refund,
        string reason, DateTimeOffset? refundTime, DateTimeOffset now, bool applied, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO contribution_refunds (tenant_id, refund_key, order_id, kind, refunded_amount_fen, reason, refund_time,
              withdrawn_lines, granted_lines, received_at, applied_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = refund.RefundKey });
        cmd.Parameters.Add(new() { Value = refund.OrderId });
        cmd.Parameters.Add(new() { Value = refund.Full ? "full" : "differential" });
        cmd.Parameters.Add(new() { Value = refund.RefundedFen });
        cmd.Parameters.Add(new() { Value = reason });
        cmd.Parameters.Add(new() { Value = (object?)refundTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(refund.Withdrawn), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(refund.Granted), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = applied ? now : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The order's refunds that arrived before its payment, in the order they were made.</summary>
    public static async Task<List<RefundRow>> WaitingRefundsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string orderId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT refund_key, kind, refunded_amount_fen, withdrawn_lines::text, granted_lines::text FROM contribution_refunds
            WHERE tenant_id = $1 AND order_id = $2 AND applied_at IS NULL
            ORDER BY refund_time NULLS LAST, received_at, refund_key
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = orderId });
        var refunds = new List<RefundRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            refunds.Add(new RefundRow(reader.GetString(0), orderId, reader.GetString(1) == "full", reader.GetInt64(2),
                JsonSerializer.Deserialize<List<FundLine>>(reader.GetString(3)) ?? [],
                JsonSerializer.Deserialize<List<FundLine>>(reader.GetString(4)) ?? []));
        return refunds;
    }
}

/// <summary>
/// One event's writes to its order, sent in one round trip; its counter deltas go to <paramref name="totals"/>, written
/// once for the batch. <see cref="Lines"/> keeps the order's net lines in memory, so people per category and per fund
/// change exactly when a net line turns positive or nil.
/// </summary>
public sealed class CounterWrites(string tenantId, DateTimeOffset now, Dictionary<(string Fund, string Category), long> orderLines,
    CounterTotals totals)
{
    private readonly List<NpgsqlBatchCommand> _commands = [];

    public void SaveOrder(OrderRow order, long? personalFen)
    {
        // personalFen null keeps the amount the payment stored.
        Add("""
            UPDATE contribution_orders SET state = $3, coverage_year = $4, village_code = $5, person_group = $6, channel = $7,
              personal_amount_fen = coalesce($8, personal_amount_fen), net_personal_fen = $9, key_groups = $10, paid_event_id = $11,
              updated_at = $12
            WHERE tenant_id = $1 AND order_id = $2
            """, tenantId, order.OrderId, order.State, order.CoverageYear, order.VillageCode, order.PersonGroup, order.ChannelKey,
            Sql.Typed(personalFen, NpgsqlDbType.Bigint), order.NetPersonalFen, order.KeyGroups.ToArray(),
            Sql.Typed(order.PaidEventId, NpgsqlDbType.Uuid), now);
    }

    /// <summary>The village's counters and each breakdown.</summary>
    public void Counts(int coverageYear, string villageCode, CountDelta village,
        IEnumerable<(string Dimension, string Value, CountDelta Delta)> breakdowns)
    {
        totals.Village(tenantId, coverageYear, villageCode, village, now);
        foreach (var (dimension, value, delta) in breakdowns)
            totals.Breakdown(tenantId, coverageYear, villageCode, dimension, value, delta, now);
    }

    /// <summary>
    /// Adds signed lines to the order's net subsidy and to the village's settlement counters: the amount, and one
    /// person more (or fewer) for the category, and for the fund, when her net line (her lines from the fund
    /// together) turns positive (or nil).
    /// </summary>
    public void Lines(string orderId, int coverageYear, string villageCode, IReadOnlyList<FundLine> lines)
    {
        foreach (var fund in lines.GroupBy(l => l.FundingSource))
        {
            var fundBefore = orderLines.Where(l => l.Key.Fund == fund.Key).Sum(l => l.Value);
            foreach (var line in fund)
            {
                var before = orderLines.GetValueOrDefault((line.FundingSource, line.Category));
                orderLines[(line.FundingSource, line.Category)] = before + line.AmountFen;
                Add("""
                    INSERT INTO order_subsidy_lines (tenant_id, order_id, funding_source, category, amount_fen) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (tenant_id, order_id, funding_source, category) DO UPDATE SET amount_fen = order_subsidy_lines.amount_fen + EXCLUDED.amount_fen
                    """, tenantId, orderId, line.FundingSource, line.Category, line.AmountFen);
                totals.Line(tenantId, coverageYear, villageCode, line.FundingSource, line.Category,
                    Enrolments.PeopleChange(before, before + line.AmountFen), line.AmountFen, line.Description, now);
            }
            var change = Enrolments.PeopleChange(fundBefore, fundBefore + fund.Sum(l => l.AmountFen));
            if (change != 0) totals.Fund(tenantId, coverageYear, villageCode, fund.Key, change, now);
        }
    }

    public void MarkApplied(string refundKey) =>
        Add("UPDATE contribution_refunds SET applied_at = $3 WHERE tenant_id = $1 AND refund_key = $2", tenantId, refundKey, now);

    public async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        if (_commands.Count == 0) return;
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var command in _commands) batch.BatchCommands.Add(command);
        await batch.ExecuteNonQueryAsync(ct);
    }

    private void Add(string sql, params object[] values) => _commands.Add(Sql.BatchCommand(sql, values));
}
