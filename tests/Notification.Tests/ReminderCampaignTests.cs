using Grpc.Core;
using Medins.Identity.V1;
using Medins.Notification.V1;
using Medins.Platform.Hosting;

namespace Medins.Notification.Tests;

/// <summary>
/// Reminder campaigns to identity-registry's ledgers, from preview to delivery counts, on the demo city's Linjiang
/// (seed 002 §6: 高滩村 and 桂林村; enrolment ≥ 95% by 31 December 2023 for coverage year 2024).
/// </summary>
public sealed class ReminderCampaignTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201";
    private const string Guilin = "500118901202";
    private static readonly DateOnly Deadline = new(2023, 12, 31);

    // 2023-12-10 20:00 in Beijing.
    private static readonly DateTimeOffset Evening = new(2023, 12, 10, 12, 0, 0, TimeSpan.Zero);
    private NotificationPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await NotificationPlatform.StartAsync(Evening, withQuota: true);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private NotificationService.NotificationServiceClient Client => _platform.Client(Linjiang);

    private static CampaignTarget EnrolledLastYear(string village = Gaotan) =>
        new() { Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = 2024, VillageCode = village };

    private async Task<string> EnrolledIn2023Async(string village = Gaotan, string phone = "13900001111", string name = "")
    {
        var id = await _platform.RegisterResidentAsync(Linjiang, village, phone, name);
        await _platform.EnrolAsync(Linjiang, id, 2023);
        return id;
    }

    private Task<CreateReminderCampaignResponse> CreateAsync(DateTimeOffset sendTime, string requestId = "campaign-1") =>
        Client.CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = requestId,
            Name = "高滩村上年参保本年未参保提醒",
            Target = EnrolledLastYear(),
            Deadline = Deadline.ToProtoDate(),
            SendTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(sendTime),
        }).ResponseAsync;

    [Fact]
    public async Task ReminderCampaign_VillageEnrolledLastYearLedger_OneMessageEachOutsideQuietHoursSkippingOptedOutAndDeceased()
    {
        var first = await EnrolledIn2023Async(name: "张一");
        var second = await EnrolledIn2023Async(name: "李二");
        var optedOut = await EnrolledIn2023Async();
        var diesAtNight = await EnrolledIn2023Async();
        var noPhone = await EnrolledIn2023Async(phone: "");
        var paysBeforeSending = await EnrolledIn2023Async();
        var diedEarlier = await EnrolledIn2023Async();
        await _platform.RecordDeathAsync(Linjiang, diedEarlier, new DateOnly(2023, 12, 1));
        var otherVillage = await EnrolledIn2023Async(Guilin);
        var alreadyPaid = await EnrolledIn2023Async();
        await _platform.EnrolAsync(Linjiang, alreadyPaid, 2024);
        await _platform.OptOutAsync(Linjiang, optedOut, "REMINDERS");

        // 20:00, preview: the ledger holds the six living people of 高滩村 enrolled for 2023 and not for 2024.
        var preview = (await Client.PreviewReminderCampaignAsync(new PreviewReminderCampaignRequest { Target = EnrolledLastYear() })).Counts;
        Assert.Equal((6L, 1L, 1L, 4L), (preview.OnLedger, preview.OptedOut, preview.NoContact, preview.ToSend));

        // Scheduled for 21:30, inside the demo quiet hours (21:00–08:00).
        var campaign = (await CreateAsync(Evening.AddMinutes(90))).Campaign;
        Assert.Equal(CampaignState.Scheduled, campaign.State);
        Assert.Equal(preview, campaign.Preview);

        // 21:00: one of them pays, so she leaves the ledger before the campaign reads it again.
        _platform.Clock.SetUtcNow(Evening.AddHours(1));
        await _platform.EnrolAsync(Linjiang, paysBeforeSending, 2024);

        // 21:30: the campaign starts; nothing goes out at night.
        _platform.Clock.SetUtcNow(Evening.AddMinutes(90));
        await _platform.RunDispatchPassAsync();
        var night = await _platform.MessagesAsync(Linjiang, campaign.CampaignId);
        Assert.Equal(new[] { first, second, optedOut, diesAtNight, noPhone }.Order(), night.Select(m => m.ResidentId).Order());
        Assert.DoesNotContain(night, m => m.Status is DeliveryStatus.Sent or DeliveryStatus.Delivered);
        var morning = new DateTimeOffset(2023, 12, 11, 0, 0, 0, TimeSpan.Zero); // 08:00 in Beijing
        Assert.All(night.Where(m => m.Status == DeliveryStatus.Pending), m => Assert.Equal(morning, m.NextAttemptTime.ToDateTimeOffset()));

        // 23:00: a death is recorded; a pass at night still sends nothing.
        _platform.Clock.SetUtcNow(Evening.AddHours(3));
        await _platform.RecordDeathAsync(Linjiang, diesAtNight, new DateOnly(2023, 12, 10));
        await _platform.RunDispatchPassAsync();
        Assert.DoesNotContain(await _platform.MessagesAsync(Linjiang, campaign.CampaignId), m => m.Status == DeliveryStatus.Sent);

        // 08:00 and again at 09:00: every eligible person gets exactly one message.
        _platform.Clock.SetUtcNow(morning);
        await _platform.RunDispatchPassAsync();
        _platform.Clock.SetUtcNow(morning.AddHours(1));
        await _platform.RunDispatchPassAsync();

        var messages = (await _platform.MessagesAsync(Linjiang, campaign.CampaignId)).ToDictionary(m => m.ResidentId);
        Assert.Equal(5, messages.Count);
        Assert.Equal(DeliveryStatus.Sent, messages[first].Status);
        Assert.Equal(DeliveryStatus.Sent, messages[second].Status);
        Assert.Equal(morning, messages[first].SentTime.ToDateTimeOffset());
        Assert.Equal("张一您好：2024年度城乡居民医保集中缴费截至2023-12-31，请通过微信、支付宝或村（社区）代收点及时缴费。回复TD退订", messages[first].Body);
        Assert.Equal((DeliveryStatus.Skipped, SkipReason.OptedOut), (messages[optedOut].Status, messages[optedOut].SkipReason));
        Assert.Equal((DeliveryStatus.Skipped, SkipReason.Deceased), (messages[diesAtNight].Status, messages[diesAtNight].SkipReason));
        Assert.Equal((DeliveryStatus.Skipped, SkipReason.NoContact), (messages[noPhone].Status, messages[noPhone].SkipReason));
        Assert.False(messages.ContainsKey(diedEarlier));
        Assert.False(messages.ContainsKey(otherVillage));
        Assert.False(messages.ContainsKey(alreadyPaid));
        Assert.False(messages.ContainsKey(paysBeforeSending));

        var report = (await Client.GetReminderCampaignAsync(new GetReminderCampaignRequest { CampaignId = campaign.CampaignId })).Campaign;
        Assert.Equal(CampaignState.Completed, report.State);
        Assert.Equal((0L, 2L, 0L, 3L), (report.Delivery.Pending, report.Delivery.Sent, report.Delivery.Failed, report.Delivery.Skipped));
        Assert.Equal(new Dictionary<string, long>
        {
            ["SKIP_REASON_OPTED_OUT"] = 1, ["SKIP_REASON_DECEASED"] = 1, ["SKIP_REASON_NO_CONTACT"] = 1,
        }, report.Delivery.SkippedByReason);
    }

    [Fact]
    public async Task CreateReminderCampaign_ReplayedRequestId_ReturnsFirstCampaign()
    {
        await EnrolledIn2023Async();

        var first = (await CreateAsync(Evening.AddDays(1))).Campaign;
        var replay = (await CreateAsync(Evening.AddDays(1))).Campaign;

        Assert.Equal(first, replay);
        Assert.Single((await Client.ListReminderCampaignsAsync(new ListReminderCampaignsRequest())).Campaigns);
    }

    [Fact]
    public async Task CreateReminderCampaign_LinjiangDeadlineAfterLastPaymentDay_InvalidArgumentNamingTheLastDay()
    {
        // Seed 002 一: Linjiang collects until 2023年12月31日; a reminder naming 30 June 2024 would send residents to pay
        // on a day payment is refused.
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = "late", Name = "高滩村提醒", Target = EnrolledLastYear(), Deadline = new DateOnly(2024, 6, 30).ToProtoDate(),
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("DEADLINE_OUTSIDE_COLLECTION_PERIOD", ReasonOf(ex));
        Assert.Equal("2023-12-31", ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["last_payment_day"]);
        Assert.Contains("2023-12-31", ex.Status.Detail);
        var clerk = ex.GetRpcStatus()!.GetDetail<Google.Rpc.LocalizedMessage>();
        Assert.Equal("zh-CN", clerk.Locale);
        Assert.Contains("截止日期 2024-06-30 不在 2024 年度征缴期内", clerk.Message);
        Assert.Contains("最晚 2023-12-31", clerk.Message);
        Assert.Equal("deadline", Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations).Field);
        Assert.Empty((await Client.ListReminderCampaignsAsync(new ListReminderCampaignsRequest())).Campaigns);
    }

    [Fact]
    public async Task CreateReminderCampaign_GaoyangDeadlineAfter25December_InvalidArgumentLastDay25December()
    {
        // Seed 004 三（四）: 9月1日-12月25日 组织开展征缴工作 — 31 December is past Gaoyang's last payment day.
        var ex = await Assert.ThrowsAsync<RpcException>(() => _platform.Client("he-gaoyang").CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = "gaoyang-late", Name = "提醒", Deadline = Deadline.ToProtoDate(),
            Target = new CampaignTarget { Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = 2024, VillageCode = "130628901001" },
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("DEADLINE_OUTSIDE_COLLECTION_PERIOD", ReasonOf(ex));
        Assert.Equal("2023-12-25", ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["last_payment_day"]);
    }

    [Fact]
    public async Task CreateReminderCampaign_YearWithoutQuotaRules_FailedPreconditionNoCollectionPeriod()
    {
        // No seed gives Linjiang a 2025 campaign: without its period no deadline can be checked, so none is promised.
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = "2025", Name = "提醒", Deadline = new DateOnly(2024, 12, 31).ToProtoDate(),
            Target = new CampaignTarget { Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = 2025, VillageCode = Gaotan },
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("NO_COLLECTION_PERIOD", ReasonOf(ex));
    }

    [Fact]
    public async Task CreateReminderCampaign_DeadlineOnLinjiangsLastPaymentDay_Scheduled()
    {
        // Seed 002 一: 31 December 2023 itself is within the period.
        await EnrolledIn2023Async();

        var campaign = (await CreateAsync(Evening.AddDays(1), "on-the-day")).Campaign;

        Assert.Equal(CampaignState.Scheduled, campaign.State);
        Assert.Equal(Deadline, campaign.Deadline.ToDateOnly());
    }

    [Fact]
    public async Task CreateReminderCampaign_NoTarget_InvalidArgumentNamingField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = "r", Name = "无目标", Deadline = Deadline.ToProtoDate(),
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("target", ex.Status.Detail);
        Assert.Empty((await Client.ListReminderCampaignsAsync(new ListReminderCampaignsRequest())).Campaigns);
    }

    [Fact]
    public async Task CreateReminderCampaign_TemplateKeyTenantLacks_FailedPreconditionTemplateNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = "r", Name = "外出务工人员提醒", Target = EnrolledLastYear(), Deadline = Deadline.ToProtoDate(),
            TemplateKey = "reminder-migrant-workers",
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("TEMPLATE_NOT_FOUND", ReasonOf(ex));
    }

    [Fact]
    public async Task CancelReminderCampaign_WhileWaitingForMorning_PendingMessagesSkippedAndNothingSent()
    {
        var resident = await EnrolledIn2023Async();
        var campaign = (await CreateAsync(Evening.AddMinutes(90))).Campaign;
        _platform.Clock.SetUtcNow(Evening.AddMinutes(90));
        await _platform.RunDispatchPassAsync();
        Assert.Equal(DeliveryStatus.Pending, Assert.Single(await _platform.MessagesAsync(Linjiang, campaign.CampaignId)).Status);

        var cancelled = (await Client.CancelReminderCampaignAsync(new CancelReminderCampaignRequest
        {
            RequestId = "cancel-1", CampaignId = campaign.CampaignId,
        })).Campaign;
        _platform.Clock.SetUtcNow(Evening.AddHours(13));
        await _platform.RunDispatchPassAsync();

        Assert.Equal(CampaignState.Cancelled, cancelled.State);
        var message = Assert.Single(await _platform.MessagesAsync(Linjiang, residentId: resident));
        Assert.Equal((DeliveryStatus.Skipped, SkipReason.CampaignCancelled), (message.Status, message.SkipReason));
        var again = await Assert.ThrowsAsync<RpcException>(() => Client.CancelReminderCampaignAsync(new CancelReminderCampaignRequest
        {
            RequestId = "cancel-2", CampaignId = campaign.CampaignId,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
    }

    [Fact]
    public async Task GetReminderCampaign_OtherTenantsCampaign_NotFound()
    {
        await EnrolledIn2023Async();
        var campaign = (await CreateAsync(Evening.AddDays(1))).Campaign;

        var ex = await Assert.ThrowsAsync<RpcException>(() => _platform.Client("cq-lidu")
            .GetReminderCampaignAsync(new GetReminderCampaignRequest { CampaignId = campaign.CampaignId }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    private static string ReasonOf(RpcException ex) =>
        ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason;
}
