using System.Net;
using System.Net.Http.Json;
using Medins.Gateway.Tests.Infrastructure;

namespace Medins.Gateway.Tests;

/// <summary>JSON API calls through the gateway's HTTP/1.1 port to a real backend.</summary>
public sealed class JsonGatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static HttpRequestMessage Get(string path, string? apiKey = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (apiKey is not null) request.Headers.Add("x-api-key", apiKey);
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        return request;
    }

    private async Task<EchoedRequest> EchoAsync(HttpRequestMessage request)
    {
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await response.Content.ReadFromJsonAsync<EchoedRequest>();
        Assert.NotNull(echoed);
        return echoed;
    }

    [Fact]
    public async Task GetResident_NoCredential_401CredentialMissing()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residents/r-1"));

        Assert.Equal("CREDENTIAL_MISSING", await Expect.JsonErrorAsync(HttpStatusCode.Unauthorized, 16, response));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task GetResident_WrongApiKey_401CredentialInvalid()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residents/r-1", "not-a-key"));

        Assert.Equal("CREDENTIAL_INVALID", await Expect.JsonErrorAsync(HttpStatusCode.Unauthorized, 16, response));
    }

    [Fact]
    public async Task GetResident_NonBearerAuthorization_401CredentialInvalid()
    {
        var request = Get("/v1/residents/r-1");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "ZGVtbzpkZW1v");
        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal("CREDENTIAL_INVALID", await Expect.JsonErrorAsync(HttpStatusCode.Unauthorized, 16, response));
    }

    [Fact]
    public async Task GetResident_TenantKeyNamingOtherTenant_403TenantNotAllowed()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residents/r-1", GatewayFixture.LiduKey, ("x-tenant-id", "he-gaoyang")));

        Assert.Equal("TENANT_NOT_ALLOWED", await Expect.JsonErrorAsync(HttpStatusCode.Forbidden, 7, response));
    }

    [Fact]
    public async Task GetResident_TenantKeyWithForgedCityScope_BackendSeesOwnTenantOnly()
    {
        var echoed = await EchoAsync(Get("/v1/residents/r-1", GatewayFixture.LiduKey,
            ("x-medins-scope", "city"), ("x-medins-client", "demo-city")));

        Assert.Equal("/v1/residents/r-1", echoed.Path);
        Assert.Equal("cq-lidu", echoed.Headers["x-tenant-id"]);
        Assert.Equal("tenant", echoed.Headers["x-medins-scope"]);
        Assert.Equal("demo-lidu", echoed.Headers["x-medins-client"]);
        Assert.False(echoed.Headers.ContainsKey("x-api-key"));
    }

    [Fact]
    public async Task GetResident_BearerTenantKey_BackendSeesTenant()
    {
        var request = Get("/v1/residents/r-1");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "demo-meishan-dongpo-key");

        var echoed = await EchoAsync(request);

        Assert.Equal("sc-meishan-dongpo", echoed.Headers["x-tenant-id"]);
        Assert.Equal("demo-meishan-dongpo", echoed.Headers["x-medins-client"]);
        Assert.False(echoed.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task GetResident_CityKeyNamingTenant_BackendSeesCityScopeAndThatTenant()
    {
        var echoed = await EchoAsync(Get("/v1/residents/r-1", GatewayFixture.CityKey, ("x-tenant-id", "cq-linjiang")));

        Assert.Equal("city", echoed.Headers["x-medins-scope"]);
        Assert.Equal("cq-linjiang", echoed.Headers["x-tenant-id"]);
        Assert.Equal("demo-city", echoed.Headers["x-medins-client"]);
    }

    [Fact]
    public async Task GetResident_CityKeyNamingMalformedTenant_400TenantHeaderInvalid()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residents/r-1", GatewayFixture.CityKey, ("x-tenant-id", "cq lidu;drop")));

        Assert.Equal("TENANT_HEADER_INVALID", await Expect.JsonErrorAsync(HttpStatusCode.BadRequest, 3, response));
    }

    [Fact]
    public async Task ListResidents_BarePrefixWithQuery_RoutedToBackend()
    {
        var echoed = await EchoAsync(Get("/v1/residents?village_code=500156101001", GatewayFixture.LiduKey));

        Assert.Equal("/v1/residents", echoed.Path);
        Assert.Equal("cq-lidu", echoed.Headers["x-tenant-id"]);
    }

    [Fact]
    public async Task UnknownPath_TenantKey_404RouteNotFound()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residentsX/r-1", GatewayFixture.LiduKey));

        Assert.Equal("ROUTE_NOT_FOUND", await Expect.JsonErrorAsync(HttpStatusCode.NotFound, 5, response));
    }

    [Fact]
    public async Task UnknownPath_FileLikePath_404RouteNotFound()
    {
        using var response = await fixture.Http.SendAsync(Get("/admin/config.json"));

        Assert.Equal("ROUTE_NOT_FOUND", await Expect.JsonErrorAsync(HttpStatusCode.NotFound, 5, response));
    }

    [Fact]
    public async Task GetPolicy_ServiceDown_503UpstreamUnavailable()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/policies/2026", GatewayFixture.LiduKey));

        Assert.Equal("UPSTREAM_UNAVAILABLE", await Expect.JsonErrorAsync(HttpStatusCode.ServiceUnavailable, 14, response));
    }

    [Fact]
    public async Task Metrics_AfterRefusedAndProxiedCalls_CountsByScopeAndOutcome()
    {
        (await fixture.Http.SendAsync(Get("/v1/residents/r-1"))).Dispose();
        (await fixture.Http.SendAsync(Get("/v1/residents/r-1", GatewayFixture.CityKey))).Dispose();

        var metrics = await fixture.Http.GetStringAsync("/metrics");

        Assert.Contains("medins_gateway_requests_total{scope=\"none\",outcome=\"unauthenticated\"}", metrics);
        Assert.Contains("medins_gateway_requests_total{scope=\"city\",outcome=\"ok\"}", metrics);
    }

    [Fact]
    public async Task Healthz_NoCredential_Healthy()
    {
        using var response = await fixture.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
