using System.Globalization;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Orders;
using Medins.PaymentCollection.Reconciliation;
using Medins.PaymentCollection.Reviews;
using Medins.Platform.Testing;
using Npgsql;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// Every filter of the three lists reads through an index on a populated database: the statements the stores send,
/// EXPLAINed on payment-collection's own login role (row-level security live) in a tenant transaction, both as
/// planned for the values (custom) and as a prepared statement is planned once for any values (generic), which is
/// what the service runs after a few calls (statements are auto-prepared).
/// </summary>
public sealed class ListFilterIndexTests(ListFilterIndexTests.Populated populated) : IClassFixture<ListFilterIndexTests.Populated>
{
    private const string Tenant = "cq-lidu";
    private const int Limit = 51;
    private static readonly DateTimeOffset Now = new(2023, 12, 20, 2, 0, 0, TimeSpan.Zero);

    /// <summary>One populated database for every filter's plan.</summary>
    public sealed class Populated : IAsyncLifetime
    {
        public TestDatabase Db { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Db = await TestDatabase.CreateAsync();
            await using var cmd = Db.Owner.CreateCommand(Population);
            cmd.CommandTimeout = 300;
            await cmd.ExecuteNonQueryAsync();
        }

        public async Task DisposeAsync() => await Db.DisposeAsync();
    }

    /// <summary>
    /// 40,000 orders, 20,000 review items and 20,000 discrepancies over two tenants, spread over every channel, state,
    /// reason and kind, 100 villages of 2 townships per tenant and 60 statement days: far past the size where the planner would
    /// rather scan a table than use an index.
    /// </summary>
    private const string Population = """
        SET search_path = payment_collection;
        INSERT INTO payment_orders (tenant_id, order_id, resident_id, village_code, coverage_year, tier, channel, state,
          personal_amount_fen, subsidy_amount_fen, policy_id, policy_version, quote, benefit_start, benefit_end,
          channel_transaction_id, created_at, paid_at, expires_at, receipt_number)
        SELECT t.tenant, gen_random_uuid(), 'r-' || i, t.county || '90' || (i % 4) || lpad((i / 4 % 50)::text, 3, '0'), 2024, 1,
          (ARRAY['wechat_pay','alipay','tax_e_bureau','yukuaiban','bank_counter','village_pos','school','village_cash'])[i % 8 + 1],
          s.state, 38000, 0, 'p', 1, '{}', '2024-01-01', '2024-12-31',
          CASE WHEN s.state IN ('paid', 'refunded') THEN 'txn-' || i END,
          timestamptz '2023-09-01 00:00+08' + i * interval '1 minute',
          CASE WHEN s.state IN ('paid', 'refunded') THEN timestamptz '2023-09-01 00:05+08' + i * interval '1 minute' END,
          timestamptz '2023-09-01 00:30+08' + i * interval '1 minute',
          CASE WHEN s.state IN ('paid', 'refunded') THEN '2024' || lpad(i::text, 10, '0') END
        FROM generate_series(1, 40000) i
        CROSS JOIN LATERAL (SELECT CASE WHEN i % 2 = 0 THEN 'cq-lidu' ELSE 'cq-linjiang' END AS tenant,
                                   CASE WHEN i % 2 = 0 THEN '500102' ELSE '500118' END AS county) t
        CROSS JOIN LATERAL (SELECT (ARRAY['paid','paid','paid','created','expired','cancelled','refunded'])[i % 7 + 1] AS state) s;

        INSERT INTO payment_confirmations (tenant_id, confirmation_id, order_id, channel, channel_transaction_id, amount_fen,
          received_at, outcome)
        SELECT CASE WHEN i % 2 = 0 THEN 'cq-lidu' ELSE 'cq-linjiang' END, gen_random_uuid(), gen_random_uuid(),
          (ARRAY['wechat_pay','alipay','tax_e_bureau','yukuaiban','bank_counter','village_pos','school','village_cash'])[i % 8 + 1],
          'rv-' || i, 100, timestamptz '2023-09-01 00:00+08' + i * interval '1 minute', 'amount_mismatch'
        FROM generate_series(1, 20000) i;
        INSERT INTO payment_reviews (tenant_id, review_id, confirmation_id, order_id, channel_transaction_id, amount_fen,
          reason, detail, created_at, resolved_at, resolution, resolved_by, channel)
        SELECT c.tenant_id, gen_random_uuid(), c.confirmation_id, c.order_id, c.channel_transaction_id, 100,
          (ARRAY['AMOUNT_MISMATCH','DUPLICATE_PAYMENT','CHANNEL_TRANSACTION_REUSED','ORDER_EXPIRED','ORDER_CANCELLED',
                 'ORDER_NOT_FOUND'])[n % 6 + 1], '', c.received_at,
          CASE WHEN n % 5 > 0 THEN c.received_at + interval '1 day' END,
          CASE WHEN n % 5 > 0 THEN 'returned_to_payer' END, CASE WHEN n % 5 > 0 THEN 'clerk' END, c.channel
        FROM (SELECT *, row_number() OVER () AS n FROM payment_confirmations) c;

        INSERT INTO reconciliation_statements (tenant_id, statement_id, channel, statement_date, format, content,
          content_sha256, imported_by, imported_at)
        SELECT tenant, gen_random_uuid(), channel, date '2023-09-01' + d, 'bureau_collection_statement', '', '', 'clerk', now()
        FROM unnest(ARRAY['cq-lidu', 'cq-linjiang']) tenant,
             unnest(ARRAY['wechat_pay','alipay','tax_e_bureau','yukuaiban','bank_counter','village_pos','school','village_cash']) channel,
             generate_series(0, 59) d;
        INSERT INTO reconciliation_discrepancies (tenant_id, discrepancy_id, statement_id, channel, statement_date, kind,
          channel_transaction_id, line_number, merchant_order_id, channel_amount_fen, platform_amount_fen, order_ids, state,
          created_at)
        SELECT s.tenant_id, gen_random_uuid(), s.statement_id, s.channel, s.statement_date, 'missing_here', 'd-' || s.statement_id || '-' || k,
          k, '', 100, NULL, '{}', (ARRAY['open','resolved','superseded'])[k / 3 % 3 + 1], now()
        FROM reconciliation_statements s, generate_series(1, 21) k;
        UPDATE reconciliation_discrepancies SET kind = 'missing_there', line_number = NULL, channel_amount_fen = NULL,
          platform_amount_fen = 100 WHERE line_number % 3 = 1;
        UPDATE reconciliation_discrepancies SET kind = 'amount_difference', platform_amount_fen = 90 WHERE line_number % 3 = 2;
        ANALYZE payment_orders; ANALYZE payment_confirmations; ANALYZE payment_reviews;
        ANALYZE reconciliation_statements; ANALYZE reconciliation_discrepancies;
        """;

