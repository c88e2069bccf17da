using Medins.Notification.Data;
using Medins.Notification.Messages;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>
/// Writes one message of a key to every active official of a role for a division, in the event's transaction. An
/// event that reaches no one is acknowledged all the same (a redelivery would find no one either), but logged and
/// counted, so a village without a head is noticed.
/// </summary>
public sealed class OfficialAlerts(MessageWriter writer, TimeProvider time, ILogger<OfficialAlerts> logger)
{
    /// <summary>Whether the event may be acted on: its data names the tenant it was delivered for (or none).</summary>
    public bool SameTenant(string topic, Guid eventId, string envelopeTenant, string dataTenant) =>
        ResidentEvent.SameTenant(logger, topic, eventId, envelopeTenant, dataTenant);

    /// <summary>The number of officials the message was written for.</summary>
    public async Task<int> SendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string divisionCode, string role,
        string templateKey, IReadOnlyDictionary<string, string> values, Guid eventId, CancellationToken ct)
    {
        var officials = await ContactBook.ActiveOfficialsAsync(conn, tx, tenantId, divisionCode, role, ct);
        if (officials.Count == 0)
        {
            logger.LogWarning("No {TemplateKey} for event {EventId}: tenant {TenantId} has no active {Role} for {DivisionCode}",
                templateKey, eventId, tenantId, role, divisionCode);
            NotificationMetrics.Unaddressed.WithLabels(tenantId, templateKey).Inc();
            return 0;
        }
        var now = time.GetUtcNow();
        foreach (var official in officials)
            await writer.EnqueueAsync(conn, tx, new NewMessage(tenantId, RecipientKinds.Official, official.OfficialId, templateKey,
                values, now, SourceEventId: eventId), ct);
        return officials.Count;
    }
}
