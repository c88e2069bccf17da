using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Medins.Notification.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests.Providers;

public sealed class WeChatTemplateProviderTests
{
    private readonly FakeWeChat _fake = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 20, 1, 30, 0, TimeSpan.Zero));

    private WeChatTemplateProvider Provider() => new(new HttpClient(_fake),
        Options.Create(new WeChatOptions { Endpoint = "https://api.weixin.qq.com", AppId = "wx-app", AppSecret = "wx-secret" }),
        _time, NullLogger<WeChatTemplateProvider>.Instance);

    private static ProviderMessage Message() => new("cq-lidu", Guid.NewGuid(), ChannelNames.WeChat, "oABCD-openid-1234", "…", "tmpl-1",
        [new("thing1", "2024年度城乡居民医保"), new("amount2", "380.00元")]);

    [Fact]
    public async Task Send_TwoMessages_TokenFetchedOnceAndTemplateDataSent()
    {
        var provider = Provider();

        var first = await provider.SendAsync(Message(), CancellationToken.None);
        var second = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Accepted("1001"), first);
        Assert.Equal(SendOutcome.Accepted("1002"), second);
        var token = Assert.Single(_fake.TokenRequests);
        Assert.Equal("client_credential", (string)token["grant_type"]!);
        Assert.Equal("wx-app", (string)token["appid"]!);
        Assert.Equal("wx-secret", (string)token["secret"]!);
        Assert.All(_fake.Sends, s => Assert.Equal("token-1", s.Token));
        var body = _fake.Sends[0].Body;
        Assert.Equal("oABCD-openid-1234", (string)body["touser"]!);
        Assert.Equal("tmpl-1", (string)body["template_id"]!);
        Assert.Equal("380.00元", (string)body["data"]!["amount2"]!["value"]!);
    }

    [Fact]
    public async Task Send_TokenNearExpiry_FetchedAgain()
    {
        var provider = Provider();
        await provider.SendAsync(Message(), CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(7200) - TimeSpan.FromMinutes(5));
        await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(2, _fake.TokenRequests.Count);
        Assert.Equal("token-2", _fake.Sends[1].Token);
    }

    [Fact]
    public async Task Send_InvalidToken40001_RefreshedOnceAndResent()
    {
        var provider = Provider();
        _fake.SendReplies.Enqueue("""{"errcode":40001,"errmsg":"invalid credential"}""");

        var outcome = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Accepted("1001"), outcome);
        Assert.Equal(2, _fake.TokenRequests.Count);
        Assert.Equal(["token-1", "token-2"], _fake.Sends.Select(s => s.Token));
    }

    [Fact]
    public async Task Send_InvalidTokenTwice_RetryLaterAfterOneRefresh()
    {
        _fake.SendReplies.Enqueue("""{"errcode":40001,"errmsg":"invalid credential"}""");
        _fake.SendReplies.Enqueue("""{"errcode":42001,"errmsg":"access_token expired"}""");

        var outcome = await Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.RetryLater, outcome.Kind);
        Assert.Equal(2, _fake.Sends.Count);
    }

    [Theory]
    [InlineData(43004, SendOutcomeKind.Rejected)]
    [InlineData(40003, SendOutcomeKind.Rejected)]
    [InlineData(40037, SendOutcomeKind.Rejected)]
    [InlineData(45009, SendOutcomeKind.RetryLater)]
    [InlineData(-1, SendOutcomeKind.RetryLater)]
    [InlineData(45047, SendOutcomeKind.RetryLater)]
    public async Task Send_ErrorCode_Classified(int code, SendOutcomeKind expected)
    {
        _fake.SendReplies.Enqueue($$"""{"errcode":{{code}},"errmsg":"m"}""");

        var outcome = await Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Kind);
        Assert.Equal($"{code}: m", outcome.Error);
    }

    [Fact]
    public async Task Send_Http502_RetryLater()
    {
        _fake.SendStatus = HttpStatusCode.BadGateway;

        var outcome = await Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.RetryLater, outcome.Kind);
    }

    /// <summary>Stands in for api.weixin.qq.com: numbered tokens, numbered msgids, queued error answers.</summary>
    private sealed class FakeWeChat : HttpMessageHandler
    {
        private int _accepted;

        public List<JsonObject> TokenRequests { get; } = [];
        public List<(string Token, JsonObject Body)> Sends { get; } = [];
        public Queue<string> SendReplies { get; } = new();
        public HttpStatusCode SendStatus { get; set; } = HttpStatusCode.OK;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(ct))!.AsObject();
            string reply;
            if (request.RequestUri!.AbsolutePath == "/cgi-bin/stable_token")
            {
                TokenRequests.Add(body);
                reply = $$"""{"access_token":"token-{{TokenRequests.Count}}","expires_in":7200}""";
            }
            else if (request.RequestUri.AbsolutePath == "/cgi-bin/message/template/send")
            {
                if (SendStatus != HttpStatusCode.OK) return new HttpResponseMessage(SendStatus);
                var token = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query)["access_token"]!;
                Sends.Add((token, body));
                reply = SendReplies.Count > 0 ? SendReplies.Dequeue()
                    : $$"""{"errcode":0,"errmsg":"ok","msgid":{{1000 + ++_accepted}}}""";
            }
            else return new HttpResponseMessage(HttpStatusCode.NotFound);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(reply, Encoding.UTF8, "application/json") };
        }
    }
}
