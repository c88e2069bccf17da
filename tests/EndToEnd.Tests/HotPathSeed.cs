using Medins.Platform.Testing;
using Npgsql;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// Last year's campaign, bulk-loaded as the schemas' owner into the demo city: residents enrolled for 2023 and their
/// paid orders, confirmations, consumers' rows and the platform tables (request log, outbox, deliveries, inbox),
/// spread over every demo tenant's villages. Enough rows that a statement without a usable index reads thousands of
/// them; then ANALYZE, so the planner sees the sizes a city database has.
/// </summary>
public static class HotPathSeed
{
    /// <summary>Residents, and paid 2023 orders (one each).</summary>
    public const int People = 30_000;

    /// <summary>2024 orders that expired unpaid: rows an expiry sweep or a state filter must skip by index.</summary>
    public const int ExpiredOrders = 5_000;

    /// <summary>Villages of a city-sized division tree.</summary>
    public const int Villages = 3_000;

    public static async Task LoadAsync(TestDatabase database)
    {
        // One connection: the statements share a temporary table.
        await using var conn = await database.Owner.OpenConnectionAsync();
        foreach (var sql in Statements())
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.CommandTimeout = 300;
            await cmd.ExecuteNonQueryAsync();
        }
    }

    private static IEnumerable<string> Statements()
    {
        // Person g lives in village (g mod n) of the demo city; ids are derived from g so every schema agrees.
        yield return $"""
            CREATE TEMP TABLE seed_people AS
            SELECT g, v.tenant_id, v.code AS village_code,
                   md5('hot-path-resident-' || g)::uuid AS resident_id,
                   md5('hot-path-order-' || g)::uuid AS order_id,
                   md5('hot-path-event-' || g)::uuid AS event_id,
                   '4200' || lpad(g::text, 24, '0') AS transaction_id,
                   timestamptz '2022-12-01 10:00+08' + g * interval '30 seconds' AS paid_at,
                   -- Platform rows from the day before the campaign day the clocks start on: within retention.
                   timestamptz '2023-11-19 09:00+08' + g * interval '1 second' AS recent_at
            FROM generate_series(1, {People}) g
            JOIN (SELECT tenant_id, code, row_number() OVER (ORDER BY tenant_id, code) - 1 AS i,
                         count(*) OVER () AS n
                  FROM identity_registry.divisions WHERE level = 'village') v ON v.i = g % v.n
            """;

        // identity-registry
        yield return """
            INSERT INTO identity_registry.households (tenant_id, household_number, village_code, booklet_member_count, updated_at)
            SELECT tenant_id, 'HP-' || g, village_code, 1, paid_at FROM seed_people
            """;
        yield return """
            INSERT INTO identity_registry.residents (tenant_id, resident_id, national_id_encrypted, national_id_hash,
              birth_date, sex, name, village_code, household_number, relationship, registration_type, created_at)
            SELECT tenant_id, resident_id, '\x00'::bytea, sha256(convert_to('hot-path-' || g, 'UTF8')),
                   date '1950-01-01' + g % 20000, CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, '居民' || g,
                   village_code, 'HP-' || g, 'head', 'household_registered', paid_at - interval '30 days'
            FROM seed_people
            """;
        yield return """
            INSERT INTO identity_registry.enrolments (tenant_id, resident_id, coverage_year, status, order_id,
              personal_amount_fen, benefit_start, benefit_end, updated_at)
            SELECT tenant_id, resident_id, 2023, 'enrolled', order_id::text, 35000, date '2023-01-01', date '2023-12-31', paid_at
            FROM seed_people
            """;

        // payment-collection
        yield return """
            INSERT INTO payment_collection.payment_orders (tenant_id, order_id, resident_id, village_code, coverage_year, tier,
              channel, state, personal_amount_fen, subsidy_amount_fen, policy_id, policy_version, quote, benefit_start,
              benefit_end, channel_transaction_id, created_at, paid_at, expires_at)
            SELECT tenant_id, order_id, resident_id::text, village_code, 2023, 1, 'wechat_pay', 'paid', 35000, 0,
                   'seed-2023', 1, '{}'::jsonb, date '2023-01-01', date '2023-12-31', transaction_id,
                   paid_at - interval '5 minutes', paid_at, paid_at + interval '1 day'
            FROM seed_people
            """;
        yield return $"""
            INSERT INTO payment_collection.payment_orders (tenant_id, order_id, resident_id, village_code, coverage_year, tier,
              channel, state, personal_amount_fen, subsidy_amount_fen, policy_id, policy_version, quote, benefit_start,
              benefit_end, created_at, expires_at)
            SELECT tenant_id, md5('hot-path-expired-' || g)::uuid, resident_id::text, village_code, 2024, 1, 'alipay',
                   'expired', 38000, 0, 'seed-2024', 1, jsonb_build_object(), date '2024-01-01', date '2024-12-31',
                   timestamptz '2023-09-01 10:00+08', timestamptz '2023-09-02 10:00+08'
            FROM seed_people WHERE g <= {ExpiredOrders}
            """;
        yield return """
            INSERT INTO payment_collection.payment_confirmations (tenant_id, confirmation_id, order_id, channel,
              channel_transaction_id, amount_fen, reported_paid_at, received_at, outcome)
            SELECT tenant_id, md5('hot-path-confirmation-' || g)::uuid, order_id, 'wechat_pay', transaction_id, 35000,
                   paid_at, paid_at, 'confirmed'
            FROM seed_people
            """;

        // Duplicate notices of last year, returned to their payers: the review queue's history.
        yield return """
            INSERT INTO payment_collection.payment_confirmations (tenant_id, confirmation_id, order_id, channel,
              channel_transaction_id, amount_fen, reported_paid_at, received_at, outcome)
            SELECT tenant_id, md5('hot-path-duplicate-' || g)::uuid, order_id, 'wechat_pay', 'dup-' || transaction_id, 35000,
                   paid_at, paid_at, 'duplicate_payment'
            FROM seed_people WHERE g % 10 = 0
            """;
        yield return """
            INSERT INTO payment_collection.payment_reviews (tenant_id, review_id, confirmation_id, order_id,
              channel_transaction_id, amount_fen, reason, detail, created_at, resolved_at, resolution, resolved_by)
            SELECT tenant_id, md5('hot-path-review-' || g)::uuid, md5('hot-path-duplicate-' || g)::uuid, order_id,
                   'dup-' || transaction_id, 35000, 'duplicate_payment', 'paid twice', paid_at, paid_at + interval '1 day',
                   'returned_to_payer', 'seed'
            FROM seed_people WHERE g % 10 = 0
            """;

        // Certified identities (every fifth person) and contact preferences (every third).
        yield return """
            INSERT INTO identity_registry.certified_identities (tenant_id, identity_id, resident_id, village_code, category,
              department, valid_from, certified_at)
            SELECT tenant_id, md5('hot-path-identity-' || g)::uuid, resident_id, village_code, 'low_income_family',
                   'civil_affairs', date '2022-01-01', paid_at
            FROM seed_people WHERE g % 5 = 0
            """;
        yield return """
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, source, update_time)
            SELECT tenant_id, resident_id::text, 'NONE', 'seed', paid_at FROM seed_people WHERE g % 3 = 0
            """;

        // quota-tracking
        yield return """
            INSERT INTO quota_tracking.order_subsidy_lines (tenant_id, order_id, funding_source, category, amount_fen)
            SELECT tenant_id, order_id::text, 'central', 'general', 64000 FROM seed_people
            """;
        yield return """
            INSERT INTO quota_tracking.contribution_orders (tenant_id, order_id, state, coverage_year, village_code,
              person_group, channel, personal_amount_fen, net_personal_fen, paid_event_id, updated_at)
            SELECT tenant_id, order_id::text, 'enrolled', 2023, village_code, '', 'wechat_pay', 35000, 35000, event_id, paid_at
            FROM seed_people
            """;

        // notification: last year's receipts, sent
        yield return """
            INSERT INTO notification.messages (tenant_id, message_id, recipient_id, template_key, channel, body, status,
              source_event_id, created_at, sent_at, recipient_kind, attempts)
            SELECT tenant_id, md5('hot-path-message-' || g)::uuid, resident_id::text, 'payment_receipt', 'SMS',
                   '您已缴纳2023年度城乡居民医保个人缴费350.00元。', 'SENT', event_id, paid_at, paid_at, 'RESIDENT', 1
            FROM seed_people
            """;

        // The platform's own tables in each schema: payment-collection published contribution.paid for each order
        // (delivered to the three consumers), each consumer's inbox holds it, and the mutating RPCs were logged.
        yield return """
            INSERT INTO payment_collection.outbox (tenant_id, event_id, topic, event_type, payload, created_at, attempts,
              next_attempt_at, delivered_at, fanned_out_at)
            SELECT tenant_id, event_id, 'contribution.paid', 'medins.payment.v1.ContributionPaid', '{}'::jsonb, recent_at, 1,
                   recent_at, recent_at, recent_at
            FROM seed_people
            """;
        yield return """
            INSERT INTO payment_collection.outbox_delivery (tenant_id, event_id, target, topic, attempts, next_attempt_at, delivered_at)
            SELECT p.tenant_id, p.event_id, t.target, 'contribution.paid', 1, p.recent_at, p.recent_at
            FROM seed_people p, unnest(ARRAY['identity-registry', 'quota-tracking', 'notification']) AS t(target)
            """;
        foreach (var schema in new[] { "identity_registry", "quota_tracking", "notification" })
            yield return $"""
                INSERT INTO {schema}.inbox (tenant_id, event_id, topic, received_at)
                SELECT tenant_id, event_id, 'contribution.paid', recent_at FROM seed_people
                """;
        foreach (var (schema, rpc, prefix) in new[]
                 {
                     ("identity_registry", "/medins.identity.v1.IdentityRegistryService/RegisterResident", "register"),
                     ("payment_collection", "/medins.payment.v1.PaymentCollectionService/CreatePaymentOrder", "order"),
                 })
            yield return $"""
                INSERT INTO {schema}.request_log (tenant_id, rpc, request_id, request_hash, response, created_at)
                SELECT tenant_id, '{rpc}', 'hot-path-{prefix}-' || g, sha256(convert_to(g::text, 'UTF8')), '\x00'::bytea, recent_at
                FROM seed_people
                """;

        // identity-registry published resident.registered for each person, quota-tracking its alerts: delivered.
        foreach (var (schema, topic, target) in new[]
                 {
                     ("identity_registry", "resident.registered", "quota-tracking"),
                     ("quota_tracking", "quota.behind-schedule", "notification"),
                 })
        {
            yield return $"""
                INSERT INTO {schema}.outbox (tenant_id, event_id, topic, event_type, payload, created_at, attempts,
                  next_attempt_at, delivered_at, fanned_out_at)
                SELECT tenant_id, md5('{topic}-' || g)::uuid, '{topic}', '{topic}', jsonb_build_object(), recent_at, 1,
                       recent_at, recent_at, recent_at
                FROM seed_people
                """;
            yield return $"""
                INSERT INTO {schema}.outbox_delivery (tenant_id, event_id, target, topic, attempts, next_attempt_at, delivered_at)
                SELECT tenant_id, md5('{topic}-' || g)::uuid, '{target}', '{topic}', 1, recent_at, recent_at FROM seed_people
                """;
        }

        // A city has thousands of villages, not the demo's dozens: a synthetic county of them in a tenant of its own.
        yield return $"""
            INSERT INTO identity_registry.divisions (tenant_id, code, name, level, parent_code)
            SELECT 'hot-path-county', '999999' || lpad(g::text, 6, '0'), '村' || g, 'village', '999999000000'
            FROM generate_series(1, {Villages}) g
            """;
        yield return $"""
            INSERT INTO quota_tracking.divisions (tenant_id, code, name, level, parent_code)
            SELECT 'hot-path-county', '999999' || lpad(g::text, 6, '0'), '村' || g, 'village', '999999000000'
            FROM generate_series(1, {Villages}) g
            """;
        yield return $"""
            INSERT INTO quota_tracking.village_targets (tenant_id, coverage_year, village_code, registered_population, task, base)
            SELECT 'hot-path-county', y, '999999' || lpad(g::text, 6, '0'), 1000, 950, 1000
            FROM generate_series(1, {Villages}) g, (VALUES (2023), (2024)) AS years(y)
            """;
        yield return $"""
            INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count,
              collected_amount_fen, paid_count, updated_at)
            SELECT 'hot-path-county', y, '999999' || lpad(g::text, 6, '0'), 900, 900 * 35000, 900, timestamptz '2023-11-19 09:00+08'
            FROM generate_series(1, {Villages}) g, (VALUES (2023), (2024)) AS years(y)
            """;
        yield return $"""
            INSERT INTO quota_tracking.village_breakdown_counters (tenant_id, coverage_year, village_code, dimension, value,
              enrolled_count, paid_count, collected_amount_fen, updated_at)
            SELECT 'hot-path-county', y, '999999' || lpad(g::text, 6, '0'), 'channel', 'wechat_pay', 900, 900, 900 * 35000,
                   timestamptz '2023-11-19 09:00+08'
            FROM generate_series(1, {Villages}) g, (VALUES (2023), (2024)) AS years(y)
            """;

        yield return "ANALYZE";
    }
}
