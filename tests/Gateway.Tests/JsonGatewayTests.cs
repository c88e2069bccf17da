using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Security;

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
    public async Task GetResident_WrongApiKey_ClerkTextInReadableChinese()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residents/r-1", "not-a-key"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("\\u", text);
        using var body = JsonDocument.Parse(text);
        var message = Expect.ClerkDetail(body.RootElement.GetProperty("details").EnumerateArray()).GetProperty("message").GetString()!;
        Assert.Equal(ClerkMessages.ByReason["CREDENTIAL_INVALID"], message);
        Assert.Contains(message, text);
    }

    [Fact]
    public async Task UnknownPath_TenantKey_ClerkTextSaysTheAddressIsWrong()
    {
        using var response = await fixture.Http.SendAsync(Get("/v1/residentsX/r-1", GatewayFixture.LiduKey));

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = Expect.ClerkDetail(body.RootElement.GetProperty("details").EnumerateArray()).GetProperty("message").GetString()!;
        Assert.Contains("地址有误", message);
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
    public async Task GetResident_TenantKeyWithForgedScopeAndAssertions_BackendGetsOnlyTheGatewaysAssertion()
    {
        var echoed = await EchoAsync(Get("/v1/residents/r-1", GatewayFixture.LiduKey,
            ("x-medins-scope", "city"), ("x-medins-client", "demo-city"), ("x-tenant-id", "cq-lidu"),
            ("x-medins-caller", "forged.caller.token"), ("x-medins-service", "forged.service.token"), ("dapr-api-token", "guessed")));

        Assert.Equal("/v1/residents/r-1", echoed.Path);
        var assertion = TestAssertions.Accepted(echoed.Headers.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("demo-lidu", "cq-lidu", "tenant"), (assertion.Subject, assertion.TenantId, assertion.Scope));
        foreach (var header in new[] { "x-api-key", "x-tenant-id", "x-medins-scope", "x-medins-client", "x-medins-service", "dapr-api-token" })
            Assert.False(echoed.Headers.ContainsKey(header), header);
    }

    [Fact]
    public async Task GetResident_BearerTenantKey_BackendGetsAssertionOfTenant()
    {
        var request = Get("/v1/residents/r-1");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "demo-meishan-dongpo-key");

        var echoed = await EchoAsync(request);

        var assertion = TestAssertions.Accepted(echoed.Headers.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("demo-meishan-dongpo", "sc-meishan-dongpo"), (assertion.Subject, assertion.TenantId));
        Assert.False(echoed.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task GetResident_CityKeyNamingTenant_BackendGetsCityAssertionForThatTenant()
    {
        var echoed = await EchoAsync(Get("/v1/residents/r-1", GatewayFixture.CityKey, ("x-tenant-id", "cq-linjiang")));

        var assertion = TestAssertions.Accepted(echoed.Headers.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry");
        Assert.Equal(("demo-city", "cq-linjiang", "city"), (assertion.Subject, assertion.TenantId, assertion.Scope));
        Assert.Equal(["read", "audit"], assertion.Roles);
        Assert.False(echoed.Headers.ContainsKey("x-tenant-id"));
    }

    [Theory]
    [InlineData("GET", "/v1/residents/r-1", "identity-registry")]
    [InlineData("GET", "/v1/divisions", "identity-registry")]
    [InlineData("POST", "/v1/paymentOrders/o-1:confirm", "payment-collection")]
    [InlineData("GET", "/v1/reconciliationDiscrepancies", "payment-collection")]
    [InlineData("GET", "/v1/villageProgress/2024/500156101001", "quota-tracking")]
    [InlineData("GET", "/v1/messages", "notification")]
    public async Task JsonRoute_TenantKey_AssertionAddressedToTheRoutesServiceOnly(string method, string path, string appId)
    {
        var request = Get(path, GatewayFixture.LinjiangKey);
        request.Method = new HttpMethod(method);
        if (method == "POST") request.Content = new StringContent("{}");

        var echoed = await EchoAsync(request);

        var token = echoed.Headers.GetValueOrDefault(AssertionHeaders.Caller);
        Assert.Equal(("demo-linjiang", "cq-linjiang"), (TestAssertions.Accepted(token, appId).Subject, TestAssertions.Accepted(token, appId).TenantId));
        foreach (var other in new[] { "identity-registry", "contribution-calculation", "payment-collection", "quota-tracking", "notification" }.Where(a => a != appId))
            Assert.Equal(AssertionReasons.WrongAudience, TestAssertions.Verifier().Validate(token, other).Reason);
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
        Assert.Equal("cq-lidu", TestAssertions.Accepted(echoed.Headers.GetValueOrDefault(AssertionHeaders.Caller), "identity-registry").TenantId);
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
