using System.Net;
using System.Text;
using Medins.ChannelSimulation;
using Medins.PaymentCollection.Channels;
using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Medins.PaymentCollection.Tests.Channels;

/// <summary>
/// Each adapter against its provider as the simulator plays it, with the shipped demo keys: notices verified,
/// forged and tampered ones refused with the reason a person will read; prepay and status query round trips.
/// </summary>
public sealed class ChannelAdapterTests
{
    private const string Lidu = "cq-lidu";
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly ChannelSimulator _simulator;
    private readonly PaymentChannelRegistry _channels;

    public ChannelAdapterTests()
    {
        _simulator = new ChannelSimulator(SimulatorSetup.Demo, _clock, new HttpClient());
        _channels = ChannelTestKit.Registry(_simulator);
    }

    public static TheoryData<string> AllChannels => [.. ChannelSimulator.Channels];

    private NoticeVerification Verify(SignedNotice notice) =>
        _channels.Find(notice.Channel)!.VerifyNotice(ChannelTestKit.Headers(notice), notice.Body);

    private SignedNotice PaidNotice(string channel, long amountFen = 38000, string tenant = Lidu) =>
        _simulator.Notice(_simulator.Pay(channel, tenant, Guid.CreateVersion7(Now), amountFen, Now.AddSeconds(-5)));

    [Theory]
    [MemberData(nameof(AllChannels))]
    public void VerifyNotice_SignedByProvider_VerifiedPaymentForTheMerchantsTenant(string channel)
    {
        var notice = PaidNotice(channel, 38050);

        var verified = Assert.IsType<NoticeVerification.Verified>(Verify(notice));

        Assert.Equal(Lidu, verified.Merchant.TenantId);
        Assert.Equal(notice.Payment.Merchant.MerchantId, verified.Merchant.MerchantId);
        Assert.Equal(new ChannelPayment(notice.Payment.OutTradeNo, notice.Payment.TransactionId, 38050, Now.AddSeconds(-5)),
            verified.Payment);
    }

    [Theory]
    [InlineData("alipay")]
    [InlineData("tax_e_bureau")]
    [InlineData("yukuaiban")]
    [InlineData("bank_counter")]
    [InlineData("village_pos")]
    [InlineData("school")]
    public void VerifyNotice_SignedWithAnotherKey_BadSignatureAttributedToClaimedTenant(string channel)
    {
        var rejected = Assert.IsType<NoticeVerification.Rejected>(Verify(_simulator.Forge(PaidNotice(channel))));

        Assert.Equal(NoticeRejections.BadSignature, rejected.Reason);
        Assert.Equal(Lidu, rejected.Merchant?.TenantId);
    }

    [Fact]
    public void VerifyNotice_WeChatSignedWithAnotherKey_BadSignatureUnattributedWhileTenantsSharePlatformKey()
    {
        // A forged WeChat notice cannot be decrypted to see its mchid; the serial alone names every demo merchant.
        var rejected = Assert.IsType<NoticeVerification.Rejected>(Verify(_simulator.Forge(PaidNotice("wechat_pay"))));

        Assert.Equal(NoticeRejections.BadSignature, rejected.Reason);
        Assert.Null(rejected.Merchant);
    }

    [Theory]
    [MemberData(nameof(AllChannels))]
    public void VerifyNotice_AmountChangedAfterSigning_BadSignature(string channel)
    {
        var notice = _simulator.TamperAmount(PaidNotice(channel, 38000), 1);

        var rejected = Assert.IsType<NoticeVerification.Rejected>(Verify(notice));

        Assert.Equal(NoticeRejections.BadSignature, rejected.Reason);
    }

    [Theory]
    [InlineData("tax_e_bureau")]
    [InlineData("wechat_pay")]
    public void VerifyNotice_SignedTimestampOutsideWindow_StaleNotice(string channel)
    {
        var notice = PaidNotice(channel);
        _clock.Advance(TimeSpan.FromMinutes(6));

        var rejected = Assert.IsType<NoticeVerification.Rejected>(Verify(notice));

        Assert.Equal(NoticeRejections.StaleNotice, rejected.Reason);
    }

