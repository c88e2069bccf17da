using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests;

public sealed class NotificationEventTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string Gaoyang = "he-gaoyang";

    // 09:30 in Beijing; a UTC instant, as TimeProvider.GetUtcNow returns and timestamptz parameters require.
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private NotificationPlatform _platform = null!;
    private TestDatabase _db = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _platform = await NotificationPlatform.StartAsync(Now);
        _db = _platform.Db;
        _http = _platform.NotificationHttp();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _platform.DisposeAsync();
    }

    private NotificationService.NotificationServiceClient Client(string tenant) => _platform.Client(tenant);

    private static ContributionPaid Paid(string tenant, string residentId, long personalFen = 38000) => new()
    {
        TenantId = tenant,
        OrderId = Guid.NewGuid().ToString(),
        ResidentId = residentId,
        VillageCode = "500102901001",
        CoverageYear = 2024,
        Tier = 1,
        PersonalAmountFen = personalFen,
        Channel = PaymentChannel.WechatPay,
        ChannelTransactionId = Guid.NewGuid().ToString("N"),
        PaidTime = Timestamp.FromDateTimeOffset(Now),
        BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
        BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
    };

    private async Task<List<Message>> MessagesAsync(string tenant, string residentId = "") =>
        [.. (await Client(tenant).ListMessagesAsync(new ListMessagesRequest { ResidentId = residentId, PageSize = 500 })).Messages];

    private async Task ExecuteAsOwnerAsync(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task ContributionPaid_DemoLiduTierOne_ReceiptRenderedThenSentBySms()
    {
        // Demo city payment-receipt template; seed 000 §2: Lidu tier 1 is 380 yuan, benefits 2024-01-01 to 2024-12-31.
        var residentId = await _platform.RegisterResidentAsync(Lidu, "500102901001");
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, Paid(Lidu, residentId), eventId);
        var queued = Assert.Single(await MessagesAsync(Lidu));
        await _platform.RunDispatchPassAsync();

        var message = Assert.Single(await MessagesAsync(Lidu));
        Assert.Equal(DeliveryStatus.Pending, queued.Status);
        Assert.Equal("您已缴纳2024年度城乡居民医保个人缴费380.00元，待遇享受期2024-01-01至2024-12-31。", message.Body);
        Assert.Equal(residentId, message.ResidentId);
        Assert.Equal("payment-receipt", message.Template);
        Assert.Equal(MessageChannel.Sms, message.Channel);
        Assert.Equal(DeliveryStatus.Sent, message.Status);
        Assert.Equal(eventId.ToString(), message.SourceEventId);
        Assert.Equal(Now, message.CreateTime.ToDateTimeOffset());
        Assert.Equal(Now, message.SentTime.ToDateTimeOffset());
        Assert.Equal(1, message.Attempts);
    }

    [Fact]
    public async Task ContributionPaid_BulkDeliveryOfTwoTenants_OneReceiptPerEventAndNoneOnReplay()
    {
        var entries = Enumerable.Range(0, 6)
            .Select(i => (Tenant: i % 3 == 0 ? Gaoyang : Lidu, Resident: $"res-bulk-{i}"))
            .Select(x => (x.Tenant, (Google.Protobuf.IMessage)Paid(x.Tenant, x.Resident), Guid.NewGuid()))
            .ToList();

        var statuses = await CloudEventPoster.PostBulkAsync(_http, EventTopics.ContributionPaid, entries);
        var replayed = await CloudEventPoster.PostBulkAsync(_http, EventTopics.ContributionPaid, entries);

        Assert.All(statuses.Values.Concat(replayed.Values), s => Assert.Equal("SUCCESS", s));
        // Indexes 0 and 3 are Gaoyang's, the other four Lidu's; each event's message names it as its source.
        var lidu = await MessagesAsync(Lidu);
        Assert.Equal(4, lidu.Count);
        Assert.Equal(2, (await MessagesAsync(Gaoyang)).Count);
        Assert.Equal(entries.Where(e => e.Item1 == Lidu).Select(e => e.Item3.ToString()).Order(), lidu.Select(m => m.SourceEventId).Order());
        Assert.All(lidu, m => Assert.Equal("payment-receipt", m.Template));
    }

    [Fact]
    public async Task ContributionPaid_SameEventTwice_OneMessage()
    {
        var eventId = Guid.NewGuid();
        var paid = Paid(Lidu, "res-1");

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, paid, eventId);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, paid, eventId);

        Assert.Single(await MessagesAsync(Lidu));
    }

    [Fact]
    public async Task ContributionPaid_TenantWithoutTemplate_NoMessageAndEventAcknowledged()
    {
        const string tenant = "test-town-without-templates";
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, tenant, Paid(tenant, "res-1"), eventId);

        Assert.Empty(await MessagesAsync(tenant));
        await using var cmd = _db.Owner.CreateCommand($"SELECT count(*) FROM notification.inbox WHERE event_id = '{eventId}'");
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ContributionPaid_TemplateNeedsValueEventLacks_NoMessageAndEventAcknowledged()
    {
        var paid = Paid(Lidu, "res-1");
        paid.BenefitStartDate = null;

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, paid);

        Assert.Empty(await MessagesAsync(Lidu));
    }

    [Fact]
    public async Task ContributionPaid_NewerTemplateVersion_RenderedFromNewestVersion()
    {
        await ExecuteAsOwnerAsync("""
            INSERT INTO notification.templates (tenant_id, template_key, version, channel, body)
            VALUES ('cq-lidu', 'payment-receipt', 2, 'SMS', '已缴费{amount_yuan}元')
            """);

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, Paid(Lidu, "res-1"));

        var message = Assert.Single(await MessagesAsync(Lidu));
        Assert.Equal("已缴费380.00元", message.Body);
        Assert.Equal(2, message.TemplateVersion);
        Assert.Equal(MessageChannel.Sms, message.Channel);
        Assert.Equal(DeliveryStatus.Pending, message.Status);
    }

    [Fact]
    public async Task ContributionPaid_DataNamesAnotherTenant_NoMessageInEither()
    {
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, Paid(Gaoyang, "res-1"));

        Assert.Empty(await MessagesAsync(Lidu));
        Assert.Empty(await MessagesAsync(Gaoyang));
    }

    [Fact]
    public async Task ContributionRefunded_DemoGaoyang_StoresRefundNoticeDatedInShanghai()
    {
        // Seed 004 §2.5.3: refunds before the benefit period; 2023-12-31 16:30 UTC is 2024-01-01 in Beijing.
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionRefunded, Gaoyang, new ContributionRefunded
        {
            TenantId = Gaoyang,
            OrderId = Guid.NewGuid().ToString(),
            ResidentId = "res-9",
            VillageCode = "130628901001",
            CoverageYear = 2024,
            RefundedAmountFen = 38000,
            Reason = "JOINED_ARMY",
            RefundTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2023, 12, 31, 16, 30, 0, TimeSpan.Zero)),
        });

        var message = Assert.Single(await MessagesAsync(Gaoyang));
        Assert.Equal("您2024年度城乡居民医保个人缴费已于2024-01-01退费380.00元。", message.Body);
        Assert.Equal("refund-notice", message.Template);
    }

    [Fact]
    public async Task ContributionPaid_TenantA_TenantBSeesNoneOfIt()
    {
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, Paid(Lidu, "res-1"));

        Assert.Single(await MessagesAsync(Lidu));
        Assert.Empty(await MessagesAsync(Gaoyang));
        Assert.Empty(await MessagesAsync(Gaoyang, residentId: "res-1"));
    }

    [Fact]
    public async Task DaprSubscribe_ListsBothContributionTopics()
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync("/dapr/subscribe"));

        var subscriptions = doc.RootElement.EnumerateArray().ToList();
        Assert.All(subscriptions, s => Assert.Equal("pubsub", s.GetProperty("pubsubName").GetString()));
        var routes = subscriptions.ToDictionary(s => s.GetProperty("topic").GetString()!, s => s.GetProperty("route").GetString());
        // Dapr lists routes without the leading slash.
        Assert.Equal("events/contribution.paid", routes[EventTopics.ContributionPaid]);
        Assert.Equal("events/contribution.refunded", routes[EventTopics.ContributionRefunded]);
    }
}
