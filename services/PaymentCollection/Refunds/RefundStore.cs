using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Refunds;

/// <summary>The SQL of refunds; every call runs in a tenant transaction.</summary>
public static class RefundStore
{
    private const string Columns = """
        r.refund_id, r.order_id, o.resident_id, o.coverage_year, r.kind, r.reason, r.amount_fen, r.state,
        r.evidence_reference, r.explanation, r.requested_at, r.requested_by, r.completed_at, r.refund_reference,
        r.withdrawn_subsidy_lines, r.granted_subsidy_lines, r.identity_id
        """;

    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Refund refund,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO payment_refunds (tenant_id, refund_id, order_id, kind, reason, amount_fen, state, evidence_reference,
              explanation, requested_at, requested_by, withdrawn_subsidy_lines, granted_subsidy_lines, identity_id)
            VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9, $10, $11, $12, $13)
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = tenantId }, new() { Value = refund.RefundId }, new() { Value = refund.OrderId },
                new() { Value = KindCode(refund.Kind) }, new() { Value = refund.Reason }, new() { Value = refund.AmountFen },
                new() { Value = refund.EvidenceReference }, new() { Value = refund.Explanation },
                new() { Value = refund.RequestedAt }, new() { Value = refund.RequestedBy },
                SubsidyLineJson.Parameter(refund.WithdrawnSubsidyLines), SubsidyLineJson.Parameter(refund.GrantedSubsidyLines),
                new() { Value = (object?)refund.IdentityId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task CompleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Refund refund,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE payment_refunds SET state = 'completed', completed_at = $3, refund_reference = $4
            WHERE tenant_id = $1 AND refund_id = $2 AND state = 'requested'
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = tenantId }, new() { Value = refund.RefundId }, new() { Value = refund.CompletedAt!.Value },
                new() { Value = refund.RefundReference! },
            },
        };
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new InvalidOperationException($"Refund {refund.RefundId} was not open when it was completed.");
    }

    public static async Task<Refund?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid refundId,
        CancellationToken ct) =>
        (await QueryAsync(conn, tx, $"""
            SELECT {Columns} FROM payment_refunds r JOIN payment_orders o USING (tenant_id, order_id)
            WHERE r.tenant_id = $1 AND r.refund_id = $2 FOR UPDATE OF r
            """, ct, tenantId, refundId)).SingleOrDefault();

    public static Task<List<Refund>> ForOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid orderId,
        CancellationToken ct) =>
        QueryAsync(conn, tx, $"""
            SELECT {Columns} FROM payment_refunds r JOIN payment_orders o USING (tenant_id, order_id)
            WHERE r.tenant_id = $1 AND r.order_id = $2 ORDER BY r.refund_id
            """, ct, tenantId, orderId);

    /// <summary>Refunds in refund-id order (time-ordered UUIDv7) after <paramref name="after"/>.</summary>
    public static Task<List<Refund>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid? orderId,
        RefundState? state, Guid? after, int limit, CancellationToken ct) =>
        QueryAsync(conn, tx, $"""
            SELECT {Columns} FROM payment_refunds r JOIN payment_orders o USING (tenant_id, order_id)
            WHERE r.tenant_id = $1 AND ($2::uuid IS NULL OR r.order_id = $2) AND ($3::text IS NULL OR r.state = $3)
              AND ($4::uuid IS NULL OR r.refund_id > $4)
            ORDER BY r.refund_id
            LIMIT $5
            """, ct, tenantId,
            Sql.Typed(orderId, NpgsqlDbType.Uuid), Sql.Typed(state is { } s ? StateCode(s) : null, NpgsqlDbType.Text),
            Sql.Typed(after, NpgsqlDbType.Uuid), limit);

    private static async Task<List<Refund>> QueryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql,
        CancellationToken ct, params object[] args)
    {
        await using var cmd = Sql.Command(conn, tx, sql, args);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var refunds = new List<Refund>();
        while (await r.ReadAsync(ct))
            refunds.Add(new Refund(
                RefundId: r.GetGuid(0),
                OrderId: r.GetGuid(1),
                ResidentId: r.GetString(2),
                CoverageYear: r.GetInt32(3),
                Kind: r.GetString(4) == "full" ? RefundKind.Full : RefundKind.Differential,
                Reason: r.GetString(5),
                AmountFen: r.GetInt64(6),
                State: r.GetString(7) == "completed" ? RefundState.Completed : RefundState.Requested,
                EvidenceReference: r.GetString(8),
                Explanation: r.GetString(9),
                RequestedAt: r.GetFieldValue<DateTimeOffset>(10),
                RequestedBy: r.GetString(11),
                CompletedAt: r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                RefundReference: r.IsDBNull(13) ? null : r.GetString(13),
                WithdrawnSubsidyLines: SubsidyLineJson.Read(r.GetString(14)),
                GrantedSubsidyLines: SubsidyLineJson.Read(r.GetString(15)),
                IdentityId: r.IsDBNull(16) ? null : r.GetString(16)));
        return refunds;
    }

    private static string KindCode(RefundKind kind) => kind == RefundKind.Full ? "full" : "differential";

    private static string StateCode(RefundState state) => state == RefundState.Completed ? "completed" : "requested";
}
