using Google.Protobuf.WellKnownTypes;
using Medins.Notification.Channels;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Notification.Tests;

/// <summary>An SMS provider whose answers the test scripts; it records every call.</summary>
internal sealed class ScriptedSmsProvider : IMessageProvider
{
    private readonly Queue<SendOutcome> _answers = new();
    public List<ProviderMessage> Calls { get; } = [];
    public string Name => "scripted-sms";
    public string Channel => ChannelNames.Sms;

    public void Answer(params SendOutcome[] outcomes)
    {
        foreach (var outcome in outcomes) _answers.Enqueue(outcome);
    }

    public Task<SendOutcome> SendAsync(ProviderMessage message, CancellationToken ct)
    {
        lock (Calls) Calls.Add(message);
        lock (_answers) return Task.FromResult(_answers.Count > 0 ? _answers.Dequeue() : SendOutcome.Accepted("ok-" + message.MessageId.ToString("N")));
    }
}

public sealed class DispatcherTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string Village = "500102901001";
    // 2023-11-20 10:00 in Beijing.
    private static readonly DateTimeOffset Morning = new(2023, 11, 20, 2, 0, 0, TimeSpan.Zero);
    private readonly ScriptedSmsProvider _sms = new();
    private NotificationPlatform _platform = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _platform = await NotificationPlatform.StartAsync(Morning, new Dictionary<string, string?>
        {
            ["Notification:Dispatcher:MaxAttempts"] = "3",
            ["Notification:Dispatcher:RetryFirstDelay"] = "00:01:00",
        }, s => s.AddSingleton<IMessageProvider>(_sms));
        _http = _platform.NotificationHttp();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _platform.DisposeAsync();
    }

    private async Task<Message> ReceiptAsync(string residentId)
    {
        await CloudEventPoster.DeliverAsync(_http, Medins.EventTopics.ContributionPaid, Lidu, new ContributionPaid
        {
            TenantId = Lidu, OrderId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, PersonalAmountFen = 38000,
            PaidTime = Timestamp.FromDateTimeOffset(_platform.Clock.GetUtcNow()), ReceiptNumber = "20240000000001",
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        });
        return await SingleMessageAsync(residentId);
    }

    private async Task<Message> SingleMessageAsync(string residentId) =>
        Assert.Single(await _platform.MessagesAsync(Lidu, residentId: residentId));

    [Fact]
    public async Task Dispatch_ProviderAccepts_SentToRegisteredPhoneWithProviderId()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village, phone: "13912345678");
        await ReceiptAsync(resident);

        await _platform.RunDispatchPassAsync();

        var call = Assert.Single(_sms.Calls);
        Assert.Equal("13912345678", call.Address);
        var message = await SingleMessageAsync(resident);
        Assert.Equal(DeliveryStatus.Sent, message.Status);
        Assert.Equal(call.Body, message.Body);
    }

    [Fact]
    public async Task Dispatch_ProviderThrottles_RetriedAfterBackoffThenSent()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        _sms.Answer(SendOutcome.RetryLater("LimitExceeded.PhoneNumberOneHourLimit"), SendOutcome.RetryLater("LimitExceeded.PhoneNumberOneHourLimit"));

        await _platform.RunDispatchPassAsync();
        var afterFirst = await SingleMessageAsync(resident);
        _platform.Clock.Advance(TimeSpan.FromSeconds(59));
        await _platform.RunDispatchPassAsync();
        var callsBeforeDue = _sms.Calls.Count;
        _platform.Clock.Advance(TimeSpan.FromSeconds(1));
        await _platform.RunDispatchPassAsync();
        _platform.Clock.Advance(TimeSpan.FromMinutes(2));
        await _platform.RunDispatchPassAsync();

        Assert.Equal((DeliveryStatus.Pending, 1, "LimitExceeded.PhoneNumberOneHourLimit"), (afterFirst.Status, afterFirst.Attempts, afterFirst.LastError));
        Assert.Equal(Morning.AddMinutes(1), afterFirst.NextAttemptTime.ToDateTimeOffset());
        Assert.Equal(1, callsBeforeDue);
        var message = await SingleMessageAsync(resident);
        Assert.Equal((DeliveryStatus.Sent, 3), (message.Status, message.Attempts));
        Assert.Equal(3, _sms.Calls.Count);
    }

    [Fact]
    public async Task Dispatch_ProviderKeepsFailing_FailedAfterMaxAttempts()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        _sms.Answer(SendOutcome.RetryLater("InternalError.Timeout"), SendOutcome.RetryLater("InternalError.Timeout"),
            SendOutcome.RetryLater("InternalError.Timeout"), SendOutcome.Accepted("too-late"));

        for (var pass = 0; pass < 5; pass++)
        {
            await _platform.RunDispatchPassAsync();
            _platform.Clock.Advance(TimeSpan.FromHours(1));
        }

        var message = await SingleMessageAsync(resident);
        Assert.Equal((DeliveryStatus.Failed, 3, "InternalError.Timeout"), (message.Status, message.Attempts, message.LastError));
        Assert.Equal(3, _sms.Calls.Count);
    }

    [Fact]
    public async Task Dispatch_ProviderRejects_FailedAtOnce()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        _sms.Answer(SendOutcome.Rejected("InvalidParameterValue.IncorrectPhoneNumber"));

        await _platform.RunDispatchPassAsync();
        _platform.Clock.Advance(TimeSpan.FromHours(2));
        await _platform.RunDispatchPassAsync();

        var message = await SingleMessageAsync(resident);
        Assert.Equal((DeliveryStatus.Failed, 1), (message.Status, message.Attempts));
        Assert.Single(_sms.Calls);
    }

    [Fact]
    public async Task Dispatch_ReceiptPaidAtNight_WaitsForMorning()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        _platform.Clock.SetUtcNow(new DateTimeOffset(2023, 11, 20, 15, 30, 0, TimeSpan.Zero)); // 23:30 in Beijing
        var queued = await ReceiptAsync(resident);

        await _platform.RunDispatchPassAsync();
        var callsAtNight = _sms.Calls.Count;
        _platform.Clock.SetUtcNow(new DateTimeOffset(2023, 11, 21, 0, 0, 0, TimeSpan.Zero)); // 08:00
        await _platform.RunDispatchPassAsync();

        Assert.Equal(new DateTimeOffset(2023, 11, 21, 0, 0, 0, TimeSpan.Zero), queued.NextAttemptTime.ToDateTimeOffset());
        Assert.Equal(0, callsAtNight);
        Assert.Equal(DeliveryStatus.Sent, (await SingleMessageAsync(resident)).Status);
    }

    [Fact]
    public async Task Enqueue_OptedOutOfEverything_ReceiptSkipped()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await _platform.OptOutAsync(Lidu, resident, "ALL");

        var message = await ReceiptAsync(resident);
        await _platform.RunDispatchPassAsync();

        Assert.Equal((DeliveryStatus.Skipped, SkipReason.OptedOut), (message.Status, message.SkipReason));
        Assert.Empty(_sms.Calls);
    }

    [Fact]
    public async Task Dispatch_OptedOutOfRemindersOnly_ReceiptStillSent()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await _platform.OptOutAsync(Lidu, resident, "REMINDERS");

        await ReceiptAsync(resident);
        await _platform.RunDispatchPassAsync();

        Assert.Equal(DeliveryStatus.Sent, (await SingleMessageAsync(resident)).Status);
    }

    [Fact]
    public async Task Dispatch_OptsOutAfterQueued_SkippedAtSendTime()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        await _platform.OptOutAsync(Lidu, resident, "ALL");

        await _platform.RunDispatchPassAsync();

        Assert.Equal(SkipReason.OptedOut, (await SingleMessageAsync(resident)).SkipReason);
        Assert.Empty(_sms.Calls);
    }

    [Fact]
    public async Task Dispatch_ResidentDiedAfterPaying_Skipped()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        await _platform.RecordDeathAsync(Lidu, resident, new DateOnly(2023, 11, 20));

        await _platform.RunDispatchPassAsync();

        Assert.Equal((DeliveryStatus.Skipped, SkipReason.Deceased), ((await SingleMessageAsync(resident)).Status, (await SingleMessageAsync(resident)).SkipReason));
        Assert.Empty(_sms.Calls);
    }

    [Fact]
    public async Task Dispatch_ResidentUnknownToRegistry_SkippedUnknownResident()
    {
        await ReceiptAsync("no-such-resident");

        await _platform.RunDispatchPassAsync();

        Assert.Equal(SkipReason.UnknownResident, (await SingleMessageAsync("no-such-resident")).SkipReason);
    }

    [Fact]
    public async Task Enqueue_ResidentBoundWeChatAndKeyHasWeChatTemplate_GoesByWeChat()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await using (var cmd = _platform.Db.Owner.CreateCommand($$"""
            INSERT INTO notification.templates (tenant_id, template_key, version, channel, body, provider_template_id, provider_params, placeholder_names)
            VALUES ('{{Lidu}}', 'payment-receipt', 99, 'WECHAT', '缴费成功：{amount_yuan}元', 'wx-tpl-1', '{amount1}', '{amount_yuan}')
            ON CONFLICT DO NOTHING;
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, wechat_openid, source, update_time)
            VALUES ('{{Lidu}}', '{{resident}}', 'NONE', 'oOpenId_123', 'test', now());
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var message = await ReceiptAsync(resident);
        await _platform.RunDispatchPassAsync();

        Assert.Equal((MessageChannel.Wechat, "缴费成功：380.00元"), (message.Channel, message.Body));
        Assert.Equal(DeliveryStatus.Sent, (await SingleMessageAsync(resident)).Status);
        Assert.Empty(_sms.Calls); // the local sink carried the WeChat message
    }

    [Fact]
    public async Task Dispatch_ResidentMovedAway_SkippedDeregistered()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        await _platform.Registry(Lidu).RecordLifeEventAsync(new Medins.Identity.V1.RecordLifeEventRequest
        {
            RequestId = "moved-" + resident, ResidentId = resident, Kind = Medins.Identity.V1.LifeEventKind.MovedAway,
            OccurredDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 20 }, EvidenceReference = "迁出证明-1",
        });

        await _platform.RunDispatchPassAsync();

        var message = await SingleMessageAsync(resident);
        Assert.Equal((DeliveryStatus.Skipped, SkipReason.Deregistered), (message.Status, message.SkipReason));
        Assert.Empty(_sms.Calls);
    }

    [Fact]
    public async Task Dispatch_TenantQuietHoursFromSettings_WaitsForTheTenantsWindowToEnd()
    {
        // A tenant's own quiet hours are data: here 09:00–11:00 for SMS, so a receipt at 10:00 waits until 11:00.
        await using (var cmd = _platform.Db.Owner.CreateCommand($$"""
            UPDATE notification.tenant_settings SET quiet_start = '09:00', quiet_end = '11:00', quiet_channels = '{SMS}'
            WHERE tenant_id = '{{Lidu}}'
            """))
        {
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);

        var queued = await ReceiptAsync(resident);
        await _platform.RunDispatchPassAsync();
        var callsInWindow = _sms.Calls.Count;
        _platform.Clock.Advance(TimeSpan.FromHours(1));
        await _platform.RunDispatchPassAsync();

        Assert.Equal(Morning.AddHours(1), queued.NextAttemptTime.ToDateTimeOffset());
        Assert.Equal(0, callsInWindow);
        Assert.Equal(DeliveryStatus.Sent, (await SingleMessageAsync(resident)).Status);
    }

    [Fact]
    public async Task ClaimDue_ClaimedMessage_NotClaimedAgainUntilItsLeaseEnds()
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        await ReceiptAsync(resident);
        var store = _platform.Services.GetRequiredService<Medins.Notification.Data.DeliveryStore>();
        var now = _platform.Clock.GetUtcNow();

        var first = await store.ClaimDueAsync(now, TimeSpan.FromMinutes(2), 10, CancellationToken.None);
        var whileHeld = await store.ClaimDueAsync(now.AddMinutes(1), TimeSpan.FromMinutes(2), 10, CancellationToken.None);
        // The first dispatcher died without answering: after the lease another one takes the message.
        var afterLease = await store.ClaimDueAsync(now.AddMinutes(2), TimeSpan.FromMinutes(2), 10, CancellationToken.None);

        Assert.Equal(resident, Assert.Single(first).RecipientId);
        Assert.Empty(whileHeld);
        Assert.Equal(first[0].MessageId, Assert.Single(afterLease).MessageId);
    }
}
