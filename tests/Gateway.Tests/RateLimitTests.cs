using System.Net;
using Grpc.Core;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;

namespace Medins.Gateway.Tests;

/// <summary>A gateway whose buckets hold two calls and refill one a second.</summary>
public sealed class RateLimitTests(RateLimitTests.Fixture fixture) : IClassFixture<RateLimitTests.Fixture>
{
    public sealed class Fixture : GatewayFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Gateway:RateLimit:PermitsPerSecond"] = "1",
            ["Gateway:RateLimit:Burst"] = "2",
        };
    }

    [Fact]
    public async Task ListResidents_TenantOverLimit_ResourceExhaustedRateLimited()
    {
        var headers = new Metadata { { "x-api-key", "demo-gaoyang-key" } };
        await fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), headers);

        // Two permits in the bucket and one more a second: five back-to-back calls cannot all pass.
        var reason = await Expect.RpcErrorAsync(StatusCode.ResourceExhausted, async () =>
        {
            for (var i = 0; i < 5; i++) await fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), headers);
        });
        Assert.Equal("RATE_LIMITED", reason);

        // Another tenant has its own bucket.
        var other = await fixture.HeadersSeenByBackendAsync(new Metadata { { "x-api-key", "demo-meishan-dongpo-key" } });
        Assert.Equal("sc-meishan-dongpo", other["x-tenant-id"]);
    }

    [Fact]
    public async Task GetResident_TenantOverLimitOverJson_429RateLimited()
    {
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 6 && refused is null; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-1");
            request.Headers.Add("x-api-key", GatewayFixture.LinjiangKey);
            var response = await fixture.Http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.Equal("RATE_LIMITED", await Expect.JsonErrorAsync(HttpStatusCode.TooManyRequests, 8, refused));
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }
    }
}