    [Fact]
    public void VerifyNotice_BureauTimestampHeaderMovedForward_BadSignature()
    {
        // The timestamp is signed with the body: a replayer cannot refresh it to get back inside the window.
        var notice = PaidNotice("village_pos");
        _clock.Advance(TimeSpan.FromMinutes(10));
        var replayed = notice with
        {
            Headers = new Dictionary<string, string>(notice.Headers)
            {
                ["X-Medins-Timestamp"] = _clock.GetUtcNow().ToUnixTimeSeconds().ToString(),
            },
        };

        Assert.Equal(NoticeRejections.BadSignature, Assert.IsType<NoticeVerification.Rejected>(Verify(replayed)).Reason);
    }

    [Theory]
    [InlineData("alipay", "TRADE_FINISHED")]
    [InlineData("school", "PAID")]
    public void VerifyNotice_OtherSuccessStatuses_Verified(string channel, string status)
    {
        var payment = _simulator.Pay(channel, Lidu, Guid.CreateVersion7(Now), 38000);

        Assert.IsType<NoticeVerification.Verified>(Verify(_simulator.Notice(payment, status)));
    }

    [Theory]
    [InlineData("alipay", "TRADE_CLOSED")]
    [InlineData("alipay", "WAIT_BUYER_PAY")]
    [InlineData("bank_counter", "CLOSED")]
    public void VerifyNotice_AuthenticButNoPayment_Ignored(string channel, string status)
    {
        var payment = _simulator.Pay(channel, Lidu, Guid.CreateVersion7(Now), 38000);

        var ignored = Assert.IsType<NoticeVerification.Ignored>(Verify(_simulator.Notice(payment, status)));

        Assert.Equal(status, ignored.Status);
    }

    [Fact]
    public void VerifyNotice_AlipayAppIdNotConfigured_UnknownMerchantUnattributed()
    {
        var stranger = SimulatorSetup.Demo.MerchantOf("alipay", Lidu) with { MerchantId = "2021009999999999" };
        var notice = _simulator.Notice(_simulator.Pay(stranger, "0123456789abcdef0123456789abcdef", 100));

        var rejected = Assert.IsType<NoticeVerification.Rejected>(Verify(notice));

        Assert.Equal(NoticeRejections.UnknownMerchant, rejected.Reason);
        Assert.Null(rejected.Merchant);
        Assert.Equal("2021009999999999", rejected.ClaimedMerchantId);
    }

    [Fact]
    public void VerifyNotice_WeChatSerialNotConfigured_UnknownMerchant()
    {
        var notice = PaidNotice("wechat_pay");
        var headers = ChannelTestKit.Headers(notice);
        headers["Wechatpay-Serial"] = "0000000000000000000000000000000000000000";

        var rejected = Assert.IsType<NoticeVerification.Rejected>(_channels.Find("wechat_pay")!.VerifyNotice(headers, notice.Body));

        Assert.Equal(NoticeRejections.UnknownMerchant, rejected.Reason);
    }

    [Fact]
    public void VerifyNotice_WeChatApiV3KeyWrong_MalformedAfterGoodSignature()
    {
        var channels = ChannelTestKit.Registry(_simulator, ChannelTestKit.DemoOptions(o =>
            o.Accounts["wechat_pay"].ApiV3Key = "00000000000000000000000000000000"));
        var notice = PaidNotice("wechat_pay");

        var rejected = Assert.IsType<NoticeVerification.Rejected>(
            channels.Find("wechat_pay")!.VerifyNotice(ChannelTestKit.Headers(notice), notice.Body));

        Assert.Equal(NoticeRejections.MalformedNotice, rejected.Reason);
        Assert.Contains("APIv3", rejected.Detail);
    }

    [Theory]
    [InlineData("wechat_pay", "not json")]
    [InlineData("alipay", "")]
    [InlineData("tax_e_bureau", "{\"merchant_id\":")]
    public void VerifyNotice_Garbage_RejectedWithoutThrowing(string channel, string body)
    {
        var verification = _channels.Find(channel)!.VerifyNotice(new HeaderDictionary(), Encoding.UTF8.GetBytes(body));

        Assert.IsType<NoticeVerification.Rejected>(verification);
    }

