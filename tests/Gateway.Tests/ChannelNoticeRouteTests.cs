using System.Net;
using System.Net.Http.Json;
using Medins.Gateway.Tests.Infrastructure;

namespace Medins.Gateway.Tests;

/// <summary>Payment and message providers post signed notices through the gateway without a client credential.</summary>
public sealed class ChannelNoticeRouteTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task PostNotify_NoCredential_ReachesServiceWithoutAnyTenantOrCredentialHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/channels/wechat_pay/notify") { Content = new StringContent("{}") };
        request.Headers.Add("x-tenant-id", "cq-lidu");
        request.Headers.Add("x-medins-scope", "city");
        request.Headers.Add("x-medins-client", "demo-city");
        request.Headers.Add("x-api-key", GatewayFixture.CityKey);
        request.Headers.Add("x-medins-caller", "forged.caller.token");
        request.Headers.Add("x-medins-service", "forged.service.token");
        request.Headers.Add("dapr-api-token", "guessed-token");
        request.Headers.Add("Wechatpay-Signature", "c2lnbmF0dXJl");

        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = (await response.Content.ReadFromJsonAsync<EchoedRequest>())!;
        Assert.Equal("/channels/wechat_pay/notify", echoed.Path);
        Assert.Equal("c2lnbmF0dXJl", echoed.Headers["wechatpay-signature"]);
        Assert.DoesNotContain("x-tenant-id", echoed.Headers.Keys);
        Assert.DoesNotContain("x-medins-scope", echoed.Headers.Keys);
        Assert.DoesNotContain("x-medins-client", echoed.Headers.Keys);
        Assert.DoesNotContain("x-api-key", echoed.Headers.Keys);
        // A provider is no caller of ours: no assertion is minted, and none a sender wrote passes.
        Assert.DoesNotContain("x-medins-caller", echoed.Headers.Keys);
        Assert.DoesNotContain("x-medins-service", echoed.Headers.Keys);
        Assert.DoesNotContain("dapr-api-token", echoed.Headers.Keys);
    }

    [Theory]
    [InlineData("POST", "/providers/tencent-sms/status?token=t0k3n")]
    [InlineData("POST", "/providers/tencent-sms/replies?token=t0k3n")]
    [InlineData("GET", "/providers/wechat-mp/events?signature=abc&timestamp=1700000000&nonce=n1&echostr=e1")]
    [InlineData("POST", "/providers/wechat-mp/events?signature=abc&timestamp=1700000000&nonce=n1")]
    public async Task ProviderCallback_NoCredential_ReachesNotificationWithQueryAndWithoutTenantOrCredential(string method, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), pathAndQuery);
        if (method == "POST") request.Content = new StringContent("[]");
        request.Headers.Add("x-tenant-id", "cq-lidu");
        request.Headers.Add("x-medins-scope", "city");
        request.Headers.Add("x-api-key", GatewayFixture.CityKey);
        request.Headers.Add("x-medins-caller", "forged.caller.token");
        request.Headers.Add("x-medins-service", "forged.service.token");
        request.Headers.Add("dapr-api-token", "guessed-token");

        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = (await response.Content.ReadFromJsonAsync<EchoedRequest>())!;
        Assert.Equal(pathAndQuery, echoed.Path + echoed.Query);
        Assert.DoesNotContain("x-tenant-id", echoed.Headers.Keys);
        Assert.DoesNotContain("x-medins-scope", echoed.Headers.Keys);
        Assert.DoesNotContain("x-api-key", echoed.Headers.Keys);
        Assert.DoesNotContain("x-medins-caller", echoed.Headers.Keys);
        Assert.DoesNotContain("x-medins-service", echoed.Headers.Keys);
        Assert.DoesNotContain("dapr-api-token", echoed.Headers.Keys);
    }

    [Theory]
    [InlineData("GET", "/providers/tencent-sms/status")]
    [InlineData("GET", "/providers/tencent-sms/replies")]
    [InlineData("POST", "/providers/tencent-sms/other")]
    [InlineData("POST", "/providers/unknown/events")]
    public async Task OtherProviderPaths_NoCredential_RouteNotFound(string method, string path)
    {
        using var response = await fixture.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal("ROUTE_NOT_FOUND", await Expect.JsonErrorAsync(HttpStatusCode.NotFound, 5, response));
    }

    [Theory]
    [InlineData("GET", "/channels/wechat_pay/notify")]
    [InlineData("POST", "/channels/wechat_pay/refunds")]
    [InlineData("POST", "/channels")]
    public async Task OtherChannelPaths_NoCredential_RouteNotFound(string method, string path)
    {
        using var response = await fixture.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal("ROUTE_NOT_FOUND", await Expect.JsonErrorAsync(HttpStatusCode.NotFound, 5, response));
    }
}
