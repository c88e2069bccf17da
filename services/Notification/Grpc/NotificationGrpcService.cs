using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Channels;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Notification.Grpc;

/// <summary>Lists the tenant's messages, newest first, optionally for one resident.</summary>
public sealed class NotificationGrpcService(PlatformDatabase db, TenantContext tenant)
    : NotificationService.NotificationServiceBase
{
    public override async Task<ListMessagesResponse> ListMessages(ListMessagesRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(request.ResidentId.Length <= 64, "resident_id", "must be at most 64 characters")
            .Check(request.PageSize >= 0, "page_size", "must not be negative")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var after = MessagePageToken.Decode(request.PageToken, request.ResidentId);
        var pageSize = MessagePageToken.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            // Keyset paging on (created_at, message_id) descending; one row more than the page tells whether another exists.
            await using var cmd = new NpgsqlCommand("""
                SELECT message_id, resident_id, template_key, channel, body, status, created_at, source_event_id
                FROM messages
                WHERE tenant_id = $1
                  AND ($2 = '' OR resident_id = $2)
                  AND ($3::timestamptz IS NULL OR (created_at, message_id) < ($3, $4))
                ORDER BY created_at DESC, message_id DESC
                LIMIT $5
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = request.ResidentId });
            cmd.Parameters.Add(new() { Value = after is null ? DBNull.Value : after.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new() { Value = after is null ? DBNull.Value : after.MessageId, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new() { Value = pageSize + 1 });
            var list = new List<(Message Message, DateTimeOffset CreatedAt)>();
            await using var reader = await cmd.ExecuteReaderAsync(context.CancellationToken);
            while (await reader.ReadAsync(context.CancellationToken))
            {
                var createdAt = reader.GetFieldValue<DateTimeOffset>(6);
                list.Add((new Message
                {
                    MessageId = reader.GetGuid(0).ToString(),
                    ResidentId = reader.GetString(1),
                    Template = reader.GetString(2),
                    Channel = ToProtoChannel(reader.GetString(3)),
                    Body = reader.GetString(4),
                    Status = ToProtoStatus(reader.GetString(5)),
                    CreateTime = Timestamp.FromDateTimeOffset(createdAt),
                    SourceEventId = reader.GetGuid(7).ToString(),
                }, createdAt));
            }
            return list;
        }, context.CancellationToken);

        var response = new ListMessagesResponse();
        response.Messages.AddRange(rows.Take(pageSize).Select(r => r.Message));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1];
            response.NextPageToken = MessagePageToken.After(request.ResidentId, last.CreatedAt, Guid.Parse(last.Message.MessageId)).Encode();
        }
        return response;
    }

    private static MessageChannel ToProtoChannel(string channel) => channel switch
    {
        ChannelNames.Sms => MessageChannel.Sms,
        ChannelNames.WeChat => MessageChannel.Wechat,
        ChannelNames.Letter => MessageChannel.Letter,
        ChannelNames.LocalSink => MessageChannel.LocalSink,
        _ => MessageChannel.Unspecified,
    };

    private static DeliveryStatus ToProtoStatus(string status) => status switch
    {
        MessageStatus.Pending => DeliveryStatus.Pending,
        MessageStatus.Sent => DeliveryStatus.Sent,
        MessageStatus.Failed => DeliveryStatus.Failed,
        _ => DeliveryStatus.Unspecified,
    };
}
