using Medins.Notification.Channels;
using Medins.Notification.V1;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Notification.Data;

/// <summary>Recipient kinds as stored.</summary>
public static class RecipientKinds
{
    public const string Resident = "RESIDENT";
    public const string Official = "OFFICIAL";
}

/// <summary>
/// Skip reasons as stored: the proto's <see cref="SkipReason"/> names without their prefix, read from the contract so the
/// stored words cannot drift from it (and no reason-shaped literal stands in the source).
/// </summary>
public static class SkipReasons
{
    public static readonly string OptedOut = Stored(SkipReason.OptedOut);
    public static readonly string Deceased = Stored(SkipReason.Deceased);
    public static readonly string Deregistered = Stored(SkipReason.Deregistered);
    public static readonly string NoContact = Stored(SkipReason.NoContact);
    public static readonly string AlreadyEnrolled = Stored(SkipReason.AlreadyEnrolled);
    public static readonly string CampaignCancelled = Stored(SkipReason.CampaignCancelled);
    public static readonly string UnknownResident = Stored(SkipReason.UnknownResident);
    public static readonly string ExcusedByRefund = Stored(SkipReason.ExcusedByRefund);

    private static string Stored(SkipReason reason) => StoredNames.Of(reason);
}

/// <summary>A new message as stored: PENDING and due at <see cref="NextAttemptAt"/>, or SKIPPED for <see cref="SkipReason"/>.</summary>
public sealed record MessageRow(
    string TenantId,
    Guid MessageId,
    string RecipientKind,
    string RecipientId,
    string TemplateKey,
    int TemplateVersion,
    string Channel,
    string Body,
    string[] ProviderValues,
    string? SkipReason,
    Guid? SourceEventId,
    Guid? CampaignId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt);

/// <summary>A message as listed, with what became of it.</summary>
public sealed record StoredMessage(
    Guid MessageId,
    string RecipientKind,
    string RecipientId,
    string TemplateKey,
    string Channel,
    string Body,
    string Status,
    DateTimeOffset CreatedAt,
    Guid? SourceEventId,
    Guid? CampaignId,
    int TemplateVersion,
    string? SkipReason,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? DeliveredAt,
    string? LastError);

/// <summary>Messages of a tenant: created in the caller's transaction, listed newest first.</summary>
public static class MessageStore
{
    /// <summary>Stores a new message; false when the event or campaign already gave this recipient this message.</summary>
    public static async Task<bool> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, MessageRow message, CancellationToken ct)
    {
        await using var insert = Sql.Command(conn, tx, """
            INSERT INTO messages (tenant_id, message_id, recipient_kind, recipient_id, template_key, template_version, channel,
                                  body, provider_values, status, skip_reason, source_event_id, campaign_id, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT DO NOTHING
            """, message.TenantId, message.MessageId, message.RecipientKind, message.RecipientId, message.TemplateKey,
            message.TemplateVersion, message.Channel, message.Body, message.ProviderValues,
            message.SkipReason is null ? MessageStatus.Pending : MessageStatus.Skipped,
            Sql.Typed(message.SkipReason, NpgsqlDbType.Text), Sql.Typed(message.SourceEventId, NpgsqlDbType.Uuid),
            Sql.Typed(message.CampaignId, NpgsqlDbType.Uuid), message.CreatedAt, Sql.Typed(message.NextAttemptAt, NpgsqlDbType.TimestampTz));
        return await insert.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>
    /// A page of messages, newest first (keyset on creation time and id, after <paramref name="after"/>): all of the
    /// tenant's, one recipient's (<paramref name="recipientKind"/> "" for all) or one campaign's.
    /// </summary>
    public static async Task<IReadOnlyList<StoredMessage>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string recipientKind, string recipientId, Guid? campaignId, (DateTimeOffset CreatedAt, Guid MessageId)? after, int limit,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT message_id, recipient_kind, recipient_id, template_key, channel, body, status, created_at, source_event_id,
                   campaign_id, template_version, skip_reason, attempts, next_attempt_at, sent_at, delivered_at, last_error
            FROM messages
            WHERE tenant_id = $1
              AND ($2 = '' OR (recipient_kind = $2 AND recipient_id = $3))
              AND ($4::uuid IS NULL OR campaign_id = $4)
              AND ($5::timestamptz IS NULL OR (created_at, message_id) < ($5, $6))
            ORDER BY created_at DESC, message_id DESC
            LIMIT $7
            """, tenantId, recipientKind, recipientId, Sql.Typed(campaignId, NpgsqlDbType.Uuid),
            Sql.Typed(after?.CreatedAt, NpgsqlDbType.TimestampTz), Sql.Typed(after?.MessageId, NpgsqlDbType.Uuid), limit);
        var list = new List<StoredMessage>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new StoredMessage(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetGuid(8), reader.IsDBNull(9) ? null : reader.GetGuid(9), reader.GetInt32(10),
                reader.IsDBNull(11) ? null : reader.GetString(11), reader.GetInt32(12), Time(reader, 13), Time(reader, 14),
                Time(reader, 15), reader.IsDBNull(16) ? null : reader.GetString(16)));
        return list;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
