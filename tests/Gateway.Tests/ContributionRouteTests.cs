using System.Net;
using System.Net.Http.Json;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Platform.Hosting.Security;

namespace Medins.Gateway.Tests;

/// <summary>contribution-calculation's JSON routes, with its address pointing at the echo backend.</summary>
public sealed class ContributionRouteTests(ContributionRouteTests.Fixture fixture) : IClassFixture<ContributionRouteTests.Fixture>
{
    public sealed class Fixture : GatewayFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Services:contribution-calculation:Http"] = Backend.HttpAddress,
        };
    }

    [Theory]
    [InlineData("/v1/quotes")]
    [InlineData("/v1/policies:validate")]
    public async Task Post_TenantKey_AssertionAddressedToContributionCalculation(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        request.Headers.Add("x-api-key", GatewayFixture.LiduKey);

        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = (await response.Content.ReadFromJsonAsync<EchoedRequest>())!;
        var token = echoed.Headers.GetValueOrDefault(AssertionHeaders.Caller);
        Assert.Equal("cq-lidu", TestAssertions.Accepted(token, "contribution-calculation").TenantId);
        Assert.Equal(AssertionReasons.WrongAudience, TestAssertions.Verifier().Validate(token, "identity-registry").Reason);
    }
}
