using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Dapr.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>Where the relay hands events: the Dapr sidecar in Kubernetes, or the subscribers themselves locally.</summary>
public interface IEventTransport
{
    /// <summary>The targets an event on this topic must reach; null when they cannot be known yet.</summary>
    Task<IReadOnlyList<string>?> ResolveTargetsAsync(string topic, CancellationToken ct);

    /// <summary>Delivers to one target; returns null on success, else why it failed.</summary>
    Task<string?> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct);
}

public sealed class EventOptions
{
    /// <summary><c>local</c> (deliver to subscriber routes directly) or <c>dapr</c> (publish through the sidecar).</summary>
    public string Transport { get; set; } = "local";
    public string PubSubName { get; set; } = "pubsub";
    /// <summary>Local transport: subscriber app id → its HTTP base address.</summary>
    public Dictionary<string, string> Subscribers { get; set; } = [];
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    public int BatchSize { get; set; } = 50;
    public int MaxAttempts { get; set; } = 12;
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);
    public bool RelayEnabled { get; set; } = true;
}

/// <summary>Publishes the CloudEvent unchanged (same id) to the Dapr pub/sub component.</summary>
public sealed class DaprEventTransport(DaprClient dapr, IOptions<EventOptions> options) : IEventTransport
{
    public Task<IReadOnlyList<string>?> ResolveTargetsAsync(string topic, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>?>(["dapr:" + options.Value.PubSubName]);

    public async Task<string?> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct)
    {
        try
        {
            await dapr.PublishByteEventAsync(options.Value.PubSubName, cloudEvent.Topic, cloudEvent.ToJsonBytes(),
                CloudEvent.ContentType, cancellationToken: ct);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex.Message;
        }
    }
}

/// <summary>
/// Delivers to each subscriber's Dapr-style route, found the way the sidecar finds it (GET /dapr/subscribe),
/// so the same subscriber code runs with and without Dapr.
/// </summary>
public sealed class LocalEventTransport(HttpClient http, IOptions<EventOptions> options, ILogger<LocalEventTransport> logger)
    : IEventTransport
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<Subscription>> _routes = new();

    public async Task<IReadOnlyList<string>?> ResolveTargetsAsync(string topic, CancellationToken ct)
    {
        var targets = new List<string>();
        foreach (var (appId, baseAddress) in options.Value.Subscribers)
        {
            var subscriptions = await DiscoverAsync(appId, baseAddress, ct);
            if (subscriptions is null) return null; // a subscriber never seen yet may want this topic: wait for it
            if (subscriptions.Any(s => s.Topic == topic && s.PubsubName == options.Value.PubSubName))
                targets.Add(appId);
        }
        return targets;
    }

    public async Task<string?> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct)
    {
        if (!options.Value.Subscribers.TryGetValue(target, out var baseAddress))
            return $"unknown subscriber '{target}'";
        var subscriptions = await DiscoverAsync(target, baseAddress, ct);
        var route = subscriptions?.FirstOrDefault(s => s.Topic == cloudEvent.Topic)?.Route;
        if (route is null) return $"subscriber '{target}' has no route for '{cloudEvent.Topic}'";
        try
        {
            using var content = new ByteArrayContent(cloudEvent.ToJsonBytes());
            content.Headers.ContentType = new(CloudEvent.ContentType);
            using var response = await http.PostAsync(new Uri(new Uri(baseAddress), route.TrimStart('/')), content, ct);
            if (!response.IsSuccessStatusCode) return $"{target} answered {(int)response.StatusCode}";
            // Dapr semantics: an explicit RETRY is a failure to retry; SUCCESS or an empty body is success.
            var body = await response.Content.ReadAsStringAsync(ct);
            return body.Contains("\"RETRY\"", StringComparison.Ordinal) ? $"{target} asked to retry" : null;
        }
        catch (HttpRequestException ex)
        {
            return $"{target} unreachable: {ex.Message}";
        }
    }

    private async Task<IReadOnlyList<Subscription>?> DiscoverAsync(string appId, string baseAddress, CancellationToken ct)
    {
        if (_routes.TryGetValue(appId, out var known)) return known;
        try
        {
            var found = await http.GetFromJsonAsync<List<Subscription>>(new Uri(new Uri(baseAddress), "dapr/subscribe"), ct) ?? [];
            _routes[appId] = found;
            return found;
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException)
        {
            logger.LogInformation("Subscriber {AppId} not reachable yet: {Error}", appId, ex.Message);
            return null;
        }
    }

    private sealed record Subscription(
        [property: JsonPropertyName("pubsubName")] string PubsubName,
        [property: JsonPropertyName("topic")] string Topic,
        [property: JsonPropertyName("route")] string? Route);
}
