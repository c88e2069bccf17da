using System.Text.Json;
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

/// <summary>
/// The counters' writes. Each is a relative single-statement upsert, so concurrent events never lose an increment;
/// an event's statements lock its village's counter row first, so two events of one village queue there instead of
/// deadlocking on the rows behind it.
/// </summary>
public static class CounterStore
{
    /// <summary>The order's row, created as awaiting payment when this is its first event, locked until commit.</summary>
    public static async Task<OrderRow> ClaimOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string orderId,
        DateTimeOffset now, CancellationToken ct)
    {
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO contribution_orders (tenant_id, order_id, state, updated_at) VALUES ($1, $2, 'awaiting-payment', $3)
            ON CONFLICT DO NOTHING
            """, conn, tx))
        {
            insert.Parameters.Add(new() { Value = tenantId });
            insert.Parameters.Add(new() { Value = orderId });
            insert.Parameters.Add(new() { Value = now });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using var select = new NpgsqlCommand("""
            SELECT state, coalesce(coverage_year, 0), coalesce(village_code, ''), coalesce(person_group, ''), coalesce(channel, ''),
                   coalesce(net_personal_fen, 0), key_groups, paid_event_id
            FROM contribution_orders WHERE tenant_id = $1 AND order_id = $2 FOR UPDATE
            """, conn, tx);
        select.Parameters.Add(new() { Value = tenantId });
        select.Parameters.Add(new() { Value = orderId });
        await using var reader = await select.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new OrderRow(orderId, reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.GetInt64(5), reader.GetFieldValue<string[]>(6), reader.IsDBNull(7) ? null : reader.GetGuid(7));
    }

    /// <param name="personalFen">The personal amount the payment collected; null keeps the one stored.</param>
    public static async Task SaveOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, OrderRow order,
        long? personalFen, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE contribution_orders SET state = $3, coverage_year = $4, village_code = $5, person_group = $6, channel = $7,
              personal_amount_fen = coalesce($8, personal_amount_fen), net_personal_fen = $9, key_groups = $10, paid_event_id = $11, updated_at = $12
            WHERE tenant_id = $1 AND order_id = $2
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = order.OrderId });
        cmd.Parameters.Add(new() { Value = order.State });
        cmd.Parameters.Add(new() { Value = order.CoverageYear });
        cmd.Parameters.Add(new() { Value = order.VillageCode });
        cmd.Parameters.Add(new() { Value = order.PersonGroup });
        cmd.Parameters.Add(new() { Value = order.ChannelKey });
        cmd.Parameters.Add(new() { Value = (object?)personalFen ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new() { Value = order.NetPersonalFen });
        cmd.Parameters.Add(new() { Value = order.KeyGroups.ToArray() });
        cmd.Parameters.Add(new() { Value = (object?)order.PaidEventId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Adds <paramref name="village"/> to the village's counters and each breakdown delta to its row, in one round
    /// trip; the village row first, then the breakdowns in key order.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear, string villageCode,
        CountDelta village, IEnumerable<(string Dimension, string Value, CountDelta Delta)> breakdowns, DateTimeOffset now, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        var first = new NpgsqlBatchCommand("""
            INSERT INTO village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count, zero_contribution_count,
              refunded_count, collected_amount_fen, differential_refund_count, subsidy_amount_fen, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET
              enrolled_count = village_counters.enrolled_count + EXCLUDED.enrolled_count,
              paid_count = village_counters.paid_count + EXCLUDED.paid_count,
              zero_contribution_count = village_counters.zero_contribution_count + EXCLUDED.zero_contribution_count,
              refunded_count = village_counters.refunded_count + EXCLUDED.refunded_count,
              collected_amount_fen = village_counters.collected_amount_fen + EXCLUDED.collected_amount_fen,
              differential_refund_count = village_counters.differential_refund_count + EXCLUDED.differential_refund_count,
              subsidy_amount_fen = village_counters.subsidy_amount_fen + EXCLUDED.subsidy_amount_fen,
              updated_at = EXCLUDED.updated_at
            """);
        AddKey(first, tenantId, coverageYear, villageCode);
        first.Parameters.Add(new() { Value = village.Enrolled });
        first.Parameters.Add(new() { Value = village.Paid });
        first.Parameters.Add(new() { Value = village.ZeroContribution });
        first.Parameters.Add(new() { Value = village.Refunded });
        first.Parameters.Add(new() { Value = village.CollectedFen });
        first.Parameters.Add(new() { Value = village.DifferentialRefunds });
        first.Parameters.Add(new() { Value = village.SubsidyFen });
        first.Parameters.Add(new() { Value = now });
        batch.BatchCommands.Add(first);

        foreach (var (dimension, value, delta) in breakdowns.OrderBy(b => b.Dimension, StringComparer.Ordinal).ThenBy(b => b.Value, StringComparer.Ordinal))
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO village_breakdown_counters (tenant_id, coverage_year, village_code, dimension, value, enrolled_count,
                  paid_count, zero_contribution_count, refunded_count, collected_amount_fen, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (tenant_id, coverage_year, village_code, dimension, value) DO UPDATE SET
                  enrolled_count = village_breakdown_counters.enrolled_count + EXCLUDED.enrolled_count,
                  paid_count = village_breakdown_counters.paid_count + EXCLUDED.paid_count,
                  zero_contribution_count = village_breakdown_counters.zero_contribution_count + EXCLUDED.zero_contribution_count,
                  refunded_count = village_breakdown_counters.refunded_count + EXCLUDED.refunded_count,
                  collected_amount_fen = village_breakdown_counters.collected_amount_fen + EXCLUDED.collected_amount_fen,
                  updated_at = EXCLUDED.updated_at
                """);
            AddKey(command, tenantId, coverageYear, villageCode);
            command.Parameters.Add(new() { Value = dimension });
            command.Parameters.Add(new() { Value = value });
            command.Parameters.Add(new() { Value = delta.Enrolled });
            command.Parameters.Add(new() { Value = delta.Paid });
            command.Parameters.Add(new() { Value = delta.ZeroContribution });
            command.Parameters.Add(new() { Value = delta.Refunded });
            command.Parameters.Add(new() { Value = delta.CollectedFen });
            command.Parameters.Add(new() { Value = now });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Adds signed lines to the order's net subsidy per fund and category, and the change to the village's
    /// settlement counters: the amount, and one person more (or fewer) for the category and for the fund when her
    /// net line (or her lines from the fund together) turn positive (or nil).
    /// </summary>
    public static async Task ApplyLinesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string orderId,
        int coverageYear, string villageCode, IReadOnlyList<FundLine> lines, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var fund in lines.GroupBy(l => l.FundingSource))
        {
            var before = await OrderFundTotalAsync(conn, tx, tenantId, orderId, fund.Key, ct);
            foreach (var line in fund) await ApplyLineAsync(conn, tx, tenantId, orderId, coverageYear, villageCode, line, now, ct);
            var change = Enrolments.PeopleChange(before, before + fund.Sum(l => l.AmountFen));
            if (change == 0) continue;
            await using var people = new NpgsqlCommand("""
                INSERT INTO settlement_fund_counters (tenant_id, coverage_year, village_code, funding_source, people_count, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant_id, coverage_year, village_code, funding_source) DO UPDATE SET
                  people_count = settlement_fund_counters.people_count + EXCLUDED.people_count, updated_at = EXCLUDED.updated_at
                """, conn, tx);
            AddKey(people, tenantId, coverageYear, villageCode);
            people.Parameters.Add(new() { Value = fund.Key });
            people.Parameters.Add(new() { Value = change });
            people.Parameters.Add(new() { Value = now });
            await people.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<long> OrderFundTotalAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string orderId,
        string fundingSource, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT coalesce(sum(amount_fen), 0)::bigint FROM order_subsidy_lines WHERE tenant_id = $1 AND order_id = $2 AND funding_source = $3
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = orderId });
        cmd.Parameters.Add(new() { Value = fundingSource });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task ApplyLineAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string orderId,
        int coverageYear, string villageCode, FundLine line, DateTimeOffset now, CancellationToken ct)
    {
        long after;
        await using (var order = new NpgsqlCommand("""
            INSERT INTO order_subsidy_lines (tenant_id, order_id, funding_source, category, amount_fen) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id, order_id, funding_source, category) DO UPDATE SET amount_fen = order_subsidy_lines.amount_fen + EXCLUDED.amount_fen
            RETURNING amount_fen
            """, conn, tx))
        {
            order.Parameters.Add(new() { Value = tenantId });
            order.Parameters.Add(new() { Value = orderId });
            order.Parameters.Add(new() { Value = line.FundingSource });
            order.Parameters.Add(new() { Value = line.Category });
            order.Parameters.Add(new() { Value = line.AmountFen });
            after = (long)(await order.ExecuteScalarAsync(ct))!;
        }
        await using var settlement = new NpgsqlCommand("""
            INSERT INTO settlement_counters (tenant_id, coverage_year, village_code, funding_source, category, people_count,
              amount_fen, description, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (tenant_id, coverage_year, village_code, funding_source, category) DO UPDATE SET
              people_count = settlement_counters.people_count + EXCLUDED.people_count,
              amount_fen = settlement_counters.amount_fen + EXCLUDED.amount_fen,
              description = CASE WHEN EXCLUDED.description = '' THEN settlement_counters.description ELSE EXCLUDED.description END,
              updated_at = EXCLUDED.updated_at
            """, conn, tx);
        AddKey(settlement, tenantId, coverageYear, villageCode);
        settlement.Parameters.Add(new() { Value = line.FundingSource });
        settlement.Parameters.Add(new() { Value = line.Category });
        settlement.Parameters.Add(new() { Value = Enrolments.PeopleChange(after - line.AmountFen, after) });
        settlement.Parameters.Add(new() { Value = line.AmountFen });
        settlement.Parameters.Add(new() { Value = line.Description });
        settlement.Parameters.Add(new() { Value = now });
        await settlement.ExecuteNonQueryAsync(ct);
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

    public static async Task MarkAppliedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string refundKey,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE contribution_refunds SET applied_at = $3 WHERE tenant_id = $1 AND refund_key = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = refundKey });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void AddKey(NpgsqlBatchCommand command, string tenantId, int coverageYear, string villageCode)
    {
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = coverageYear });
        command.Parameters.Add(new() { Value = villageCode });
    }

    private static void AddKey(NpgsqlCommand command, string tenantId, int coverageYear, string villageCode)
    {
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = coverageYear });
        command.Parameters.Add(new() { Value = villageCode });
    }
}
