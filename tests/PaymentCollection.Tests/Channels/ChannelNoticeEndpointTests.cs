using System.Net;
using System.Text.Json;
using Medins.ChannelSimulation;
using Medins.Payment.V1;
using Npgsql;

namespace Medins.PaymentCollection.Tests.Channels;

/// <summary>
/// Providers' notices, played by the simulator with the demo keys, through payment-collection's notify endpoint
/// on real PostgreSQL with the real identity-registry and contribution-calculation behind it.
/// </summary>
public sealed class ChannelNoticeEndpointTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string Linjiang = "cq-linjiang";
    // Demo communities (services/Migrator/DemoCity/identity_registry.sql).
    private const string LiduVillage = "500102901001";
    private const string LinjiangVillage = "500118901001";
    // Seed 000 (Lidu) §2: tier 1 (一档) personal standard 380 yuan.
    private const long LiduTier1Fen = 38000;

    private PaymentPlatform _p = null!;
    private ChannelSimulator _simulator = null!;
    private string _resident = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _simulator = new ChannelSimulator(SimulatorSetup.Demo, _p.Clock, _p.PaymentHttpClient());
        _resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    public static TheoryData<string> AllChannels => [.. ChannelSimulator.Channels];

    private static readonly Dictionary<string, PaymentChannel> ProtoChannels = new()
    {
        ["wechat_pay"] = PaymentChannel.WechatPay,
        ["alipay"] = PaymentChannel.Alipay,
        ["tax_e_bureau"] = PaymentChannel.TaxEBureau,
        ["yukuaiban"] = PaymentChannel.Yukuaiban,
        ["bank_counter"] = PaymentChannel.BankCounter,
        ["village_pos"] = PaymentChannel.VillagePos,
        ["school"] = PaymentChannel.School,
    };

    private async Task<Guid> OrderAsync(string channel, string tenant = Lidu, string? resident = null)
    {
        var order = (await _p.Client(tenant).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = resident ?? _resident,
            CoverageYear = 2024,
            Channel = ProtoChannels[channel],
        })).Order;
        return Guid.Parse(order.OrderId);
    }

    private async Task<PaymentOrder> GetAsync(Guid orderId, string tenant = Lidu) =>
        (await _p.Client(tenant).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = orderId.ToString() })).Order;

    private Task<long> CountAsync(string table, string where, params object[] args) =>
        _p.ScalarAsync<long>($"SELECT count(*) FROM payment_collection.{table} WHERE {where}", args);

    private async Task<IReadOnlyList<string>> ReviewReasonsAsync(Guid orderId)
    {
        await using var cmd = _p.Db.Owner.CreateCommand(
            "SELECT reason FROM payment_collection.payment_reviews WHERE order_id = $1 ORDER BY created_at");
        cmd.Parameters.Add(new NpgsqlParameter { Value = orderId });
        var reasons = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) reasons.Add(reader.GetString(0));
        return reasons;
    }

    private async Task<(string Tenant, string Reason, bool Authentic, string? OutTradeNo, long? AmountFen, int Attempts)> SingleRejectionAsync()
    {
        await using var cmd = _p.Db.Owner.CreateCommand("""
            SELECT tenant_id, reason, authentic, out_trade_no, amount_fen, attempts FROM payment_collection.rejected_channel_notices
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no rejected notice stored");
        var row = (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? (long?)null : reader.GetInt64(4), reader.GetInt32(5));
        Assert.False(await reader.ReadAsync(), "more than one rejected notice stored");
        return row;
    }

    [Theory]
    [MemberData(nameof(AllChannels))]
    public async Task Notify_ProviderSignedNotice_OrderPaidOnceWithEventAndAcknowledged(string channel)
    {
        var orderId = await OrderAsync(channel);
        _p.Clock.Advance(TimeSpan.FromMinutes(2));

        var (payment, response) = await _simulator.PayAndNotifyAsync(channel, Lidu, orderId, LiduTier1Fen);

        Assert.True(response.Acknowledged, $"{response.Status} {response.Body}");
        var order = await GetAsync(orderId);
        Assert.Equal(OrderState.Paid, order.State);
        Assert.Equal(payment.TransactionId, order.ChannelTransactionId);
        // Providers report paid time to the second.
        Assert.Equal(payment.PaidAt.ToUnixTimeSeconds(), order.PaidTime.Seconds);
        var (tenant, paid) = Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(Lidu, tenant);
        Assert.Equal(ProtoChannels[channel], paid.Channel);
        Assert.Equal(LiduTier1Fen, paid.PersonalAmountFen);
        Assert.Equal(0, await CountAsync("rejected_channel_notices", "true"));
    }

    [Theory]
    [InlineData("wechat_pay")]
    [InlineData("alipay")]
    [InlineData("village_pos")]
    public async Task Notify_SameNoticeThreeTimes_OnePaidOrderOneEventEveryCopyAcknowledged(string channel)
    {
        var orderId = await OrderAsync(channel);
        var notice = _simulator.Notice(_simulator.Pay(channel, Lidu, orderId, LiduTier1Fen));

        var responses = await _simulator.SendDuplicatesAsync(notice, 3);

        Assert.All(responses, r => Assert.True(r.Acknowledged, r.Body));
        Assert.Equal(OrderState.Paid, (await GetAsync(orderId)).State);
        Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(1, await CountAsync("payment_confirmations", "order_id = $1 AND outcome = 'confirmed'", orderId));
        Assert.Equal(2, await CountAsync("payment_confirmations", "order_id = $1 AND outcome = 'replayed'", orderId));
        Assert.Empty(await ReviewReasonsAsync(orderId));
    }

    [Theory]
    [InlineData("wechat_pay")]
    [InlineData("bank_counter")]
    public async Task Notify_PaidAfterOrderExpired_OrderExpiredReviewNoEventAcknowledged(string channel)
    {
        var orderId = await OrderAsync(channel);
        _p.Clock.Advance(TimeSpan.FromMinutes(31)); // PaymentCollection:OrderExpiryMinutes is 30

        var (payment, response) = await _simulator.PayAndNotifyAsync(channel, Lidu, orderId, LiduTier1Fen);

        // Kept for a person to refund: the provider must not retry.
        Assert.True(response.Acknowledged, response.Body);
        Assert.Equal(OrderState.Expired, (await GetAsync(orderId)).State);
        Assert.Equal(["ORDER_EXPIRED"], await ReviewReasonsAsync(orderId));
        Assert.Equal(1, await CountAsync("payment_reviews", "order_id = $1 AND channel_transaction_id = $2 AND amount_fen = $3",
            orderId, payment.TransactionId, LiduTier1Fen));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Theory]
    [InlineData("alipay")]
    [InlineData("school")]
    public async Task Notify_ForgedSignature_RefusedStoredForTenantOrderUntouched(string channel)
    {
        var orderId = await OrderAsync(channel);
        var genuine = _simulator.Notice(_simulator.Pay(channel, Lidu, orderId, LiduTier1Fen));

        var response = await _simulator.SendAsync(_simulator.Forge(genuine));

        Assert.False(response.Acknowledged);
        var rejection = await SingleRejectionAsync();
        Assert.Equal((Lidu, "BAD_SIGNATURE", false, ChannelSimulator.OutTradeNoOf(orderId), LiduTier1Fen, 1), rejection);
        Assert.Equal(OrderState.Created, (await GetAsync(orderId)).State);
        Assert.Equal(0, await CountAsync("payment_confirmations", "order_id = $1", orderId));
        Assert.Empty(await _p.ContributionPaidEventsAsync());

        // The genuine notice still pays: a forgery in its name blocks nothing.
        Assert.True((await _simulator.SendAsync(genuine)).Acknowledged);
        Assert.Equal(OrderState.Paid, (await GetAsync(orderId)).State);
    }

    [Fact]
    public async Task Notify_WeChatForged_401FailJsonStoredUnattributedCountingRetries()
    {
        var orderId = await OrderAsync("wechat_pay");
        var forged = _simulator.Forge(_simulator.Notice(_simulator.Pay("wechat_pay", Lidu, orderId, LiduTier1Fen)));

        var responses = await _simulator.SendDuplicatesAsync(forged, 3);

        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.Status);
            using var body = JsonDocument.Parse(r.Body);
            Assert.Equal("FAIL", body.RootElement.GetProperty("code").GetString());
            Assert.StartsWith("BAD_SIGNATURE", body.RootElement.GetProperty("message").GetString());
        });
        // The resource cannot be read without a verified signature, so nothing is claimed but the body's hash.
        Assert.Equal(("", "BAD_SIGNATURE", false, (string?)null, (long?)null, 3), await SingleRejectionAsync());
        Assert.Equal(OrderState.Created, (await GetAsync(orderId)).State);
    }

    [Theory]
    [InlineData("tax_e_bureau")]
    [InlineData("alipay")]
    [InlineData("wechat_pay")]
    public async Task Notify_AmountTamperedAfterSigning_RefusedStoredOrderUntouched(string channel)
    {
        var orderId = await OrderAsync(channel);
        var tampered = _simulator.TamperAmount(_simulator.Notice(_simulator.Pay(channel, Lidu, orderId, LiduTier1Fen)), 100);

        var response = await _simulator.SendAsync(tampered);

        Assert.False(response.Acknowledged);
        var rejection = await SingleRejectionAsync();
        Assert.Equal("BAD_SIGNATURE", rejection.Reason);
        Assert.False(rejection.Authentic);
        if (channel != "wechat_pay") Assert.Equal(100, rejection.AmountFen);
        Assert.Equal(OrderState.Created, (await GetAsync(orderId)).State);
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Theory]
    [InlineData("alipay", LiduTier1Fen - 1)]
    [InlineData("village_pos", LiduTier1Fen + 100)]
    public async Task Notify_ProviderReportsOtherAmount_AmountMismatchReviewOrderUnpaidAcknowledged(string channel, long amountFen)
    {
        var orderId = await OrderAsync(channel);

        var (_, response) = await _simulator.PayAndNotifyAsync(channel, Lidu, orderId, amountFen);

        Assert.True(response.Acknowledged, response.Body);
        Assert.Equal(["AMOUNT_MISMATCH"], await ReviewReasonsAsync(orderId));
        Assert.Equal(1, await CountAsync("payment_reviews", "order_id = $1 AND amount_fen = $2", orderId, amountFen));
        Assert.Equal(OrderState.Created, (await GetAsync(orderId)).State);
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task Notify_AlipayNoticesOutOfOrder_PaidOnceAndLaterStatusesChangeNothing()
    {
        var orderId = await OrderAsync("alipay");
        var payment = _simulator.Pay("alipay", Lidu, orderId, LiduTier1Fen);
        // As sent: waiting, paid, finished (refund window over). Delivered: finished, paid, waiting.
        var notices = new[] { "WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_FINISHED" }.Select(s => _simulator.Notice(payment, s)).ToList();

        var responses = await _simulator.SendReorderedAsync(notices);

        Assert.All(responses, r => Assert.True(r.Acknowledged, r.Body));
        var order = await GetAsync(orderId);
        Assert.Equal(OrderState.Paid, order.State);
        Assert.Equal(payment.TransactionId, order.ChannelTransactionId);
        Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(1, await CountAsync("payment_confirmations", "order_id = $1 AND outcome = 'confirmed'", orderId));
        Assert.Equal(1, await CountAsync("payment_confirmations", "order_id = $1 AND outcome = 'replayed'", orderId));
    }

    [Fact]
    public async Task Notify_TwoPeoplesNoticesOutOfOrder_EachOrderPaidByItsOwnTransaction()
    {
        var neighbour = await _p.RegisterResidentAsync(Lidu, LiduVillage, new DateOnly(1975, 3, 9));
        var first = await OrderAsync("yukuaiban");
        var second = await OrderAsync("yukuaiban", resident: neighbour);
        var notices = new[] { first, second }.Select(o => _simulator.Notice(_simulator.Pay("yukuaiban", Lidu, o, LiduTier1Fen))).ToList();

        await _simulator.SendReorderedAsync(notices);

        Assert.Equal(notices[0].Payment.TransactionId, (await GetAsync(first)).ChannelTransactionId);
        Assert.Equal(notices[1].Payment.TransactionId, (await GetAsync(second)).ChannelTransactionId);
        Assert.Equal(2, (await _p.ContributionPaidEventsAsync()).Count);
    }

    [Fact]
    public async Task Notify_OrderOpenedForAnotherChannel_KeptAsChannelMismatchOrderUntouched()
    {
        var orderId = await OrderAsync("alipay");

        var (payment, response) = await _simulator.PayAndNotifyAsync("wechat_pay", Lidu, orderId, LiduTier1Fen);

        Assert.True(response.Acknowledged, response.Body);
        Assert.Equal((Lidu, "CHANNEL_MISMATCH", true, ChannelSimulator.OutTradeNoOf(orderId), LiduTier1Fen, 1),
            await SingleRejectionAsync());
        Assert.Equal(1, await CountAsync("rejected_channel_notices", "channel_transaction_id = $1", payment.TransactionId));
        Assert.Equal(OrderState.Created, (await GetAsync(orderId)).State);
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task Notify_OutTradeNoThePlatformNeverGave_KeptAsUnknownOrder()
    {
        var payment = _simulator.Pay(SimulatorSetup.Demo.MerchantOf("bank_counter", Lidu), "COUNTER-20231120-0001", 12000);

        var response = await _simulator.SendAsync(_simulator.Notice(payment));

        Assert.True(response.Acknowledged, response.Body);
        Assert.Equal((Lidu, "UNKNOWN_ORDER", true, "COUNTER-20231120-0001", 12000L, 1), await SingleRejectionAsync());
    }

    [Fact]
    public async Task Notify_OrderOfAnotherTenantThroughThisTenantsMerchant_OrderNotFoundReviewInMerchantsTenant()
    {
        var linjiangResident = await _p.RegisterResidentAsync(Linjiang, LinjiangVillage);
        var linjiangOrder = await OrderAsync("wechat_pay", Linjiang, linjiangResident);

        var (_, response) = await _simulator.PayAndNotifyAsync("wechat_pay", Lidu, linjiangOrder, LiduTier1Fen);

        Assert.True(response.Acknowledged, response.Body);
        Assert.Equal(1, await CountAsync("payment_reviews", "tenant_id = $1 AND order_id = $2 AND reason = 'ORDER_NOT_FOUND'",
            Lidu, linjiangOrder));
        Assert.Equal(OrderState.Created, (await GetAsync(linjiangOrder, Linjiang)).State);
    }

    [Fact]
    public async Task Notify_TenantHeadersFromSender_TenantStillFromVerifiedMerchant()
    {
        var orderId = await OrderAsync("tax_e_bureau");
        var notice = _simulator.Notice(_simulator.Pay("tax_e_bureau", Lidu, orderId, LiduTier1Fen));
        var withHeaders = notice with
        {
            Headers = new Dictionary<string, string>(notice.Headers) { ["x-tenant-id"] = Linjiang, ["x-medins-scope"] = "city" },
        };

        Assert.True((await _simulator.SendAsync(withHeaders)).Acknowledged);

        Assert.Equal(OrderState.Paid, (await GetAsync(orderId)).State);
        Assert.Equal(Lidu, Assert.Single(await _p.ContributionPaidEventsAsync()).TenantId);
    }

    [Fact]
    public async Task Notify_BureauNoticeSignedSixMinutesAgo_StaleNoticeRefusedAndStored()
    {
        var orderId = await OrderAsync("school");
        var notice = _simulator.Notice(_simulator.Pay("school", Lidu, orderId, LiduTier1Fen));
        _p.Clock.Advance(TimeSpan.FromMinutes(6));

        var response = await _simulator.SendAsync(notice);

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("STALE_NOTICE", (await SingleRejectionAsync()).Reason);
        Assert.Equal(OrderState.Created, (await GetAsync(orderId)).State);
    }

    [Fact]
    public async Task Notify_ChannelWithoutAdapter_NotFoundNothingStored()
    {
        using var http = _p.PaymentHttpClient();

        using var response = await http.PostAsync("channels/village_cash/notify", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await CountAsync("rejected_channel_notices", "true"));
    }

    [Fact]
    public async Task Notify_BodyOverLimit_413Stored()
    {
        using var http = _p.PaymentHttpClient();

        using var response = await http.PostAsync("channels/alipay/notify", new ByteArrayContent(new byte[70 * 1024]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("fail", await response.Content.ReadAsStringAsync());
        Assert.Equal("MALFORMED_NOTICE", (await SingleRejectionAsync()).Reason);
    }

    [Fact]
    public async Task Metrics_AfterPaidNotice_NoticesByOutcomeAndConfirmationLatency()
    {
        var orderId = await OrderAsync("wechat_pay");
        var payment = _simulator.Pay("wechat_pay", Lidu, orderId, LiduTier1Fen, paidAt: _p.Clock.GetUtcNow());
        _p.Clock.Advance(TimeSpan.FromSeconds(3));
        await _simulator.SendAsync(_simulator.Notice(payment));
        await _simulator.SendAsync(_simulator.Forge(_simulator.Notice(payment)));

        using var http = _p.PaymentHttpClient();
        var metrics = await http.GetStringAsync("metrics");

        Assert.Matches("""medins_payment_channel_notices_total\{channel="wechat_pay",outcome="confirmed"\} [1-9]""", metrics);
        Assert.Matches("""medins_payment_channel_notices_total\{channel="wechat_pay",outcome="bad_signature"\} [1-9]""", metrics);
        // Paid at t, received at t + 3 s: counted in the 5 s bucket.
        Assert.Matches("""medins_payment_confirmation_latency_seconds_bucket\{channel="wechat_pay",le="5"\} [1-9]""", metrics);
    }
}
