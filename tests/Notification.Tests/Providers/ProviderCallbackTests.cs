using System.Net;
using System.Text;
using Medins.Notification.Channels;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests.Providers;

/// <summary>Provider delivery reports, posted to the service's callback endpoints, applied to stored messages.</summary>
public sealed class ProviderCallbackTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string CallbackToken = "sms-callback-token-7f3a";
    private const string WeChatToken = "wechat-push-token";
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "notification", new Dictionary<string, string?>
        {
            ["Notification:Dispatcher:Enabled"] = "false",
            ["Notification:Providers:SMS"] = "tencent-sms",
            ["Notification:Providers:WECHAT"] = "wechat-mp",
            ["Notification:TencentSms:Endpoint"] = "http://127.0.0.1:9",
            ["Notification:TencentSms:CallbackToken"] = CallbackToken,
            ["Notification:WeChat:Endpoint"] = "http://127.0.0.1:9",
            ["Notification:WeChat:Token"] = WeChatToken,
        }, s => s.AddSingleton<TimeProvider>(_clock));
        _http = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<Guid> SentMessageAsync(string channel, string provider, string providerMessageId)
    {
        var id = Guid.NewGuid();
        await using var cmd = _db.Owner.CreateCommand("""
            INSERT INTO notification.messages (tenant_id, message_id, recipient_kind, recipient_id, template_key, channel, body,
                                               status, created_at, sent_at, attempts, provider, provider_message_id)
            VALUES ($1, $2, 'RESIDENT', 'res-1', 'payment-receipt', $3, '您已缴费', 'SENT', $4, $4, 1, $5, $6)
            """);
        foreach (var value in new object[] { Lidu, id, channel, Now, provider, providerMessageId })
            cmd.Parameters.Add(new() { Value = value });
        await cmd.ExecuteNonQueryAsync();
        return id;
    }

    private async Task<(string Status, string? Error, DateTimeOffset? DeliveredAt)> RowAsync(Guid id)
    {
        await using var cmd = _db.Owner.CreateCommand(
            "SELECT status, last_error, delivered_at FROM notification.messages WHERE message_id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
    }

    private Task<HttpResponseMessage> PostTencentAsync(string json, string token = CallbackToken) =>
        _http.PostAsync($"/providers/tencent-sms/status?token={Uri.EscapeDataString(token)}",
            new StringContent(json, Encoding.UTF8, "application/json"));

    private static string Report(string sid, string status, string errmsg = "DELIVRD", string time = "2023-11-20 09:31:05") =>
        $$"""{"user_receive_time":"{{time}}","nationcode":"86","mobile":"13800138000","report_status":"{{status}}","errmsg":"{{errmsg}}","description":"用户短信送达","sid":"{{sid}}"}""";

    private static string WeChatQuery(string token = WeChatToken, string timestamp = "1700443865", string nonce = "n-42") =>
        $"timestamp={timestamp}&nonce={nonce}&signature={ProviderCallbacks.WeChatSignature(token, timestamp, nonce)}";

    private static string JobFinished(string msgId, string status, long createTime = 1700443865) => $"""
        <xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>
        <CreateTime>{createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
        <MsgID>{msgId}</MsgID><Status><![CDATA[{status}]]></Status></xml>
        """;

    private Task<HttpResponseMessage> PostWeChatAsync(string xml, string query) =>
        _http.PostAsync($"/providers/wechat-mp/events?{query}", new StringContent(xml, Encoding.UTF8, "text/xml"));

    [Fact]
    public void Host_ProvidersConfigured_TencentSmsAndWeChatCarryTheirChannels()
    {
        var providers = _host.Services.GetServices<IMessageProvider>().ToList();

        Assert.Contains(providers, p => p is TencentSmsProvider { Channel: ChannelNames.Sms });
        Assert.Contains(providers, p => p is WeChatTemplateProvider { Channel: ChannelNames.WeChat });
    }

    [Fact]
    public async Task TencentStatus_Success_MessageDeliveredAtBeijingReceiveTime()
    {
        var id = await SentMessageAsync("SMS", "tencent-sms", "2640:sid-1");

        using var response = await PostTencentAsync($"[{Report("2640:sid-1", "SUCCESS")}]");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"result":0,"errmsg":"OK"}""", await response.Content.ReadAsStringAsync());
        var row = await RowAsync(id);
        Assert.Equal("DELIVERED", row.Status);
        Assert.Equal(new DateTimeOffset(2023, 11, 20, 1, 31, 5, TimeSpan.Zero), row.DeliveredAt);
    }

    [Fact]
    public async Task TencentStatus_Fail_MessageFailedWithProviderError()
    {
        var id = await SentMessageAsync("SMS", "tencent-sms", "2640:sid-2");

        using var response = await PostTencentAsync($"[{Report("2640:sid-2", "FAIL", errmsg: "MK:0001")}]");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowAsync(id);
        Assert.Equal("FAILED", row.Status);
        Assert.StartsWith("MK:0001", row.Error);
        Assert.Null(row.DeliveredAt);
    }

    [Fact]
    public async Task TencentStatus_RepeatedThenContradicted_FirstReceiptStands()
    {
        var id = await SentMessageAsync("SMS", "tencent-sms", "2640:sid-3");

        using var first = await PostTencentAsync($"[{Report("2640:sid-3", "SUCCESS")}]");
        using var again = await PostTencentAsync($"[{Report("2640:sid-3", "SUCCESS", time: "2023-11-20 10:00:00")}]");
        using var contrary = await PostTencentAsync($"[{Report("2640:sid-3", "FAIL", errmsg: "MK:0001")}]");

        Assert.All([first, again, contrary], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var row = await RowAsync(id);
        Assert.Equal("DELIVERED", row.Status);
        Assert.Equal(new DateTimeOffset(2023, 11, 20, 1, 31, 5, TimeSpan.Zero), row.DeliveredAt);
        Assert.Null(row.Error);
    }

    [Theory]
    [InlineData("wrong-token")]
    [InlineData("")]
    public async Task TencentStatus_BadToken_ForbiddenAndMessageUnchanged(string token)
    {
        var id = await SentMessageAsync("SMS", "tencent-sms", "2640:sid-4");

        using var response = await PostTencentAsync($"[{Report("2640:sid-4", "SUCCESS")}]", token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SENT", (await RowAsync(id)).Status);
    }

    [Theory]
    [InlineData("{\"sid\":\"x\"}")]
    [InlineData("not json")]
    [InlineData("[REPORT, {\"report_status\":\"SUCCESS\",\"user_receive_time\":\"2023-11-20 09:31:05\"}]")]
    [InlineData("[REPORT, {\"sid\":\"2640:other\",\"report_status\":\"SUCCESS\",\"user_receive_time\":\"20231120\"}]")]
    public async Task TencentStatus_MalformedBody_BadRequestAndNothingApplied(string body)
    {
        var id = await SentMessageAsync("SMS", "tencent-sms", "2640:sid-5");

        using var response = await PostTencentAsync(body.Replace("REPORT", Report("2640:sid-5", "SUCCESS")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"result\":1", await response.Content.ReadAsStringAsync());
        Assert.Equal("SENT", (await RowAsync(id)).Status);
    }

    [Fact]
    public async Task TencentStatus_ConfiguredTokenEmpty_RefusesEvenEmptyToken()
    {
        await using var host = new ServiceHost<Program>(_db, "notification",
            new Dictionary<string, string?> { ["Notification:Dispatcher:Enabled"] = "false" });
        using var http = host.CreateClient();

        using var response = await http.PostAsync("/providers/tencent-sms/status?token=", new StringContent("[]"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task WeChatVerify_ValidSignature_EchoesEchostr()
    {
        using var response = await _http.GetAsync($"/providers/wechat-mp/events?{WeChatQuery()}&echostr=5838479218127813673");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5838479218127813673", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WeChatVerify_SignedWithOtherToken_Forbidden()
    {
        using var response = await _http.GetAsync($"/providers/wechat-mp/events?{WeChatQuery(token: "other")}&echostr=1");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task WeChatJobFinished_Success_MessageDeliveredAtCreateTime()
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163836");

        using var response = await PostWeChatAsync(JobFinished("200163836", "success"), WeChatQuery());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", await response.Content.ReadAsStringAsync());
        var row = await RowAsync(id);
        Assert.Equal("DELIVERED", row.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700443865), row.DeliveredAt);
    }

    [Theory]
    [InlineData("failed:user block")]
    [InlineData("failed: system failed")]
    public async Task WeChatJobFinished_Failed_MessageFailedWithStatus(string status)
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163837");

        using var response = await PostWeChatAsync(JobFinished("200163837", status), WeChatQuery());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowAsync(id);
        Assert.Equal("FAILED", row.Status);
        Assert.Equal(status, row.Error);
    }

    [Fact]
    public async Task WeChatJobFinished_BadSignature_ForbiddenAndMessageUnchanged()
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163838");

        using var response = await PostWeChatAsync(JobFinished("200163838", "success"), WeChatQuery(token: "forged"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SENT", (await RowAsync(id)).Status);
    }

    [Fact]
    public async Task WeChatEvent_OtherEventForSameMsgId_AcknowledgedAndIgnored()
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163839");
        var subscribe = JobFinished("200163839", "success").Replace("TEMPLATESENDJOBFINISH", "subscribe");

        using var response = await PostWeChatAsync(subscribe, WeChatQuery());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", await response.Content.ReadAsStringAsync());
        Assert.Equal("SENT", (await RowAsync(id)).Status);
    }

    [Fact]
    public async Task WeChatEvent_NotXml_BadRequest()
    {
        using var response = await PostWeChatAsync("{\"not\":\"xml\"}", WeChatQuery());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task WeChatEvent_Unsubscribe_BindingForgottenSoMessagesGoBySms()
    {
        await using (var cmd = _db.Owner.CreateCommand($"""
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, wechat_openid, source, update_time)
            VALUES ('{Lidu}', 'res-wx', 'NONE', 'oia2TjuEGTNoeX76QEjQNrcURxG8', 'village worker', now()),
                   ('{Lidu}', 'res-other', 'NONE', 'oOtherFollower', 'village worker', now())
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        var unsubscribe = JobFinished("0", "success").Replace("TEMPLATESENDJOBFINISH", "unsubscribe");

        using var response = await PostWeChatAsync(unsubscribe, WeChatQuery());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var read = _db.Owner.CreateCommand(
            "SELECT resident_id, wechat_openid, source FROM notification.contact_preferences ORDER BY resident_id");
        await using var reader = await read.ExecuteReaderAsync();
        var rows = new List<(string, string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        Assert.Equal([("res-other", "oOtherFollower", "village worker"), ("res-wx", "", "wechat unsubscribe")], rows);
    }

    [Fact]
    public async Task WeChatEvent_UnsubscribeWithBadSignature_ForbiddenAndBindingKept()
    {
        await using (var cmd = _db.Owner.CreateCommand($"""
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, wechat_openid, source, update_time)
            VALUES ('{Lidu}', 'res-wx', 'NONE', 'oia2TjuEGTNoeX76QEjQNrcURxG8', 'village worker', now())
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        var unsubscribe = JobFinished("0", "success").Replace("TEMPLATESENDJOBFINISH", "unsubscribe");

        using var response = await PostWeChatAsync(unsubscribe, WeChatQuery(token: "forged"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var read = _db.Owner.CreateCommand("SELECT wechat_openid FROM notification.contact_preferences");
        Assert.Equal("oia2TjuEGTNoeX76QEjQNrcURxG8", await read.ExecuteScalarAsync());
    }

    private static string UnixSeconds(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<long> NonceRowsAsync()
    {
        await using var cmd = _db.Owner.CreateCommand("SELECT count(*) FROM notification.wechat_push_nonces");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    [InlineData(-86_400)]
    public async Task WeChatJobFinished_TimestampOutsideDefaultWindow_ForbiddenAndMessageUnchanged(int secondsFromNow)
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163840");

        using var response = await PostWeChatAsync(JobFinished("200163840", "success"),
            WeChatQuery(timestamp: UnixSeconds(Now.AddSeconds(secondsFromNow))));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SENT", (await RowAsync(id)).Status);
        Assert.Equal(0L, await NonceRowsAsync());
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public async Task WeChatJobFinished_TimestampAtWindowEdge_Applied(int secondsFromNow)
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163841");

        using var response = await PostWeChatAsync(JobFinished("200163841", "success"),
            WeChatQuery(timestamp: UnixSeconds(Now.AddSeconds(secondsFromNow))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DELIVERED", (await RowAsync(id)).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-number")]
    [InlineData("-1700443800")]
    [InlineData("99999999999999999999")]
    public async Task WeChatJobFinished_TimestampNotUnixSeconds_Forbidden(string timestamp)
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163842");

        using var response = await PostWeChatAsync(JobFinished("200163842", "success"), WeChatQuery(timestamp: timestamp));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SENT", (await RowAsync(id)).Status);
    }

    [Fact]
    public async Task WeChatJobFinished_WindowConfigured_OlderPushForbidden()
    {
        await using var host = new ServiceHost<Program>(_db, "notification", new Dictionary<string, string?>
        {
            ["Notification:Dispatcher:Enabled"] = "false",
            ["Notification:WeChat:Token"] = WeChatToken,
            ["Notification:WeChat:CallbackWindow"] = "00:01:00",
        }, s => s.AddSingleton<TimeProvider>(new FakeTimeProvider(Now)));
        using var http = host.CreateClient();
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163843");

        using var old = await http.PostAsync($"/providers/wechat-mp/events?{WeChatQuery(timestamp: UnixSeconds(Now.AddSeconds(-61)))}",
            new StringContent(JobFinished("200163843", "success"), Encoding.UTF8, "text/xml"));
        var afterOld = (await RowAsync(id)).Status;
        using var fresh = await http.PostAsync($"/providers/wechat-mp/events?{WeChatQuery(timestamp: UnixSeconds(Now.AddSeconds(-60)))}",
            new StringContent(JobFinished("200163843", "success"), Encoding.UTF8, "text/xml"));

        Assert.Equal(HttpStatusCode.Forbidden, old.StatusCode);
        Assert.Equal("SENT", afterOld);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal("DELIVERED", (await RowAsync(id)).Status);
    }

    [Fact]
    public async Task WeChatEvent_ReplayedSignedQueryWithOtherBody_ForbiddenAndNothingApplied()
    {
        // The signature covers token, timestamp and nonce only: a captured query could carry any body.
        var first = await SentMessageAsync("WECHAT", "wechat-mp", "200163844");
        var second = await SentMessageAsync("WECHAT", "wechat-mp", "200163845");
        var query = WeChatQuery(nonce: "1514567332");

        using var accepted = await PostWeChatAsync(JobFinished("200163844", "success"), query);
        using var replayed = await PostWeChatAsync(JobFinished("200163845", "success"), query);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, replayed.StatusCode);
        Assert.Equal("DELIVERED", (await RowAsync(first)).Status);
        Assert.Equal("SENT", (await RowAsync(second)).Status);
    }

    [Fact]
    public async Task WeChatEvent_ReplayedUnsubscribe_ForbiddenAndRebindingKept()
    {
        await using (var cmd = _db.Owner.CreateCommand($"""
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, wechat_openid, source, update_time)
            VALUES ('{Lidu}', 'res-wx', 'NONE', 'oia2TjuEGTNoeX76QEjQNrcURxG8', 'village worker', now())
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        var unsubscribe = JobFinished("0", "success").Replace("TEMPLATESENDJOBFINISH", "unsubscribe");
        var query = WeChatQuery(nonce: "88231");
        using var accepted = await PostWeChatAsync(unsubscribe, query);
        // She follows the account again and binds it at the village office.
        await using (var rebind = _db.Owner.CreateCommand(
            "UPDATE notification.contact_preferences SET wechat_openid = 'oia2TjuEGTNoeX76QEjQNrcURxG8', source = 'village worker'"))
        {
            await rebind.ExecuteNonQueryAsync();
        }
        _clock.Advance(TimeSpan.FromMinutes(4));

        using var replayed = await PostWeChatAsync(unsubscribe, query);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, replayed.StatusCode);
        await using var read = _db.Owner.CreateCommand("SELECT wechat_openid FROM notification.contact_preferences");
        Assert.Equal("oia2TjuEGTNoeX76QEjQNrcURxG8", await read.ExecuteScalarAsync());
    }

    [Fact]
    public async Task WeChatVerify_Replayed_Forbidden()
    {
        var query = $"{WeChatQuery(nonce: "77120")}&echostr=5838479218127813673";

        using var first = await _http.GetAsync($"/providers/wechat-mp/events?{query}");
        using var again = await _http.GetAsync($"/providers/wechat-mp/events?{query}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
    }

    [Fact]
    public async Task WeChatEvent_SameNonceNewTimestamp_AcceptedAndExpiredNoncesPruned()
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163846");
        using var first = await PostWeChatAsync(JobFinished("0", "success").Replace("TEMPLATESENDJOBFINISH", "subscribe"),
            WeChatQuery(timestamp: UnixSeconds(Now), nonce: "4242"));
        var rowsAfterFirst = await NonceRowsAsync();
        _clock.Advance(TimeSpan.FromMinutes(6));

        using var later = await PostWeChatAsync(JobFinished("200163846", "success"),
            WeChatQuery(timestamp: UnixSeconds(Now.AddMinutes(6)), nonce: "4242"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(1L, rowsAfterFirst);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal("DELIVERED", (await RowAsync(id)).Status);
        // The first push's timestamp has left the window, so its row was pruned; the window alone refuses its replay.
        Assert.Equal(1L, await NonceRowsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("n-0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task WeChatJobFinished_NonceEmptyOrTooLong_Forbidden(string nonce)
    {
        var id = await SentMessageAsync("WECHAT", "wechat-mp", "200163847");

        using var response = await PostWeChatAsync(JobFinished("200163847", "success"), WeChatQuery(nonce: nonce));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SENT", (await RowAsync(id)).Status);
    }
}
