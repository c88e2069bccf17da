using System.Collections.Concurrent;
using System.Text.Json;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Medins.Platform.Hosting.Tests;

/// <summary>
/// A real HTTP subscriber on loopback that speaks Dapr's app protocol (/dapr/subscribe, then POSTs of CloudEvents)
/// and can be told to fail its first deliveries.
/// </summary>
public sealed class TestSubscriber : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;

    public ConcurrentQueue<JsonElement> Received { get; } = new();
    public string BaseAddress { get; }
    public int Attempts => _attempts;
    private int _attempts;

    private TestSubscriber(WebApplication app, string baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public static async Task<TestSubscriber> StartAsync(string topic, int failFirst = 0)
    {
        var port = PostgresCluster.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var subscriber = new TestSubscriber(app, $"http://127.0.0.1:{port}/") { _failuresLeft = failFirst };
        app.MapGet("/dapr/subscribe", () => Results.Json(new[] { new { pubsubName = "pubsub", topic, route = "events/" + topic } }));
        app.MapPost("/events/" + topic, async (HttpContext http) =>
        {
            Interlocked.Increment(ref subscriber._attempts);
            if (Interlocked.Decrement(ref subscriber._failuresLeft) >= 0) return Results.StatusCode(500);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            subscriber.Received.Enqueue(body);
            return Results.Json(new { status = "SUCCESS" });
        });
        await app.StartAsync();
        return subscriber;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
