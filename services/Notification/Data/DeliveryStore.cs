using Medins.Notification.Channels;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Notification.Data;

/// <summary>A due message as the dispatcher sends it.</summary>
public sealed record DueMessage(
    string TenantId,
    Guid MessageId,
    string RecipientKind,
    string RecipientId,
    string TemplateKey,
    string Channel,
    string Body,
    IReadOnlyList<string> ProviderValues,
    int Attempts,
    Guid? CampaignId,
    int? CampaignYear,
    string ProviderTemplateId,
    IReadOnlyList<string> ProviderParams,
    // The lease this dispatcher holds; the send goes out only while the message still carries it.
    DateTimeOffset ClaimedUntil);

/// <summary>
/// The dispatcher's SQL. It works across tenants (system scope), as the outbox relay does: claiming due messages
/// and recording what the provider answered. A claim is a lease, so a dispatcher that dies mid-send leaves the
/// message to be tried again when the lease ends.
/// </summary>
public sealed class DeliveryStore(PlatformDatabase db, TimeProvider time) : IDeliveryReceiptSink, IWeChatBindings, IReplyOptOuts
{
    public Task<IReadOnlyList<DueMessage>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken ct) =>
        db.InSystemScopeAsync<IReadOnlyList<DueMessage>>(async (conn, tx) =>
        {
            await using var cmd = Sql.Command(conn, tx, """
                WITH claimed AS (
                  UPDATE messages m SET claimed_until = $2
                  WHERE (m.tenant_id, m.message_id) IN (
                    SELECT tenant_id, message_id FROM messages
                    WHERE status = 'PENDING' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
                    -- Receipts, notices and alerts first: a campaign's thousands of reminders must not hold them up.
                    ORDER BY campaign_id IS NOT NULL, next_attempt_at
                    LIMIT $3
                    FOR UPDATE SKIP LOCKED)
                  RETURNING m.tenant_id, m.message_id, m.recipient_kind, m.recipient_id, m.template_key, m.channel, m.body,
                            m.provider_values, m.attempts, m.campaign_id, m.template_version, m.next_attempt_at, m.claimed_until
                )
                SELECT c.tenant_id, c.message_id, c.recipient_kind, c.recipient_id, c.template_key, c.channel, c.body,
                       c.provider_values, c.attempts, c.campaign_id, k.coverage_year,
                       coalesce(t.provider_template_id, ''), coalesce(t.provider_params, '{}'), c.claimed_until
                FROM claimed c
                LEFT JOIN templates t ON t.tenant_id = c.tenant_id AND t.template_key = c.template_key
                                     AND t.channel = c.channel AND t.version = c.template_version
                LEFT JOIN campaigns k ON k.tenant_id = c.tenant_id AND k.campaign_id = c.campaign_id
                ORDER BY c.campaign_id IS NOT NULL, c.next_attempt_at
                """, now, now + lease, limit);
            var list = new List<DueMessage>();
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                list.Add(new DueMessage(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetFieldValue<string[]>(7),
                    reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetGuid(9), reader.IsDBNull(10) ? null : reader.GetInt32(10),
                    reader.GetString(11), reader.GetFieldValue<string[]>(12), reader.GetFieldValue<DateTimeOffset>(13)));
            return list;
        }, ct);

    /// <summary>
    /// Right before a send: still this dispatcher's claim (no other replica took the message after the lease ended)?
    /// Then the lease is renewed for the send and the message returned with it; otherwise null, and it must not be sent.
    /// </summary>
    public Task<DueMessage?> RenewClaimAsync(DueMessage message, DateTimeOffset now, TimeSpan lease, CancellationToken ct) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = Sql.Command(conn, tx, """
                UPDATE messages SET claimed_until = $4
                WHERE tenant_id = $1 AND message_id = $2 AND status = 'PENDING' AND claimed_until = $3
                RETURNING claimed_until
                """, message.TenantId, message.MessageId, message.ClaimedUntil, now + lease);
            return await cmd.ExecuteScalarAsync(ct) is DateTime renewed
                ? message with { ClaimedUntil = new DateTimeOffset(renewed, TimeSpan.Zero) }
                : null;
        }, ct);

    /// <summary>Pending messages whose time has come, for the backlog gauge.</summary>
    public Task<long> CountDueAsync(DateTimeOffset now, CancellationToken ct) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = Sql.Command(conn, tx,
                "SELECT count(*) FROM messages WHERE status = 'PENDING' AND next_attempt_at <= $1", now);
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }, ct);

    public Task MarkSentAsync(DueMessage message, string provider, string providerMessageId, byte[]? addressHash, DateTimeOffset now,
        CancellationToken ct) =>
        UpdateAsync(message, """
            UPDATE messages SET status = 'SENT', attempts = attempts + 1, sent_at = $3, provider = $4, provider_message_id = $5,
                                address_hash = $6, next_attempt_at = NULL, claimed_until = NULL, last_error = NULL
            WHERE tenant_id = $1 AND message_id = $2 AND status = 'PENDING'
            """, ct, now, provider, providerMessageId, Sql.Typed(addressHash, NpgsqlDbType.Bytea));

    /// <summary>
    /// A resident who replied to unsubscribe gets no more reminders: every resident written to at that number (in any
    /// tenant) is opted out of reminders, unless she already opted out of everything.
    /// </summary>
    public Task<int> OptOutRepliedAsync(byte[] addressHash, string source, CancellationToken ct) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = Sql.Command(conn, tx, """
                INSERT INTO contact_preferences (tenant_id, resident_id, opt_out, source, update_time)
                SELECT DISTINCT tenant_id, recipient_id, 'REMINDERS', $2, $3 FROM messages
                WHERE address_hash = $1 AND recipient_kind = 'RESIDENT'
                ON CONFLICT (tenant_id, resident_id) DO UPDATE
                  SET opt_out = 'REMINDERS', source = excluded.source, update_time = excluded.update_time
                  WHERE contact_preferences.opt_out = 'NONE'
                """, addressHash, source, time.GetUtcNow());
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task MarkSkippedAsync(DueMessage message, string reason, CancellationToken ct) =>
        UpdateAsync(message, """
            UPDATE messages SET status = 'SKIPPED', skip_reason = $3, next_attempt_at = NULL, claimed_until = NULL
            WHERE tenant_id = $1 AND message_id = $2 AND status = 'PENDING'
            """, ct, reason);

    public Task MarkFailedAsync(DueMessage message, string provider, string error, bool attempted, CancellationToken ct) =>
        UpdateAsync(message, """
            UPDATE messages SET status = 'FAILED', attempts = attempts + $5, provider = $3, last_error = $4,
                                next_attempt_at = NULL, claimed_until = NULL
            WHERE tenant_id = $1 AND message_id = $2 AND status = 'PENDING'
            """, ct, provider, error, attempted ? 1 : 0);

    /// <summary>Not now: a retry (counted as an attempt when a provider was called) or the end of quiet hours.</summary>
    public Task RescheduleAsync(DueMessage message, DateTimeOffset dueAt, string? error, bool attempted, CancellationToken ct) =>
        UpdateAsync(message, """
            UPDATE messages SET next_attempt_at = $3, attempts = attempts + $5, last_error = coalesce($4, last_error), claimed_until = NULL
            WHERE tenant_id = $1 AND message_id = $2 AND status = 'PENDING'
            """, ct, dueAt, Sql.Typed(error, NpgsqlDbType.Text), attempted ? 1 : 0);

    public Task<int> ApplyAsync(IReadOnlyList<DeliveryReceipt> receipts, CancellationToken ct) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            var matched = 0;
            foreach (var receipt in receipts)
            {
                // A receipt moves a sent message to delivered or failed once; a repeated or late receipt changes nothing.
                await using var cmd = Sql.Command(conn, tx, """
                    UPDATE messages SET status = $3, delivered_at = CASE WHEN $3 = 'DELIVERED' THEN $4 END,
                                        last_error = CASE WHEN $3 = 'FAILED' THEN $5 ELSE last_error END
                    WHERE provider = $1 AND provider_message_id = $2 AND status = 'SENT'
                    RETURNING tenant_id, channel
                    """, receipt.Provider, receipt.ProviderMessageId, receipt.Delivered ? MessageStatus.Delivered : MessageStatus.Failed,
                    receipt.At, Sql.Typed(receipt.Error, NpgsqlDbType.Text));
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct))
                {
                    matched++;
                    NotificationMetrics.Finished.WithLabels(reader.GetString(0), reader.GetString(1),
                        receipt.Delivered ? "delivered" : "undelivered").Inc();
                }
            }
            return matched;
        }, ct);

    public Task<int> UnbindAsync(string openId, CancellationToken ct) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            var unbound = 0;
            foreach (var sql in new[]
            {
                "UPDATE contact_preferences SET wechat_openid = '', source = 'wechat unsubscribe', update_time = $2 WHERE wechat_openid = $1",
                "UPDATE officials SET wechat_openid = '', update_time = $2 WHERE wechat_openid = $1",
            })
            {
                await using var cmd = Sql.Command(conn, tx, sql, openId, time.GetUtcNow());
                unbound += await cmd.ExecuteNonQueryAsync(ct);
            }
            return unbound;
        }, ct);

    private Task UpdateAsync(DueMessage message, string sql, CancellationToken ct, params object[] values) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = Sql.Command(conn, tx, sql, [message.TenantId, message.MessageId, .. values]);
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
}
