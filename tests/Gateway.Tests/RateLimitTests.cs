using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;

namespace Medins.Gateway.Tests;

/// <summary>
/// A gateway whose buckets refill once an hour, so only their size counts: two calls per credential, three per
/// tenant, two per callback route. Each test uses credentials and routes of its own.
/// </summary>
public sealed class RateLimitTests(RateLimitTests.Fixture fixture) : IClassFixture<RateLimitTests.Fixture>
{
    /// <summary>A second credential of cq-lidu, which shares the tenant's bucket with demo-lidu.</summary>
    private const string LiduSecondKey = "lidu-second-app-key";

    /// <summary>A credential of a tenant no other test here calls, for reflection's buckets.</summary>
    private const string ReflectionKey = "reflection-app-key";

    public sealed class Fixture : GatewayFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Gateway:RateLimit:PerCredential:Permits"] = "1",
            ["Gateway:RateLimit:PerCredential:Period"] = "01:00:00",
            ["Gateway:RateLimit:PerCredential:Burst"] = "2",
            ["Gateway:RateLimit:PerTenant:Permits"] = "1",
            ["Gateway:RateLimit:PerTenant:Period"] = "01:00:00",
            ["Gateway:RateLimit:PerTenant:Burst"] = "3",
            ["Gateway:RateLimit:PerCallbackRoute:Permits"] = "1",
            ["Gateway:RateLimit:PerCallbackRoute:Period"] = "01:00:00",
            ["Gateway:RateLimit:PerCallbackRoute:Burst"] = "2",
            // appsettings.json holds five credentials (0-4).
            ["Gateway:Credentials:5:Name"] = "lidu-second-app",
            ["Gateway:Credentials:5:KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(LiduSecondKey))),
            ["Gateway:Credentials:5:TenantId"] = "cq-lidu",
            ["Gateway:Credentials:5:Scope"] = "tenant",
            ["Gateway:Credentials:5:Roles:0"] = "read",
            ["Gateway:Credentials:6:Name"] = "reflection-app",
            ["Gateway:Credentials:6:KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ReflectionKey))),
            ["Gateway:Credentials:6:TenantId"] = "cq-reflection-test",
            ["Gateway:Credentials:6:Scope"] = "tenant",
            ["Gateway:Credentials:6:Roles:0"] = "read",
        };
    }

    private static Metadata Key(string key) => new() { { "x-api-key", key } };

    private Task ListAsync(string key) => fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), Key(key)).ResponseAsync;

    [Fact]
    public async Task ListResidents_CredentialOverItsBucket_ResourceExhaustedNamingCredentialWithRetryInfo()
    {
        await ListAsync("demo-gaoyang-key");
        await ListAsync("demo-gaoyang-key");

        var error = await Assert.ThrowsAsync<RpcException>(() => ListAsync("demo-gaoyang-key"));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var status = error.GetRpcStatus()!;
        Assert.Equal("RATE_LIMITED_CREDENTIAL", status.GetDetail<ErrorInfo>()?.Reason);
        Assert.True(status.GetDetail<RetryInfo>()?.RetryDelay.ToTimeSpan() > TimeSpan.Zero);
        Assert.Equal("zh-CN", status.GetDetail<LocalizedMessage>()?.Locale);
        Assert.Contains("提交太频繁", status.GetDetail<LocalizedMessage>()!.Message);
    }

    [Fact]
    public async Task ListResidents_TenantBucketEmptiedByItsOtherCredential_ResourceExhaustedNamingTenant()
    {
        await ListAsync(GatewayFixture.LiduKey);
        await ListAsync(GatewayFixture.LiduKey);
        await ListAsync(LiduSecondKey);

        // The second credential has a permit of its own left; its tenant's three are spent.
        var reason = await Expect.RpcErrorAsync(StatusCode.ResourceExhausted, () => ListAsync(LiduSecondKey));
        Assert.Equal("RATE_LIMITED_TENANT", reason);

        // Another tenant has its own bucket.
        Assert.Equal("cq-linjiang", (await fixture.AssertionSeenByBackendAsync(Key(GatewayFixture.LinjiangKey))).TenantId);
    }

    [Fact]
    public async Task GetResident_CredentialOverLimitOverJson_429WithRetryAfterAndRetryInfo()
    {
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 3; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-1");
            request.Headers.Add("x-api-key", "demo-meishan-dongpo-key");
            var response = await fixture.Http.SendAsync(request);
            if (i < 2)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
            }
            else refused = response;
        }

        using (refused)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused!.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal(8, body.RootElement.GetProperty("code").GetInt32());
            var details = body.RootElement.GetProperty("details").EnumerateArray().ToList();
            Assert.Contains(details, d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo"
                && d.GetProperty("reason").GetString() == "RATE_LIMITED_CREDENTIAL");
            Assert.Contains(details, d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.RetryInfo");
            // The clerk reads how long to wait, in the seconds Retry-After gives.
            var clerk = Expect.ClerkDetail(details);
            Assert.Equal("zh-CN", clerk.GetProperty("locale").GetString());
            Assert.Contains($"约 {(long)refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds} 秒后", clerk.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task ChannelNotify_OverItsRouteBucket_RefusedWhateverTheSenderWritesWhileOtherRoutesPass()
    {
        // One route, however the channel segment or the sender's headers vary: one bucket.
        Assert.Equal(HttpStatusCode.OK, await PostAsync("/channels/wechat_pay/notify", ("x-forwarded-for", "10.0.0.1")));
        Assert.Equal(HttpStatusCode.OK, await PostAsync("/channels/alipay/notify", ("x-api-key", GatewayFixture.CityKey)));

        using var refused = await SendAsync("/channels/bureau/notify", ("x-forwarded-for", "10.0.0.2"), ("x-tenant-id", "cq-lidu"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Contains(body.RootElement.GetProperty("details").EnumerateArray(),
            d => d.TryGetProperty("reason", out var r) && r.GetString() == "RATE_LIMITED_CALLBACK_ROUTE");

        // Each other callback route has its own bucket, and callers with credentials theirs.
        Assert.Equal(HttpStatusCode.OK, await PostAsync("/providers/tencent-sms/status?token=t"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync("/providers/tencent-sms/replies?token=t"));
        await fixture.AssertionSeenByBackendAsync(Key(GatewayFixture.CityKey));
    }

    private async Task<HttpStatusCode> PostAsync(string path, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(path, headers);
        return response.StatusCode;
    }

    private Task<HttpResponseMessage> SendAsync(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        return fixture.Http.SendAsync(request);
    }

    [Fact]
    public async Task ServerReflection_CredentialOverItsBucket_ResourceExhaustedNamingCredential()
    {
        var list = new Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" };
        await ReflectionCalls.AskAsync(fixture.Channel, ReflectionCalls.V1, list, ReflectionKey);
        await ReflectionCalls.AskAsync(fixture.Channel, ReflectionCalls.V1Alpha, list, ReflectionKey);

        var error = await Assert.ThrowsAsync<RpcException>(() => ReflectionCalls.AskAsync(fixture.Channel, ReflectionCalls.V1, list, ReflectionKey));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("RATE_LIMITED_CREDENTIAL", error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }
}
