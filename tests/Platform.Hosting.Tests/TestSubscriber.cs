using System.Collections.Concurrent;
using System.Text.Json;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Medins.Platform.Hosting.Tests;

/// <summary>
/// A real HTTP subscriber on loopback that speaks Dapr's app protocol (/dapr/subscribe, then POSTs of CloudEvents, or
/// of Dapr's bulk shape when <see cref="Bulk"/> declares bulk subscribe) and can be told to fail its first deliveries, to hold every delivery until released, to answer another status
/// (DROP, RETRY), to subscribe to more topics later, or to run a probe while a delivery is in progress.
/// </summary>
public sealed class TestSubscriber : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<string> _topics = [];
    private int _failuresLeft;
    private int _discoveries;

    public ConcurrentQueue<JsonElement> Received { get; } = new();
    public string BaseAddress { get; }
    public int Attempts => _attempts;
    private int _attempts;
    /// <summary>How many times /dapr/subscribe was asked.</summary>
    public int Discoveries => _discoveries;
    /// <summary>The status every successful delivery answers (Dapr: SUCCESS, RETRY or DROP).</summary>
    public string Answer { get; set; } = "SUCCESS";
    /// <summary>Deliveries wait for this before answering (null: answer at once).</summary>
    public TaskCompletionSource? Hold { get; set; }
    /// <summary>Declares bulk subscribe, so deliveries come as batches (set before the first discovery).</summary>
    public bool Bulk { get; set; }
    /// <summary>A bulk delivery's status for an event id (null: leave it out of the answer); else <see cref="Answer"/>.</summary>
    public Func<string, string?>? BulkAnswer { get; set; }
    /// <summary>Runs while a delivery is being received, before it is answered.</summary>
    public Func<Task>? WhileDelivering { get; set; }

    private TestSubscriber(WebApplication app, string baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public void Subscribe(string topic)
    {
        lock (_topics) _topics.Add(topic);
    }

    public static async Task<TestSubscriber> StartAsync(string topic, int failFirst = 0)
    {
        var port = PostgresCluster.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var subscriber = new TestSubscriber(app, $"http://127.0.0.1:{port}/") { _failuresLeft = failFirst };
        subscriber.Subscribe(topic);
        app.MapGet("/dapr/subscribe", () =>
        {
            Interlocked.Increment(ref subscriber._discoveries);
            lock (subscriber._topics)
                return Results.Json(subscriber._topics.Select(t => new
                {
                    pubsubName = "pubsub", topic = t, route = "events/" + t, bulkSubscribe = new { enabled = subscriber.Bulk },
                }).ToArray());
        });
        app.MapPost("/events/{topic}", async (string topic, HttpContext http) =>
        {
            lock (subscriber._topics)
                if (!subscriber._topics.Contains(topic)) return Results.NotFound();
            Interlocked.Increment(ref subscriber._attempts);
            if (subscriber.WhileDelivering is { } probe) await probe();
            if (subscriber.Hold is { } hold) await hold.Task;
            if (Interlocked.Decrement(ref subscriber._failuresLeft) >= 0) return Results.StatusCode(500);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            if (http.Request.ContentType == "application/cloudevents-batch+json")
            {
                var statuses = new List<object>();
                foreach (var entry in body.GetProperty("entries").EnumerateArray())
                {
                    var id = entry.GetProperty("entryId").GetString()!;
                    var status = subscriber.BulkAnswer is { } answer ? answer(id) : subscriber.Answer;
                    if (status == "SUCCESS") subscriber.Received.Enqueue(entry.GetProperty("event").Clone());
                    if (status is not null) statuses.Add(new { entryId = id, status });
                }
                return Results.Json(new { statuses });
            }
            if (subscriber.Answer == "SUCCESS") subscriber.Received.Enqueue(body);
            return Results.Json(new { status = subscriber.Answer });
        });
        await app.StartAsync();
        return subscriber;
    }

    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