    [Fact]
    public void VerifyNotice_AlipayTotalAmountWithThreeDecimalsSignedByAlipay_Malformed()
    {
        // Alipay's documented format is yuan with two decimals: anything else is refused, never rounded.
        var notice = PaidNotice("alipay");
        var form = Encoding.UTF8.GetString(notice.Body).Replace("total_amount=380.00", "total_amount=380.001");
        var resigned = ResignAlipay(form);

        var rejected = Assert.IsType<NoticeVerification.Rejected>(
            _channels.Find("alipay")!.VerifyNotice(new HeaderDictionary(), Encoding.UTF8.GetBytes(resigned)));

        Assert.Equal(NoticeRejections.MalformedNotice, rejected.Reason);
    }

    [Theory]
    [MemberData(nameof(AllChannels))]
    public async Task PrepayThenQuery_Simulator_PayerCodeThenPendingThenPaid(string channel)
    {
        var registry = _channels;
        var merchant = registry.Find(channel)!.Account.MerchantOf(Lidu)!;
        var outTradeNo = OutTradeNo.From(Guid.CreateVersion7(Now));

        var prepay = await registry.Find(channel)!.PrepayAsync(merchant,
            new PrepayRequest(outTradeNo, 38000, "城乡居民医保2024年度个人缴费", Now.AddMinutes(30)), CancellationToken.None);
        var pending = await registry.Find(channel)!.QueryAsync(merchant, outTradeNo, CancellationToken.None);
        var payment = _simulator.Pay(SimulatorSetup.Demo.MerchantOf(channel, Lidu), outTradeNo, 38000, Now);
        var paid = await registry.Find(channel)!.QueryAsync(merchant, outTradeNo, CancellationToken.None);

        Assert.Equal(outTradeNo, prepay.OutTradeNo);
        Assert.EndsWith(Assert.Single(_simulator.Trades).PayerCode, prepay.PayerCode);
        Assert.Equal(TradeState.Pending, pending.State);
        Assert.Equal(TradeState.Paid, paid.State);
        Assert.Equal(new ChannelPayment(outTradeNo, payment.TransactionId, 38000, Now), paid.Payment);
    }

    [Theory]
    [InlineData("wechat_pay", "weixin://wxpay/bizpayurl?pr=")]
    [InlineData("alipay", "https://qr.alipay.com/")]
    public async Task Prepay_OnlinePayment_ProviderDocumentedPayerUrl(string channel, string prefix)
    {
        var merchant = _channels.Find(channel)!.Account.MerchantOf(Lidu)!;

        var prepay = await _channels.Find(channel)!.PrepayAsync(merchant,
            new PrepayRequest(OutTradeNo.From(Guid.CreateVersion7(Now)), 1, "测试", Now.AddMinutes(30)), CancellationToken.None);

        Assert.StartsWith(prefix, prepay.PayerCode);
        var trade = Assert.Single(_simulator.Trades);
        Assert.Equal(1, trade.AmountFen);
        Assert.Equal("测试", trade.Description);
    }

    [Theory]
    [MemberData(nameof(AllChannels))]
    public async Task Query_OrderProviderNeverSaw_NotFound(string channel)
    {
        var merchant = _channels.Find(channel)!.Account.MerchantOf(Lidu)!;

        var status = await _channels.Find(channel)!.QueryAsync(merchant, OutTradeNo.From(Guid.CreateVersion7(Now)), CancellationToken.None);

        Assert.Equal(new TradeStatus(TradeState.NotFound, null), status);
    }

    [Theory]
    [MemberData(nameof(AllChannels))]
    public async Task Query_AnswerNotSignedByProvider_ChannelBadResponse(string channel)
    {
        // A man in the middle (or a misconfigured key) answering "paid" must not be believed.
        var unsigned = ChannelTestKit.Registry(new UnsignedAnswers(), _clock);
        var merchant = unsigned.Find(channel)!.Account.MerchantOf(Lidu)!;

        var error = await Assert.ThrowsAsync<RuleViolation>(() =>
            unsigned.Find(channel)!.QueryAsync(merchant, OutTradeNo.From(Guid.CreateVersion7(Now)), CancellationToken.None));

        Assert.Equal("CHANNEL_BAD_RESPONSE", error.Reason);
    }

    [Fact]
    public async Task Prepay_TenantWithoutMerchantAtChannel_NotConfigured()
    {
        // 渝快办 is Chongqing's: Gaoyang (Hebei) has no account there.
        var order = Core.PaymentOrder.Open(Guid.CreateVersion7(Now), "r-1", "130628100001", 2024, "yukuaiban",
            new Core.PricedContribution(1, 38000, 0, "p", 1, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)),
            false, Now, TimeSpan.FromMinutes(30));

