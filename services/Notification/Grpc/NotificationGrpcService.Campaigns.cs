using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Notification.Campaigns;
using Medins.Notification.Channels;
using Medins.Notification.Data;
using Medins.Notification.Delivery;
using Medins.Notification.Domain;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using Medins.Platform.Hosting.Paging;
using Npgsql;
using ErrorReason = Medins.Notification.V1.ErrorReason;

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
            throw RpcErrors.InvalidArgument(ErrorReason.DeadlinePassed,
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
            throw RpcErrors.Build(Google.Rpc.Code.InvalidArgument, ErrorReason.DeadlineOutsideCollectionPeriod,
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
            throw RpcErrors.FailedPrecondition(ErrorReason.TemplateNotFound, $"This tenant has no '{templateKey}' template; publish one first.");

        // Counted before the transaction: the ledger is another service's, read over gRPC.
        var counts = await CountAsync(tenantId, target!, ct);
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(CreateReminderCampaign), request.RequestId, request,
                CreateReminderCampaignResponse.Parser, async () =>
                {
                    var campaignId = Guid.CreateVersion7(now);
                    await CampaignStore.InsertAsync(conn, tx, tenantId, new StoredCampaign(campaignId, request.Name, target!, templateKey,
                        deadline!.Value, sendTime, CampaignStates.Scheduled, counts, tenant.Client, now), ct);
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
        new RequestValidator().CheckPageSize(request.PageSize).ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var after = DecodeNewestFirst(request.PageToken, "campaigns", "");
        var pageSize = PageTokens.PageSize(request.PageSize);
        var ct = context.CancellationToken;
        var page = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var list = new List<(ReminderCampaign Campaign, DateTimeOffset Created)>();
            foreach (var (id, created) in await CampaignStore.ListAsync(conn, tx, tenantId, after, pageSize + 1, ct))
                list.Add((await ReadCampaignAsync(conn, tx, tenantId, id, ct), created));
            return list;
        }, ct);
        var response = new ListReminderCampaignsResponse();
        response.Campaigns.AddRange(page.Take(pageSize).Select(p => p.Campaign));
        if (page.Count > pageSize)
        {
            var last = page[pageSize - 1];
            response.NextPageToken = EncodeNewestFirst("campaigns", "", last.Created, Guid.Parse(last.Campaign.CampaignId));
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
                    var state = await CampaignStore.StateAsync(conn, tx, tenantId, campaignId, forShare: false, ct)
                        ?? throw RpcErrors.NotFound(ErrorReason.CampaignNotFound, $"No reminder campaign {campaignId}.");
                    if (state == CampaignStates.Completed || state == CampaignStates.Cancelled)
                        throw RpcErrors.FailedPrecondition(ErrorReason.CampaignFinished, $"Campaign {campaignId} is already {state.ToLowerInvariant()}.",
                            state == CampaignStates.Cancelled ? "这次催缴通知已经取消，无需再取消。" : "这次催缴通知已经发送完毕，不能再取消。");
                    await CampaignStore.CancelAsync(conn, tx, tenantId, campaignId, ct);
                    return new CancelReminderCampaignResponse { Campaign = await ReadCampaignAsync(conn, tx, tenantId, campaignId, ct) };
                }, ct), ct);
    }

    private async Task<CampaignCountsRow> CountAsync(string tenantId, CampaignTargetSpec target, CancellationToken ct)
    {
        try
        {
            return await campaigns.CountAsync(tenantId, target, ct);
        }
        catch (RuleViolation ex) when (ex.Facts.GetValueOrDefault("upstream_code") is nameof(StatusCode.InvalidArgument)
                                           or nameof(StatusCode.NotFound) or nameof(StatusCode.FailedPrecondition))
        {
            // The registry's own refusal (an unknown village, say) is the caller's mistake; pass it on with its reason
            // and status.
            throw ex.Facts["upstream_code"] == nameof(StatusCode.NotFound)
                ? new RuleViolation(ex.Reason, RefusalStatus.NotFound, ex.Message, ex.Facts, ex.ClerkText, ex.Fields)
                : ex;
        }
        catch (RuleViolation ex)
        {
            throw RpcErrors.Unavailable(UpstreamCalls.Unavailable,
                $"identity-registry could not list the ledger: {ResidentDirectory.UpstreamCode(ex)}; retry.");
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
        var stored = await CampaignStore.FindAsync(conn, tx, tenantId, campaignId, ct)
            ?? throw RpcErrors.NotFound(ErrorReason.CampaignNotFound, $"No reminder campaign {campaignId}.");
        var campaign = new ReminderCampaign
        {
            CampaignId = campaignId.ToString(),
            Name = stored.Name,
            Target = new CampaignTarget
            {
                Ledger = stored.Target.Ledger, CoverageYear = stored.Target.CoverageYear, VillageCode = stored.Target.VillageCode,
            },
            TemplateKey = stored.TemplateKey,
            Deadline = stored.Deadline.ToProtoDate(),
            SendTime = Timestamp.FromDateTimeOffset(stored.SendTime),
            State = CampaignStates.ToProto(stored.State),
            Preview = ToProto(stored.Preview),
            CreatedBy = stored.CreatedBy,
            CreateTime = Timestamp.FromDateTimeOffset(stored.CreateTime),
        };

        var delivery = new DeliveryCounts();
        foreach (var (status, skipReason, count) in await CampaignStore.MessageCountsAsync(conn, tx, tenantId, campaignId, ct))
        {
            switch (status)
            {
                case MessageStatus.Pending: delivery.Pending += count; break;
                case MessageStatus.Sent: delivery.Sent += count; break;
                case MessageStatus.Delivered: delivery.Delivered += count; break;
                case MessageStatus.Failed: delivery.Failed += count; break;
                case MessageStatus.Skipped:
                    delivery.Skipped += count;
                    // Stored reasons are the proto names without their prefix.
                    delivery.SkippedByReason["SKIP_REASON_" + skipReason] = count;
                    break;
            }
        }
        campaign.Delivery = delivery;
        return campaign;
    }
}
