using Medins.Gateway.Routing;

namespace Medins.Gateway.Tests;

public class ServiceCatalogTests
{
    [Theory]
    [InlineData("/v1/residents/{resident_id}", "/v1/residents")]
    [InlineData("/v1/residents", "/v1/residents")]
    [InlineData("/v1/paymentOrders/{order_id}:confirm", "/v1/paymentOrders")]
    [InlineData("/v1/villageProgress/{coverage_year}/{village_code}", "/v1/villageProgress")]
    [InlineData("/v1/policies:validate", "/v1/policies:validate")]
    public void LiteralPrefix_HttpTemplate_PathUpToFirstVariable(string template, string expected) =>
        Assert.Equal(expected, ServiceCatalog.LiteralPrefix(template));

    [Fact]
    public void Services_ReadFromProtoAnnotations_RouteEveryJsonRpc()
    {
        var contribution = ServiceCatalog.Services.Single(s => s.AppId == "contribution-calculation");

        Assert.Equal(["medins.contribution.v1.ContributionCalculationService"], contribution.GrpcServices);
        Assert.Contains("/v1/quotes", contribution.JsonPrefixes);
        Assert.Contains("/v1/householdQuotes", contribution.JsonPrefixes);
        Assert.Contains("/v1/policies:validate", contribution.JsonPrefixes);
        Assert.All(ServiceCatalog.Services, s => Assert.NotEmpty(s.JsonPrefixes));
    }
}
