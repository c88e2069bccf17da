using Medins.Notification.Channels;
using Medins.Notification.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Notification.Events;

/// <summary>
/// Turns an event into one message from the tenant's current template, hands it to the template's channel and
/// stores it. Nothing here throws for a tenant's missing or broken template: the event is acknowledged with a
/// warning, because redelivering it could never succeed until someone fixes the template.
/// </summary>
public sealed class TemplatedMessages(IEnumerable<IMessageChannel> channels, TimeProvider time, ILogger<TemplatedMessages> logger)
{
    private readonly Dictionary<string, IMessageChannel> _channels = channels.ToDictionary(c => c.Name);

    public async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid sourceEventId,
        string residentId, string templateKey, IReadOnlyDictionary<string, string> values, CancellationToken ct)
    {
        var template = await LoadTemplateAsync(conn, tx, tenantId, templateKey, ct);
        if (template is null)
        {
            logger.LogWarning("Tenant {TenantId} has no {TemplateKey} template: no message for event {EventId}",
                tenantId, templateKey, sourceEventId);
            return;
        }

        string body;
        try
        {
            body = MessageTemplate.Render(template.Body, values);
        }
        catch (TemplateRenderException ex)
        {
            logger.LogWarning("Tenant {TenantId} template {TemplateKey} v{Version} cannot be rendered for event {EventId}: {Error}",
                tenantId, templateKey, template.Version, sourceEventId, ex.Message);
            return;
        }

        var now = time.GetUtcNow();
        var message = new OutgoingMessage(tenantId, Guid.CreateVersion7(now), residentId, templateKey, body);
        DeliveryResult delivery;
        if (_channels.TryGetValue(template.Channel, out var channel))
        {
            delivery = await channel.SendAsync(message, ct);
        }
        else
        {
            // Kept, not dropped: the channel's adapter can send it once it exists.
            logger.LogInformation("No {Channel} adapter in this process; message {MessageId} stays pending", template.Channel, message.MessageId);
            delivery = new DeliveryResult(MessageStatus.Pending, null);
        }

        // The unique key (tenant, source event, template) keeps one message per event even if the inbox is bypassed.
        await using var insert = new NpgsqlCommand("""
            INSERT INTO messages (tenant_id, message_id, resident_id, template_key, channel, body, status, source_event_id, created_at, sent_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (tenant_id, source_event_id, template_key) DO NOTHING
            """, conn, tx);
        insert.Parameters.Add(new() { Value = tenantId });
        insert.Parameters.Add(new() { Value = message.MessageId });
        insert.Parameters.Add(new() { Value = residentId });
        insert.Parameters.Add(new() { Value = templateKey });
        insert.Parameters.Add(new() { Value = template.Channel });
        insert.Parameters.Add(new() { Value = body });
        insert.Parameters.Add(new() { Value = delivery.Status });
        insert.Parameters.Add(new() { Value = sourceEventId });
        insert.Parameters.Add(new() { Value = now });
        insert.Parameters.Add(new() { Value = delivery.SentAt is { } sentAt ? sentAt : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await insert.ExecuteNonQueryAsync(ct);
    }

    private sealed record StoredTemplate(int Version, string Channel, string Body);

    private static async Task<StoredTemplate?> LoadTemplateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string templateKey, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT version, channel, body FROM templates
            WHERE tenant_id = $1 AND template_key = $2 ORDER BY version DESC LIMIT 1
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = templateKey });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new StoredTemplate(reader.GetInt32(0), reader.GetString(1), reader.GetString(2)) : null;
    }
}
