using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Campaigns;
using Medins.Notification.Channels;
using Medins.Notification.Messages;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;
using NpgsqlTypes;

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
            .Check(request.PageSize >= 0, "page_size", "must not be negative");
        var campaignId = request.CampaignId.Length == 0 ? (Guid?)null : ParseId(request.CampaignId, "campaign_id", validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var (kind, recipient) = request.OfficialId.Length > 0 ? (RecipientKinds.Official, request.OfficialId)
            : request.ResidentId.Length > 0 ? (RecipientKinds.Resident, request.ResidentId) : ("", "");
        var filter = $"{kind}|{recipient}|{request.CampaignId}";
        var after = MessagePageToken.Decode(request.PageToken, filter);
        var pageSize = MessagePageToken.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            // Keyset paging on (created_at, message_id) descending; one row more than the page tells whether another exists.
            await using var cmd = new NpgsqlCommand("""
                SELECT message_id, recipient_kind, recipient_id, template_key, channel, body, status, created_at, source_event_id,
                       campaign_id, template_version, skip_reason, attempts, next_attempt_at, sent_at, delivered_at, last_error
                FROM messages
                WHERE tenant_id = $1
                  AND ($2 = '' OR (recipient_kind = $2 AND recipient_id = $3))
                  AND ($4::uuid IS NULL OR campaign_id = $4)
                  AND ($5::timestamptz IS NULL OR (created_at, message_id) < ($5, $6))
                ORDER BY created_at DESC, message_id DESC
                LIMIT $7
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = kind });
            cmd.Parameters.Add(new() { Value = recipient });
            cmd.Parameters.Add(new() { Value = campaignId is { } c ? c : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new() { Value = after is null ? DBNull.Value : after.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new() { Value = after is null ? DBNull.Value : after.MessageId, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new() { Value = pageSize + 1 });
            var list = new List<(Message Message, DateTimeOffset CreatedAt)>();
            await using var reader = await cmd.ExecuteReaderAsync(context.CancellationToken);
            while (await reader.ReadAsync(context.CancellationToken))
            {
                var createdAt = reader.GetFieldValue<DateTimeOffset>(7);
                var isResident = reader.GetString(1) == RecipientKinds.Resident;
                list.Add((new Message
                {
                    MessageId = reader.GetGuid(0).ToString(),
                    RecipientKind = isResident ? RecipientKind.Resident : RecipientKind.Official,
                    ResidentId = isResident ? reader.GetString(2) : "",
                    OfficialId = isResident ? "" : reader.GetString(2),
                    Template = reader.GetString(3),
                    Channel = ToProtoChannel(reader.GetString(4)),
                    Body = reader.GetString(5),
                    Status = ToProtoStatus(reader.GetString(6)),
                    CreateTime = Timestamp.FromDateTimeOffset(createdAt),
                    SourceEventId = reader.IsDBNull(8) ? "" : reader.GetGuid(8).ToString(),
                    CampaignId = reader.IsDBNull(9) ? "" : reader.GetGuid(9).ToString(),
                    TemplateVersion = reader.GetInt32(10),
                    SkipReason = reader.IsDBNull(11) ? SkipReason.Unspecified : ToProtoSkipReason(reader.GetString(11)),
                    Attempts = reader.GetInt32(12),
                    NextAttemptTime = Time(reader, 13),
                    SentTime = Time(reader, 14),
                    DeliveredTime = Time(reader, 15),
                    LastError = reader.IsDBNull(16) ? "" : reader.GetString(16),
                }, createdAt));
            }
            return list;
        }, context.CancellationToken);

        var response = new ListMessagesResponse();
        response.Messages.AddRange(rows.Take(pageSize).Select(r => r.Message));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1];
            response.NextPageToken = MessagePageToken.After(filter, last.CreatedAt, Guid.Parse(last.Message.MessageId)).Encode();
        }
        return response;
    }

    private static Timestamp? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(ordinal));

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
