using System.Net;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Platform.Hosting.Tests;

/// <summary>Where a platform process listens (real Kestrel sockets), and what its metrics port answers.</summary>
public sealed class ListeningTests
{
    private static async Task<(WebApplication App, int Http, int Metrics)> StartAsync(bool metricsPort)
    {
        var http = PostgresCluster.FreePort();
        var metrics = PostgresCluster.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Platform:HttpPort"] = http.ToString();
        if (metricsPort) builder.Configuration["Platform:MetricsPort"] = metrics.ToString();
        builder.AddPlatformObservability();
        var app = builder.Build();
        app.MapPlatformObservability();
        app.MapGet("/v1/things", () => "the API");
        await app.StartAsync();
        return (app, http, metrics);
    }

    [Fact]
    public async Task Listen_NoListenAddressConfigured_LoopbackOnly()
    {
        var (app, _, _) = await StartAsync(metricsPort: true);
        await using var _app = app;

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

        Assert.Equal(2, addresses.Count);
        Assert.All(addresses, a => Assert.StartsWith("http://127.0.0.1:", a));
    }

    [Fact]
    public async Task MetricsPort_Set_ServesOnlyMetricsAndProbesThereAndNoMetricsOnTheHttpPort()
    {
        var (app, httpPort, metricsPort) = await StartAsync(metricsPort: true);
        await using var _app = app;
        using var client = new HttpClient();

        async Task<HttpStatusCode> Get(int port, string path)
        {
            using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Get(metricsPort, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, await Get(metricsPort, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, await Get(metricsPort, "/readyz"));
        Assert.Equal(HttpStatusCode.NotFound, await Get(metricsPort, "/v1/things"));
        Assert.Equal(HttpStatusCode.OK, await Get(httpPort, "/v1/things"));
        Assert.Equal(HttpStatusCode.OK, await Get(httpPort, "/healthz"));
        Assert.Equal(HttpStatusCode.NotFound, await Get(httpPort, "/metrics"));
    }

    [Fact]
    public async Task MetricsPort_NotSet_MetricsOnTheHttpPort()
    {
        var (app, httpPort, _) = await StartAsync(metricsPort: false);
        await using var _app = app;
        using var client = new HttpClient();

        using var response = await client.GetAsync($"http://127.0.0.1:{httpPort}/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
