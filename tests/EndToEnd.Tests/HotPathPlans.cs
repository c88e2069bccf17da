using Medins.Platform.Testing;
using Npgsql;

namespace Medins.EndToEnd.Tests;

/// <summary>One statement of the hot path as its service sends it, with representative parameters.</summary>
public sealed record HotPathStatement(string AppId, string Name, string Scope, string Sql, params object[] Parameters);

/// <summary>
/// The plans PostgreSQL chooses for the hot path's statements on a seeded database: each EXPLAINed on the service's
/// own login role (row-level security live) inside a transaction scoped as PlatformDatabase scopes it.
/// </summary>
public static class HotPathPlans
{
    private const string Tenant = "cq-linjiang";

    /// <summary>The statements, with parameters naming seeded rows (<see cref="HotPathSeed"/>, person 4).</summary>
    public static IReadOnlyList<HotPathStatement> Statements(DateTimeOffset now)
    {
        var resident = SeedGuid("hot-path-resident-4");
        var order = SeedGuid("hot-path-order-4");
        var transaction = "4200" + "4".PadLeft(24, '0');
        return
        [
            new("payment-collection", "request log replay", "tenant",
                "SELECT request_hash, response FROM request_log WHERE tenant_id = $1 AND rpc = $2 AND request_id = $3",
                Tenant, "/medins.payment.v1.PaymentCollectionService/CreatePaymentOrder", "hot-path-order-4"),
            new("payment-collection", "coverage year settled", "tenant", """
                SELECT EXISTS (SELECT 1 FROM payment_orders
                               WHERE tenant_id = $1 AND resident_id = $2 AND coverage_year = $3
                                 AND state IN ('paid', 'refund_requested') AND order_id IS DISTINCT FROM $4)
                """, Tenant, resident.ToString(), 2024, order),
            new("payment-collection", "transaction home (orders)", "tenant", """
                SELECT order_id FROM payment_orders
                WHERE tenant_id = $1 AND channel_transaction_id = $2 AND state IN ('paid', 'refund_requested', 'refunded')
                ORDER BY order_id
                """, Tenant, transaction),
            new("payment-collection", "transaction home (review)", "tenant", """
                SELECT review_id, order_id, amount_fen FROM payment_reviews
                WHERE tenant_id = $1 AND channel_transaction_id = $2 AND carries_money
                  AND (resolution IS NULL OR resolution = 'returned_to_payer')
                ORDER BY created_at, review_id
                LIMIT 1
                """, Tenant, transaction),
            new("payment-collection", "find order for update", "tenant",
                "SELECT order_id, state FROM payment_orders WHERE tenant_id = $1 AND order_id = $2 FOR UPDATE", Tenant, order),
            new("payment-collection", "relay fan-out", "system", """
                SELECT tenant_id, event_id, topic, created_at FROM outbox
                WHERE fanned_out_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
                """, 100),
            new("payment-collection", "relay claim", "system", """
                SELECT tenant_id, event_id, target FROM outbox_delivery
                WHERE target = $1 AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $2
                  AND (claimed_until IS NULL OR claimed_until <= $2)
                ORDER BY next_attempt_at LIMIT $3
                FOR UPDATE SKIP LOCKED
                """, "quota-tracking", now, 100),
            new("payment-collection", "relay backlog gauge", "system", """
                SELECT t.target,
                       (SELECT count(*) FROM outbox_delivery d WHERE d.target = t.target AND d.delivered_at IS NULL AND d.dead_at IS NULL)
                       + (SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL)
                FROM unnest($1::text[]) AS t(target)
                """, (object)new[] { "identity-registry", "quota-tracking", "notification" }),
            new("identity-registry", "resident by national id", "tenant",
                "SELECT resident_id FROM residents WHERE tenant_id = $1 AND national_id_hash = $2",
                Tenant, System.Security.Cryptography.SHA256.HashData("hot-path-4"u8.ToArray())),
            new("identity-registry", "enrolment of the year", "tenant",
                "SELECT status FROM enrolments WHERE tenant_id = $1 AND resident_id = $2 AND coverage_year = $3", Tenant, resident, 2023),
            new("quota-tracking", "order subsidy lines", "tenant",
                "SELECT funding_source, category, amount_fen FROM order_subsidy_lines WHERE tenant_id = $1 AND order_id = $2",
                Tenant, order.ToString()),
            new("notification", "dispatcher due messages", "system", """
                SELECT tenant_id, message_id FROM messages
                WHERE status = 'PENDING' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
                ORDER BY campaign_id IS NOT NULL, next_attempt_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED
                """, now, 50),
            new("notification", "messages of a resident", "tenant", """
                SELECT message_id FROM messages WHERE tenant_id = $1 AND recipient_kind = 'RESIDENT' AND recipient_id = $2
                ORDER BY created_at DESC, message_id DESC LIMIT 20
                """, Tenant, resident.ToString()),
        ];
    }

    /// <summary>EXPLAIN of one statement (without running it) as its service's role sees the data.</summary>
    public static async Task<string> ExplainAsync(TestDatabase database, HotPathStatement statement)
    {
        await using var source = database.DataSourceFor(statement.AppId);
        await using var conn = await source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var scope = new NpgsqlCommand(
            "SELECT set_config('medins.tenant_id', $1, true), set_config('medins.scope', $2, true)", conn, tx))
        {
            scope.Parameters.Add(new() { Value = statement.Scope == "tenant" ? Tenant : "" });
            scope.Parameters.Add(new() { Value = statement.Scope });
            await scope.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand("EXPLAIN (COSTS OFF) " + statement.Sql, conn, tx);
        foreach (var value in statement.Parameters) explain.Parameters.Add(new() { Value = value });
        var lines = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        await tx.RollbackAsync();
        return string.Join(Environment.NewLine, lines);
    }

    private static Guid SeedGuid(string text) =>
        new(Convert.ToHexString(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text))));
}
