using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Notification.Campaigns;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Notification.Grpc;

public sealed partial class NotificationGrpcService
{
    private const int MaxCampaignNameLength = 100;

    public override async Task<PreviewReminderCampaignResponse> PreviewReminderCampaign(PreviewReminderCampaignRequest request,
        ServerCallContext context)
    {
        var validator = new RequestValidator();
        var target = ValidTarget(request.Target, validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var counts = await CountAsync(tenantId, target!, context.CancellationToken);
        return new PreviewReminderCampaignResponse { Counts = ToProto(counts) };
    }

    public override async Task<CreateReminderCampaignResponse> CreateReminderCampaign(CreateReminderCampaignRequest request,
        ServerCallContext context)
    {
        var validator = new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Require(request.Name, "name")
            .Check(request.Name.Length <= MaxCampaignNameLength, "name", $"must be at most {MaxCampaignNameLength} characters");
        var target = ValidTarget(request.Target, validator);
        var templateKey = request.TemplateKey.Length == 0 ? TemplateKeys.Reminder : request.TemplateKey;
        validator.Check(TemplateKeys.IsReminder(templateKey), "template_key", "must be \"reminder\" or \"reminder-<wording>\"");
        var deadline = request.Deadline.ToDateOnly();
        validator.Check(deadline is not null, "deadline", "is required (a calendar date)");
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var now = time.GetUtcNow();
        var sendTime = request.SendTime is null ? now : request.SendTime.ToDateTimeOffset();
        if (deadline < MessageTemplate.ShanghaiDate(now))
            throw RpcErrors.InvalidArgument("DEADLINE_PASSED",
                $"The deadline {ClerkText.Date(deadline.Value)} is already past (today is {ClerkText.Date(now)} in Beijing).",
                $"截止日期 {ClerkText.Date(deadline.Value)} 已经过去（今天是 {ClerkText.Date(now)}）。请改为今天或以后、征缴期结束之前的日期。",
                ("deadline", "is before today (Asia/Shanghai)"));

        // Read before the transaction: the period is quota-tracking's, over gRPC.
        var period = await collectionPeriods.ForAsync(tenantId, target!.CoverageYear, ct);
        if (deadline > period.Closes || deadline < period.Opens)
        {
            var lastDay = period.Closes.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var badRequest = new Google.Rpc.BadRequest();
            badRequest.FieldViolations.Add(new Google.Rpc.BadRequest.Types.FieldViolation
            {
                Field = "deadline",
                Description = $"must fall within the collection period of coverage year {target.CoverageYear}, "
                    + $"{period.Opens:yyyy-MM-dd} to {lastDay}",
            });
            throw RpcErrors.Build(Google.Rpc.Code.InvalidArgument, "DEADLINE_OUTSIDE_COLLECTION_PERIOD",
                $"The deadline {deadline.Value:yyyy-MM-dd} is outside the collection period; the last payment day is {lastDay}.", badRequest,
                new Dictionary<string, string>
                {
                    ["last_payment_day"] = lastDay,
                    ["first_payment_day"] = period.Opens.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                },
                $"截止日期 {ClerkText.Date(deadline.Value)} 不在 {target.CoverageYear} 年度征缴期内（{ClerkText.Date(period.Opens)} 至 {lastDay}）。"
                + $"请改为这段时间内的日期，最晚 {lastDay}。");
        }

        // The template must exist before anything is promised to anyone.
        var hasTemplate = await db.InTenantAsync(tenantId, async (conn, tx) =>
            (await TemplateStore.CurrentAsync(conn, tx, tenantId, templateKey, ct)).Count > 0, ct);
        if (!hasTemplate)
            throw RpcErrors.FailedPrecondition("TEMPLATE_NOT_FOUND", $"This tenant has no '{templateKey}' template; publish one first.");

        // Counted before the transaction: the ledger is another service's, read over gRPC.
        var counts = await CountAsync(tenantId, target!, ct);
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(CreateReminderCampaign), request.RequestId, request,
                CreateReminderCampaignResponse.Parser, async () =>
                {
                    var campaignId = Guid.CreateVersion7(now);
                    await using var insert = new NpgsqlCommand("""
                        INSERT INTO campaigns (tenant_id, campaign_id, name, ledger, coverage_year, village_code, template_key, deadline,
                                               send_time, state, preview_on_ledger, preview_opted_out, preview_no_contact, created_by, create_time)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'SCHEDULED', $10, $11, $12, $13, $14)
                        """, conn, tx);
                    insert.Parameters.Add(new() { Value = tenantId });
                    insert.Parameters.Add(new() { Value = campaignId });
                    insert.Parameters.Add(new() { Value = request.Name });
                    insert.Parameters.Add(new() { Value = (int)target!.Ledger });
                    insert.Parameters.Add(new() { Value = target.CoverageYear });
                    insert.Parameters.Add(new() { Value = target.VillageCode });
                    insert.Parameters.Add(new() { Value = templateKey });
                    insert.Parameters.Add(new() { Value = deadline!.Value });
                    insert.Parameters.Add(new() { Value = sendTime });
                    insert.Parameters.Add(new() { Value = counts.OnLedger });
                    insert.Parameters.Add(new() { Value = counts.OptedOut });
                    insert.Parameters.Add(new() { Value = counts.NoContact });
                    insert.Parameters.Add(new() { Value = tenant.Client });
                    insert.Parameters.Add(new() { Value = now });
                    await insert.ExecuteNonQueryAsync(ct);
                    return new CreateReminderCampaignResponse { Campaign = await ReadCampaignAsync(conn, tx, tenantId, campaignId, ct) };
                }, ct), ct);
    }

    public override async Task<GetReminderCampaignResponse> GetReminderCampaign(GetReminderCampaignRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator().Require(request.CampaignId, "campaign_id");
        var campaignId = ParseId(request.CampaignId, "campaign_id", validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var campaign = await db.InTenantAsync(tenantId, (conn, tx) =>
            ReadCampaignAsync(conn, tx, tenantId, campaignId, context.CancellationToken), context.CancellationToken);
        return new GetReminderCampaignResponse { Campaign = campaign };
    }

    public override async Task<ListReminderCampaignsResponse> ListReminderCampaigns(ListReminderCampaignsRequest request,
        ServerCallContext context)
    {
        new RequestValidator().Check(request.PageSize >= 0, "page_size", "must not be negative").ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var after = MessagePageToken.Decode(request.PageToken, "campaigns");
        var pageSize = MessagePageToken.PageSize(request.PageSize);
        var ct = context.CancellationToken;
        var page = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var ids = new List<(Guid Id, DateTimeOffset Created)>();
            await using (var cmd = new NpgsqlCommand("""
                SELECT campaign_id, create_time FROM campaigns
                WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (create_time, campaign_id) < ($2, $3))
                ORDER BY create_time DESC, campaign_id DESC
                LIMIT $4
                """, conn, tx))
            {
                cmd.Parameters.Add(new() { Value = tenantId });
                cmd.Parameters.Add(new() { Value = after is null ? DBNull.Value : after.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                cmd.Parameters.Add(new() { Value = after is null ? DBNull.Value : after.MessageId, NpgsqlDbType = NpgsqlDbType.Uuid });
                cmd.Parameters.Add(new() { Value = pageSize + 1 });
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) ids.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1)));
            }
            var list = new List<(ReminderCampaign Campaign, DateTimeOffset Created)>();
            foreach (var (id, created) in ids) list.Add((await ReadCampaignAsync(conn, tx, tenantId, id, ct), created));
            return list;
        }, ct);
        var response = new ListReminderCampaignsResponse();
        response.Campaigns.AddRange(page.Take(pageSize).Select(p => p.Campaign));
        if (page.Count > pageSize)
        {
            var last = page[pageSize - 1];
            response.NextPageToken = MessagePageToken.After("campaigns", last.Created, Guid.Parse(last.Campaign.CampaignId)).Encode();
        }
        return response;
    }

    public override async Task<CancelReminderCampaignResponse> CancelReminderCampaign(CancelReminderCampaignRequest request,
        ServerCallContext context)
    {
        var validator = new RequestValidator().Require(request.RequestId, "request_id").Require(request.CampaignId, "campaign_id");
        var campaignId = ParseId(request.CampaignId, "campaign_id", validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(CancelReminderCampaign), request.RequestId, request,
                CancelReminderCampaignResponse.Parser, async () =>
                {
                    var state = await CampaignRunner.StateAsync(conn, tx, tenantId, campaignId, forShare: false, ct)
                        ?? throw RpcErrors.NotFound("CAMPAIGN_NOT_FOUND", $"No reminder campaign {campaignId}.");
                    if (state is CampaignStates.Completed or CampaignStates.Cancelled)
                        throw RpcErrors.FailedPrecondition("CAMPAIGN_FINISHED", $"Campaign {campaignId} is already {state.ToLowerInvariant()}.",
                            state == CampaignStates.Cancelled ? "这次催缴通知已经取消，无需再取消。" : "这次催缴通知已经发送完毕，不能再取消。");
                    foreach (var sql in new[]
                    {
                        "UPDATE campaigns SET state = 'CANCELLED', claimed_until = NULL WHERE tenant_id = $1 AND campaign_id = $2",
                        """
                        UPDATE messages SET status = 'SKIPPED', skip_reason = 'CAMPAIGN_CANCELLED', next_attempt_at = NULL
                        WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'PENDING'
                        """,
                    })
                    {
                        await using var cancel = new NpgsqlCommand(sql, conn, tx);
                        cancel.Parameters.Add(new() { Value = tenantId });
                        cancel.Parameters.Add(new() { Value = campaignId });
                        await cancel.ExecuteNonQueryAsync(ct);
                    }
                    return new CancelReminderCampaignResponse { Campaign = await ReadCampaignAsync(conn, tx, tenantId, campaignId, ct) };
                }, ct), ct);
    }

    private async Task<CampaignCountsRow> CountAsync(string tenantId, CampaignTargetSpec target, CancellationToken ct)
    {
        try
        {
            return await campaigns.CountAsync(tenantId, target, ct);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition)
        {
            // The registry's own refusal (an unknown village, say) is the caller's mistake; pass it on with its reason.
            throw new RpcException(ex.Status, ex.Trailers);
        }
        catch (RpcException ex)
        {
            throw RpcErrors.Unavailable("UPSTREAM_UNAVAILABLE", $"identity-registry could not list the ledger: {ex.StatusCode}; retry.");
        }
    }

    private static CampaignTargetSpec? ValidTarget(CampaignTarget? target, RequestValidator validator)
    {
        if (target is null)
        {
            validator.Check(false, "target", "is required");
            return null;
        }
        validator
            .Check(target.Ledger != Ledger.Unspecified && System.Enum.IsDefined(target.Ledger), "target.ledger", "must name one of the ledgers")
            .Check(target.CoverageYear is >= 2000 and <= 2100, "target.coverage_year", "must be a coverage year")
            .Check(target.VillageCode.Length == 0 || (target.VillageCode.Length == 12 && target.VillageCode.All(char.IsAsciiDigit)),
                "target.village_code", "must be a 12-digit village code or empty");
        return new CampaignTargetSpec(target.Ledger, target.CoverageYear, target.VillageCode);
    }

    private static CampaignCounts ToProto(CampaignCountsRow counts) => new()
    {
        OnLedger = counts.OnLedger,
        OptedOut = counts.OptedOut,
        NoContact = counts.NoContact,
        ToSend = counts.ToSend,
    };

    private static async Task<ReminderCampaign> ReadCampaignAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid campaignId, CancellationToken ct)
    {
        ReminderCampaign campaign;
        await using (var cmd = new NpgsqlCommand("""
            SELECT name, ledger, coverage_year, village_code, template_key, deadline, send_time, state,
                   preview_on_ledger, preview_opted_out, preview_no_contact, created_by, create_time
            FROM campaigns WHERE tenant_id = $1 AND campaign_id = $2
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = campaignId });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) throw RpcErrors.NotFound("CAMPAIGN_NOT_FOUND", $"No reminder campaign {campaignId}.");
            campaign = new ReminderCampaign
            {
                CampaignId = campaignId.ToString(),
                Name = reader.GetString(0),
                Target = new CampaignTarget { Ledger = (Ledger)reader.GetInt32(1), CoverageYear = reader.GetInt32(2), VillageCode = reader.GetString(3) },
                TemplateKey = reader.GetString(4),
                Deadline = reader.GetFieldValue<DateOnly>(5).ToProtoDate(),
                SendTime = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(6)),
                State = reader.GetString(7) switch
                {
                    CampaignStates.Scheduled => CampaignState.Scheduled,
                    CampaignStates.Sending => CampaignState.Sending,
                    CampaignStates.Completed => CampaignState.Completed,
                    CampaignStates.Cancelled => CampaignState.Cancelled,
                    _ => CampaignState.Unspecified,
                },
                Preview = ToProto(new CampaignCountsRow(reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10))),
                CreatedBy = reader.GetString(11),
                CreateTime = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(12)),
            };
        }

        var delivery = new DeliveryCounts();
        await using (var cmd = new NpgsqlCommand("""
            SELECT status, coalesce(skip_reason, ''), count(*) FROM messages
            WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY 1, 2
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = campaignId });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var count = reader.GetInt64(2);
                switch (reader.GetString(0))
                {
                    case Channels.MessageStatus.Pending: delivery.Pending += count; break;
                    case Channels.MessageStatus.Sent: delivery.Sent += count; break;
                    case Channels.MessageStatus.Delivered: delivery.Delivered += count; break;
                    case Channels.MessageStatus.Failed: delivery.Failed += count; break;
                    case Channels.MessageStatus.Skipped:
                        delivery.Skipped += count;
                        // Stored reasons are the proto names without their prefix.
                        delivery.SkippedByReason["SKIP_REASON_" + reader.GetString(1)] = count;
                        break;
                }
            }
        }
        campaign.Delivery = delivery;
        return campaign;
    }
}
