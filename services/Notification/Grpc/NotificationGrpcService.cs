using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Campaigns;
using Medins.Notification.Channels;
using Medins.Notification.Data;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Paging;
using Medins.Platform.Hosting.Tenancy;

namespace Medins.Notification.Grpc;

/// <summary>Messages, templates, officials, contact preferences and reminder campaigns of the caller's tenant.</summary>
public sealed partial class NotificationGrpcService(PlatformDatabase db, TenantContext tenant, RequestLog requestLog,
    TimeProvider time, CampaignRunner campaigns, CollectionPeriods collectionPeriods)
    : NotificationService.NotificationServiceBase
{
    public override async Task<ListMessagesResponse> ListMessages(ListMessagesRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator()
            .Check(request.ResidentId.Length <= 64, "resident_id", "must be at most 64 characters")
            .Check(request.OfficialId.Length <= 64, "official_id", "must be at most 64 characters")
            .Check(request.ResidentId.Length == 0 || request.OfficialId.Length == 0, "official_id", "cannot be combined with resident_id")
            .CheckPageSize(request.PageSize);
        var campaignId = request.CampaignId.Length == 0 ? (Guid?)null : ParseId(request.CampaignId, "campaign_id", validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var (kind, recipient) = request.OfficialId.Length > 0 ? (RecipientKinds.Official, request.OfficialId)
            : request.ResidentId.Length > 0 ? (RecipientKinds.Resident, request.ResidentId) : ("", "");
        var filter = $"{kind}|{recipient}|{request.CampaignId}";
        var after = DecodeNewestFirst(request.PageToken, "messages", filter);
        var pageSize = PageTokens.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, (conn, tx) => MessageStore.ListAsync(conn, tx, tenantId, kind, recipient, campaignId,
            after, pageSize + 1, context.CancellationToken), context.CancellationToken);

        // One row more than the page tells whether another exists.
        var response = new ListMessagesResponse();
        response.Messages.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1];
            response.NextPageToken = EncodeNewestFirst("messages", filter, last.CreatedAt, last.MessageId);
        }
        return response;
    }

    private static Message ToProto(StoredMessage row)
    {
        var isResident = row.RecipientKind == RecipientKinds.Resident;
        return new Message
        {
            MessageId = row.MessageId.ToString(),
            RecipientKind = isResident ? RecipientKind.Resident : RecipientKind.Official,
            ResidentId = isResident ? row.RecipientId : "",
            OfficialId = isResident ? "" : row.RecipientId,
            Template = row.TemplateKey,
            Channel = ToProtoChannel(row.Channel),
            Body = row.Body,
            Status = ToProtoStatus(row.Status),
            CreateTime = Timestamp.FromDateTimeOffset(row.CreatedAt),
            SourceEventId = row.SourceEventId?.ToString() ?? "",
            CampaignId = row.CampaignId?.ToString() ?? "",
            TemplateVersion = row.TemplateVersion,
            SkipReason = row.SkipReason is null ? SkipReason.Unspecified : ToProtoSkipReason(row.SkipReason),
            Attempts = row.Attempts,
            NextAttemptTime = Time(row.NextAttemptAt),
            SentTime = Time(row.SentAt),
            DeliveredTime = Time(row.DeliveredAt),
            LastError = row.LastError ?? "",
        };
    }

    /// <summary>
    /// The last key of a list ordered newest first (creation time, then id) from its page token; null for the first page.
    /// </summary>
    private static (DateTimeOffset CreatedAt, Guid Id)? DecodeNewestFirst(string token, string list, string filter)
    {
        var key = PageTokens.Decode(token, list, filter, keyLength: 2);
        if (key.Length == 0) return null;
        if (!long.TryParse(key[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var micros)
            || !Guid.TryParseExact(key[1], "N", out var id) || id == Guid.Empty)
            throw PageTokens.Invalid();
        return (DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond), id);
    }

    /// <summary>The token of the page after a row; the time in microseconds, as PostgreSQL keeps it.</summary>
    private static string EncodeNewestFirst(string list, string filter, DateTimeOffset createdAt, Guid id) =>
        PageTokens.Encode(list, filter,
            ((createdAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond).ToString(CultureInfo.InvariantCulture),
            id.ToString("N"));

    private static Timestamp? Time(DateTimeOffset? at) => at is { } value ? Timestamp.FromDateTimeOffset(value) : null;

    private static Guid ParseId(string value, string field, RequestValidator validator)
    {
        var ok = Guid.TryParse(value, out var id);
        validator.Check(ok, field, "must be an id this service issued");
        return id;
    }

    internal static MessageChannel ToProtoChannel(string channel) => channel switch
    {
        ChannelNames.Sms => MessageChannel.Sms,
        ChannelNames.WeChat => MessageChannel.Wechat,
        ChannelNames.Letter => MessageChannel.Letter,
        _ => MessageChannel.Unspecified,
    };

    internal static string? FromProtoChannel(MessageChannel channel) => channel switch
    {
        MessageChannel.Sms => ChannelNames.Sms,
        MessageChannel.Wechat => ChannelNames.WeChat,
        MessageChannel.Letter => ChannelNames.Letter,
        _ => null,
    };

    private static DeliveryStatus ToProtoStatus(string status) => status switch
    {
        MessageStatus.Pending => DeliveryStatus.Pending,
        MessageStatus.Sent => DeliveryStatus.Sent,
        MessageStatus.Delivered => DeliveryStatus.Delivered,
        MessageStatus.Failed => DeliveryStatus.Failed,
        MessageStatus.Skipped => DeliveryStatus.Skipped,
        _ => DeliveryStatus.Unspecified,
    };

    internal static SkipReason ToProtoSkipReason(string reason) =>
        System.Enum.TryParse<SkipReason>(reason.Replace("_", ""), ignoreCase: true, out var parsed) ? parsed : SkipReason.Unspecified;
}
