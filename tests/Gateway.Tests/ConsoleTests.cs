using System.Net;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Gateway.WebConsole;

namespace Medins.Gateway.Tests;

/// <summary>The console's static pages: public, with the security headers; the data behind them still needs a credential.</summary>
public sealed class ConsoleTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal(ConsoleEndpoints.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("frame-ancestors 'none'", ConsoleEndpoints.ContentSecurityPolicy);
        Assert.DoesNotContain("unsafe-inline", ConsoleEndpoints.ContentSecurityPolicy);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
    }

    [Theory]
    [InlineData("/console/", "text/html", "城乡居民医保征缴管理台")]
    [InlineData("/console/progress.html", "text/html", "征缴进度")]
    [InlineData("/console/peak.html", "text/html", "高峰监控")]
    [InlineData("/console/ledger.html", "text/html", "未参保台账")]
    [InlineData("/console/cash.html", "text/html", "村代收")]
    [InlineData("/console/console.js", "text/javascript", "sessionStorage")]
    [InlineData("/console/console.css", "text/css", "grid")]
    public async Task ConsoleFile_NoCredential_ServedWithSecurityHeaders(string path, string contentType, string text)
    {
        using var response = await fixture.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Contains(text, await response.Content.ReadAsStringAsync());
        AssertSecurityHeaders(response);
    }

    [Fact]
    public async Task ConsoleFile_Head_HeadersAndLengthWithoutBody()
    {
        using var get = await fixture.Http.GetAsync("/console/");
        using var head = await fixture.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/console/"));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("text/html", head.Content.Headers.ContentType?.MediaType);
        Assert.Equal((await get.Content.ReadAsByteArrayAsync()).Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        AssertSecurityHeaders(head);
    }

    [Fact]
    public async Task ConsolePages_EveryPage_NoInlineScriptOrStyle()
    {
        foreach (var page in new[] { "index.html", "progress.html", "peak.html", "ledger.html", "cash.html" })
        {
            var html = await fixture.Http.GetStringAsync("/console/" + page);
            // Scripts only as module files of the same origin (the CSP would block anything inline).
            Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=""[a-z]+\.js"")", html);
            Assert.DoesNotContain("style=", html);
            Assert.DoesNotContain("http", html);
        }
    }

    [Theory]
    [InlineData("/console/missing.html")]
    [InlineData("/console/.hidden")]
    [InlineData("/console/progress.html/")]
    public async Task ConsoleFile_NotAConsoleFile_404WithSecurityHeaders(string path)
    {
        using var response = await fixture.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertSecurityHeaders(response);
    }

    [Theory]
    [InlineData("/console/%2e%2e/appsettings.json")]
    [InlineData("/console/..%2fappsettings.json")]
    public async Task ConsoleFile_PathOutsideTheFolder_404(string path)
    {
        using var response = await fixture.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("Services", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Console_WithoutSlash_RedirectsToTheSignInPage()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Http.BaseAddress };
        using var response = await client.GetAsync("/console");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/v1/villageProgress/2024")]
    [InlineData("/v1/ledgers/LEDGER_REGISTERED_NOT_ENROLLED?coverageYear=2024")]
    [InlineData("/v1/villageCashBalances")]
    [InlineData("/v1/agentCashBalances")]
    public async Task ConsoleDataRoute_NoCredential_401(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Referrer = new Uri(fixture.Http.BaseAddress!, "/console/progress.html");
        using var response = await fixture.Http.SendAsync(request);

        Assert.Equal("CREDENTIAL_MISSING", await Expect.JsonErrorAsync(HttpStatusCode.Unauthorized, 16, response));
    }
}
