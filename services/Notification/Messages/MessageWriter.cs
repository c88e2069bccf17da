using Medins.Notification.Channels;
using Medins.Notification.Data;
using Medins.Notification.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Messages;

/// <summary>A message to create: who, which template, with what values, caused by what, due when.</summary>
public sealed record NewMessage(
    string TenantId,
    string RecipientKind,
    string RecipientId,
    string TemplateKey,
    IReadOnlyDictionary<string, string> Values,
    DateTimeOffset DueAt,
    Guid? SourceEventId = null,
    Guid? CampaignId = null);

public enum EnqueueOutcome
{
    Queued,
    /// <summary>Stored as SKIPPED (opted out), so counts show it.</summary>
    Skipped,
    /// <summary>The event or campaign already gave this recipient this message.</summary>
    Duplicate,
    NoTemplate,
    TemplateBroken,
}

/// <summary>
/// Creates messages, in the caller's transaction: picks the channel (WeChat where the recipient bound it and the
/// key has a WeChat template, otherwise SMS), renders the template in use, applies opt-out, and makes the message due
/// at the first moment outside the tenant's quiet hours. Sending is the dispatcher's work, outside any transaction,
/// so a rolled-back event never leaves a message sent.
/// </summary>
public sealed class MessageWriter(TimeProvider time, ILogger<MessageWriter> logger)
{
    /// <summary>One message; reads what it needs itself.</summary>
    public async Task<EnqueueOutcome> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, NewMessage message, CancellationToken ct)
    {
        var batch = await BatchAsync(conn, tx, message.TenantId, message.TemplateKey, ct);
        return await batch.EnqueueAsync(conn, tx, message, await RecipientAsync(conn, tx, message, ct), ct);
    }

    /// <summary>
    /// The tenant's templates of a key and quiet hours, read once for many messages (a campaign page); the caller reads
    /// the recipients' preferences in bulk and passes each one's.
    /// </summary>
    public async Task<MessageBatch> BatchAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string templateKey,
        CancellationToken ct) =>
        new(await TemplateStore.CurrentAsync(conn, tx, tenantId, templateKey, ct),
            await ContactBook.QuietHoursAsync(conn, tx, tenantId, ct), time, logger);

    private static async Task<RecipientFacts> RecipientAsync(NpgsqlConnection conn, NpgsqlTransaction tx, NewMessage message,
        CancellationToken ct)
    {
        if (message.RecipientKind == RecipientKinds.Resident)
            return RecipientFacts.Of(await ContactBook.PreferenceAsync(conn, tx, message.TenantId, message.RecipientId, ct));
        var official = await ContactBook.OfficialAsync(conn, tx, message.TenantId, message.RecipientId, ct);
        return new RecipientFacts(OptOut.None, official is { WeChatOpenId.Length: > 0 });
    }
}

/// <summary>What decides a message's channel and whether it is sent at all: her opt-out and whether she bound WeChat.</summary>
public sealed record RecipientFacts(string OptOut, bool WeChatBound)
{
    public static RecipientFacts Of(ContactPreferenceRow? preference) =>
        new(preference?.OptOut ?? Domain.OptOut.None, preference is { WeChatOpenId.Length: > 0 });
}

/// <summary>Messages of one key for one tenant, sharing its templates and quiet hours.</summary>
public sealed class MessageBatch(IReadOnlyList<StoredTemplate> templates, QuietHours quiet, TimeProvider time, ILogger logger)
{
    public async Task<EnqueueOutcome> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, NewMessage message,
        RecipientFacts recipient, CancellationToken ct)
    {
        var template = (recipient.WeChatBound ? templates.FirstOrDefault(t => t.Channel == ChannelNames.WeChat) : null)
            ?? templates.FirstOrDefault(t => t.Channel == ChannelNames.Sms)
            ?? templates.FirstOrDefault();
        if (template is null)
        {
            logger.LogWarning("Tenant {TenantId} has no {TemplateKey} template: no message to {RecipientKind} {RecipientId}",
                message.TenantId, message.TemplateKey, message.RecipientKind, message.RecipientId);
            return EnqueueOutcome.NoTemplate;
        }

        string body;
        string[] providerValues;
        try
        {
            body = MessageTemplate.Render(template.Body, message.Values);
            var missing = template.PlaceholderNames.Where(n => !message.Values.ContainsKey(n)).ToList();
            if (missing.Count > 0) throw new TemplateRenderException(missing);
            providerValues = template.PlaceholderNames.Select(n => MessageTemplate.ScrubIdNumbers(message.Values[n])).ToArray();
        }
        catch (TemplateRenderException ex)
        {
            logger.LogWarning("Tenant {TenantId} template {TemplateKey} v{Version} cannot be rendered: {Error}",
                message.TenantId, message.TemplateKey, template.Version, ex.Message);
            return EnqueueOutcome.TemplateBroken;
        }

        var skip = OptOut.Excludes(recipient.OptOut, message.TemplateKey) ? SkipReasons.OptedOut : null;
        var now = time.GetUtcNow();
        var due = quiet.NextAllowed(template.Channel, message.DueAt < now ? now : message.DueAt);

        var stored = new MessageRow(message.TenantId, Guid.CreateVersion7(now), message.RecipientKind, message.RecipientId,
            message.TemplateKey, template.Version, template.Channel, body, providerValues, skip, message.SourceEventId, message.CampaignId,
            now, skip is null ? due : null);
        if (!await MessageStore.InsertAsync(conn, tx, stored, ct)) return EnqueueOutcome.Duplicate;
        NotificationMetrics.Created.WithLabels(message.TenantId, message.TemplateKey, skip is null ? "queued" : "skipped").Inc();
        return skip is null ? EnqueueOutcome.Queued : EnqueueOutcome.Skipped;
    }
}