        var error = await Assert.ThrowsAsync<RuleViolation>(() => _channels.PrepayAsync("he-gaoyang", order, CancellationToken.None));

        Assert.Equal("CHANNEL_NOT_CONFIGURED", error.Reason);
    }

    [Fact]
    public void Resolve_ShippedSettings_NoProblemsAndEveryChannelHasAnAdapter()
    {
        var (accounts, problems) = ChannelAccounts.Resolve(ChannelTestKit.DemoOptions());

        Assert.Empty(problems);
        Assert.Equal(PaymentChannels.WithAdapter.Order(), accounts.Select(a => a.Channel).Order());
    }

    [Fact]
    public void Resolve_MerchantWithoutTenantAndChannelWithoutKey_ProblemsNameTheSettings()
    {
        var options = ChannelTestKit.DemoOptions(o =>
        {
            o.Accounts["wechat_pay"].ApiV3Key = null;
            o.Accounts["school"].Merchants["school-cq-lidu"].TenantId = "";
            o.Accounts["alipay"].SigningKey = "bm90IGEga2V5";
        });

        var (_, problems) = ChannelAccounts.Resolve(options);

        Assert.Contains("PaymentCollection:Channels:wechat_pay:Merchants:1900000101:ApiV3Key is required (on the merchant or the channel).", problems);
        Assert.Contains("PaymentCollection:Channels:school:Merchants:school-cq-lidu:TenantId is required.", problems);
        Assert.Contains(problems, p => p.StartsWith("PaymentCollection:Channels:alipay:Merchants:2021000000000101:SigningKey cannot be read"));
    }

    [Fact]
    public void Bind_ChannelSecretsOverlay_PaymentChannelKeysWinOtherServicesKeysIgnored()
    {
        // The chart mounts one channel Secret (Channels__<key>) into payment-collection and notification alike.
        var config = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(SimulatorSetup.DemoSettingsJson())))
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Channels:wechat_pay:ApiV3Key"] = "abcdefghijklmnopqrstuvwxyz012345",
                ["Channels:alipay:Merchants:2021000000000101:ProviderPublicKey"] = "bm90IGEga2V5",
                ["Channels:Sms:ApiKey"] = "notification's",
            })
            .Build();
        var options = new ChannelsOptions();

        ChannelsOptions.Bind(config, options);

        Assert.Equal("abcdefghijklmnopqrstuvwxyz012345", options.Accounts["wechat_pay"].ApiV3Key);
        Assert.Equal("bm90IGEga2V5", options.Accounts["alipay"].Merchants["2021000000000101"].ProviderPublicKey);
        Assert.Equal("cq-lidu", options.Accounts["alipay"].Merchants["2021000000000101"].TenantId);
        Assert.DoesNotContain("Sms", options.Accounts.Keys);
    }

    private static string ResignAlipay(string form)
    {
        var parameters = form.Split('&').Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
        var content = AlipayChannel.SigningContent(parameters, excludeSignType: true);
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(DemoProviderKeys.AlipayPrivateKey), out _);
        parameters["sign"] = Convert.ToBase64String(rsa.SignData(Encoding.UTF8.GetBytes(content),
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1));
        return string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
    }

    /// <summary>Answers every call "paid" without a valid signature.</summary>
    private sealed class UnsignedAnswers : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var body = request.RequestUri!.AbsolutePath.Contains("/alipay/")
                ? """{"alipay_trade_query_response":{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS","out_trade_no":"x","trade_no":"y","total_amount":"1.00"},"sign":"AAAA"}"""
                : """{"trade_state":"SUCCESS","status":"PAID","out_trade_no":"x","transaction_id":"y","amount_fen":1,"amount":{"total":1}}""";
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            response.Headers.Add("Wechatpay-Timestamp", "1700000000");
            response.Headers.Add("Wechatpay-Nonce", "n");
            response.Headers.Add("Wechatpay-Serial", "D88F95B60F0524142123473CF437BB892085191D");
            response.Headers.Add("Wechatpay-Signature", "AAAA");
            response.Headers.Add("X-Medins-Timestamp", "1700000000");
            response.Headers.Add("X-Medins-Signature", new string('0', 64));
            return Task.FromResult(response);
        }
    }
}