    public static TheoryData<string> Filters => [.. Statements().Keys];

    /// <summary>Filters selective enough that their own index must serve them (the planner may rightly walk the
    /// list's primary key for the others, stopping after a page of matches).</summary>
    private static readonly Dictionary<string, string> ServedBy = new()
    {
        ["orders by resident"] = "payment_orders_by_resident",
        ["orders by channel"] = "payment_orders_by_channel",
        ["orders of a village"] = "payment_orders_by_village",
        ["orders by receipt"] = "payment_orders_one_receipt",
        ["reviews by reason"] = "payment_reviews_by_reason",
        ["reviews by channel"] = "payment_reviews_by_channel",
        ["discrepancies of a statement"] = "reconciliation_discrepancies_by_statement",
        ["discrepancies of a day"] = "reconciliation_discrepancies_by_date",
    };

    private static Dictionary<string, (string Table, ListQuery Query)> Statements()
    {
        var after = Guid.CreateVersion7(Now);
        var statementId = Guid.NewGuid();
        return new()
        {
            ["orders"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders(), Now, null)),
            ["orders by resident"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { ResidentId = "r-42" }, Now, null)),
            ["orders by channel"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { Channel = "school" }, Now, after)),
            ["orders paid"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { State = OrderState.Paid }, Now, after)),
            ["orders created"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { State = OrderState.Created }, Now, null)),
            ["orders expired"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { State = OrderState.Expired }, Now, null)),
            ["orders of a village"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { DivisionCode = "500102902004" }, Now, null)),
            ["orders of a township"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { DivisionCode = "500102902" }, Now, after)),
            ["orders by receipt"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant, Orders() with { ReceiptNumber = "20240000000042" }, Now, null)),
            ["orders by channel, state and village"] = ("payment_orders", PaymentOrderStore.ListStatement(Tenant,
                Orders() with { Channel = "alipay", State = OrderState.Paid, DivisionCode = "500102900" }, Now, null)),
            ["reviews open"] = ("payment_reviews", ReviewStore.ListStatement(Tenant, new ReviewListFilter(false, null, null), after)),
            ["reviews resolved"] = ("payment_reviews", ReviewStore.ListStatement(Tenant, new ReviewListFilter(true, null, null), null)),
            ["reviews all"] = ("payment_reviews", ReviewStore.ListStatement(Tenant, new ReviewListFilter(null, null, null), after)),
            ["reviews by reason"] = ("payment_reviews", ReviewStore.ListStatement(Tenant, new ReviewListFilter(null, "ORDER_NOT_FOUND", null), null)),
            ["reviews open by reason"] = ("payment_reviews", ReviewStore.ListStatement(Tenant, new ReviewListFilter(false, "DUPLICATE_PAYMENT", null), after)),
            ["reviews by channel"] = ("payment_reviews", ReviewStore.ListStatement(Tenant, new ReviewListFilter(null, null, "alipay"), null)),
            ["discrepancies"] = ("reconciliation_discrepancies", ReconciliationStore.ListStatement(Tenant, Discrepancies(), after)),
            ["discrepancies of a statement"] = ("reconciliation_discrepancies",
                ReconciliationStore.ListStatement(Tenant, Discrepancies() with { StatementId = statementId }, null)),
            ["discrepancies of a day"] = ("reconciliation_discrepancies", ReconciliationStore.ListStatement(Tenant,
                Discrepancies() with { From = new DateOnly(2023, 10, 1), To = new DateOnly(2023, 10, 1) }, null)),
            ["discrepancies from a day"] = ("reconciliation_discrepancies", ReconciliationStore.ListStatement(Tenant,
                Discrepancies() with { From = new DateOnly(2023, 10, 25) }, after)),
            ["discrepancies by kind"] = ("reconciliation_discrepancies", ReconciliationStore.ListStatement(Tenant,
                Discrepancies() with { Kind = DiscrepancyKind.AmountDifference }, null)),
            ["discrepancies by channel and state"] = ("reconciliation_discrepancies", ReconciliationStore.ListStatement(Tenant,
                Discrepancies() with { Channel = "school", State = DiscrepancyState.Open }, null)),
        };
    }

    private static OrderListFilter Orders() => new(null, null, null, null, null);

    private static DiscrepancyListFilter Discrepancies() => new(null, null, null, null, null, null);

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task ListFilter_PopulatedTables_ReadThroughAnIndexNeverASequentialScan(string filter)
    {
        var (table, query) = Statements()[filter];

        foreach (var mode in new[] { "force_custom_plan", "force_generic_plan" })
        {
            var plan = await ExplainAsync(query, mode);

            Assert.DoesNotContain($"Seq Scan on {table}", plan);
            Assert.Matches($@"(Index|Index Only|Bitmap Heap) Scan (using \w+ )?on {table}", plan);
            if (ServedBy.TryGetValue(filter, out var index))
                Assert.Matches($@"(Scan using|Bitmap Index Scan on) {index}\b", plan);
        }
    }

    /// <summary>EXPLAIN of the statement, prepared and executed with its values, under a plan cache mode.</summary>
    private async Task<string> ExplainAsync(ListQuery query, string planCacheMode)
    {
        var (sql, values) = query.Build(Limit);
        await using var source = populated.Db.DataSourceFor("payment-collection");
        await using var conn = await source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var scope = new NpgsqlCommand($"""
            SELECT set_config('medins.tenant_id', '{Tenant}', true), set_config('medins.scope', 'tenant', true),
                   set_config('plan_cache_mode', '{planCacheMode}', true)
            """, conn, tx))
            await scope.ExecuteNonQueryAsync();
        await using (var prepare = new NpgsqlCommand("PREPARE list_filter AS " + sql, conn, tx))
            await prepare.ExecuteNonQueryAsync();
        await using var explain = new NpgsqlCommand(
            $"EXPLAIN (COSTS OFF) EXECUTE list_filter({string.Join(", ", values.Select(Literal))})", conn, tx);
        var lines = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        await tx.RollbackAsync();
        return string.Join(Environment.NewLine, lines);
    }

    private static string Literal(object value) => value switch
    {
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        DateTimeOffset t => $"'{t:O}'",
        DateOnly d => $"'{d:yyyy-MM-dd}'",
        _ => $"'{value.ToString()!.Replace("'", "''", StringComparison.Ordinal)}'",
    };
}
