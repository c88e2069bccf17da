using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;

namespace Medins.PaymentCollection.Tests;

/// <summary>GetCollectionActivity: a day's confirmations by channel (Asia/Shanghai days) and the review queue.</summary>
public sealed class CollectionActivityTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string Village = "500102901001";
    private PaymentPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private async Task<PaymentOrder> OrderAsync(PaymentChannel channel)
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, Village);
        return (await _platform.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = channel,
        })).Order;
    }

    private async Task<long> PaidAsync(PaymentChannel channel)
    {
        var order = await OrderAsync(channel);
        await _platform.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = Guid.NewGuid().ToString("N"), AmountFen = order.PersonalAmountFen,
        });
        return order.PersonalAmountFen;
    }

    [Fact]
    public async Task GetCollectionActivity_PaymentsAroundMidnightBeijing_CountedOnTheirShanghaiDay()
    {
        // The clock starts on 2023-11-20 09:00 Beijing: two WeChat Pay and one Alipay confirmation, and one refused
        // notice (short by a yuan) that waits for review.
        var wechat = await PaidAsync(PaymentChannel.WechatPay) + await PaidAsync(PaymentChannel.WechatPay);
        var alipay = await PaidAsync(PaymentChannel.Alipay);
        var refused = await OrderAsync(PaymentChannel.WechatPay);
        await Assert.ThrowsAsync<RpcException>(() => _platform.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = refused.OrderId, ChannelTransactionId = "wx-short", AmountFen = refused.PersonalAmountFen - 100,
        }).ResponseAsync);
        // 23:59:59 Beijing (15:59:59 UTC) is still the 20th; two seconds later it is the 21st.
        _platform.Clock.SetUtcNow(new DateTimeOffset(2023, 11, 20, 15, 59, 59, TimeSpan.Zero));
        alipay += await PaidAsync(PaymentChannel.Alipay);
        _platform.Clock.Advance(TimeSpan.FromSeconds(2));
        var nextDay = await PaidAsync(PaymentChannel.WechatPay);

        var today = await _platform.Client(Lidu).GetCollectionActivityAsync(new GetCollectionActivityRequest());
        Assert.Equal(new Google.Type.Date { Year = 2023, Month = 11, Day = 21 }, today.Date);
        // Read by the platform's clock (what the console shows as the reading time), not the machine's.
        Assert.Equal(_platform.Clock.GetUtcNow(), today.ReadTime.ToDateTimeOffset());
        var only = Assert.Single(today.Channels);
        Assert.Equal((PaymentChannel.WechatPay, 1L, nextDay), (only.Channel, only.ConfirmedCount, only.ConfirmedAmountFen));
        Assert.Equal((1L, 1L, 0L), (today.ConfirmedCount, today.OpenReviewCount, today.ReviewsOpenedCount));

        var day = await _platform.Client(Lidu).GetCollectionActivityAsync(new GetCollectionActivityRequest
        {
            Date = new Google.Type.Date { Year = 2023, Month = 11, Day = 20 },
        });
        Assert.Equal([(PaymentChannel.WechatPay, 2L, wechat), (PaymentChannel.Alipay, 2L, alipay)],
            day.Channels.Select(c => (c.Channel, c.ConfirmedCount, c.ConfirmedAmountFen)));
        Assert.Equal((4L, wechat + alipay), (day.ConfirmedCount, day.ConfirmedAmountFen));
        Assert.Equal((1L, 1L), (day.OpenReviewCount, day.ReviewsOpenedCount));
    }

    [Fact]
    public async Task GetCollectionActivity_EventsNotYetDelivered_CountedUntilEverySubscriberHasThem()
    {
        // The test host runs no relay: the payments' events wait in the outbox, not yet fanned out.
        await PaidAsync(PaymentChannel.WechatPay);
        await PaidAsync(PaymentChannel.Alipay);
        var written = await _platform.ScalarAsync<long>("SELECT count(*) FROM payment_collection.outbox WHERE tenant_id = $1", Lidu);
        Assert.True(written >= 2, $"{written} events written");

        var waiting = await _platform.Client(Lidu).GetCollectionActivityAsync(new GetCollectionActivityRequest());
        Assert.Equal(written, waiting.PendingEventCount);
        Assert.Equal(0, (await _platform.Client("cq-linjiang").GetCollectionActivityAsync(new GetCollectionActivityRequest())).PendingEventCount);

        // Fanned out to two subscribers: the first event still open for both (one event waiting, not two); every
        // other one delivered to quota-tracking and dead for notification (a dead letter is the dead-letter table's,
        // not backlog).
        await _platform.ExecuteAsync("UPDATE payment_collection.outbox SET fanned_out_at = now() WHERE tenant_id = $1", Lidu);
        await _platform.ExecuteAsync("""
            INSERT INTO payment_collection.outbox_delivery (tenant_id, event_id, target, topic, next_attempt_at, delivered_at, dead_at)
            SELECT o.tenant_id, o.event_id, t.target, o.topic, now(),
                   CASE WHEN o.event_id = f.first OR t.target = 'notification' THEN NULL ELSE now() END,
                   CASE WHEN t.target = 'notification' AND o.event_id <> f.first THEN now() END
            FROM payment_collection.outbox o
            CROSS JOIN (SELECT min(event_id::text)::uuid AS first FROM payment_collection.outbox WHERE tenant_id = $1) f
            CROSS JOIN unnest(ARRAY['quota-tracking', 'notification']) AS t(target)
            WHERE o.tenant_id = $1
            """, Lidu);

        var later = await _platform.Client(Lidu).GetCollectionActivityAsync(new GetCollectionActivityRequest());
        Assert.Equal(1, later.PendingEventCount);
    }

    [Fact]
    public async Task GetCollectionActivity_OtherTenant_SeesNoneOfLidusPayments()
    {
        await PaidAsync(PaymentChannel.WechatPay);

        var linjiang = await _platform.Client("cq-linjiang").GetCollectionActivityAsync(new GetCollectionActivityRequest());

        Assert.Empty(linjiang.Channels);
        Assert.Equal(0, linjiang.ConfirmedCount);
    }

    [Fact]
    public async Task GetCollectionActivity_NotACalendarDate_InvalidArgumentNamingDate()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _platform.Client(Lidu).GetCollectionActivityAsync(new GetCollectionActivityRequest
        {
            Date = new Google.Type.Date { Year = 2023, Month = 2, Day = 30 },
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("date", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}
