using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dapr.Client;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Platform.Hosting.Messaging;

public enum DeliveryOutcome
{
    Delivered,
    /// <summary>Try again later: counts as an attempt for this target.</summary>
    Failed,
    /// <summary>The subscriber can never take this event (it answered DROP): dead-lettered at once.</summary>
    Rejected,
    /// <summary>The target does not subscribe to the topic (as of a discovery made after the event): nothing owed.</summary>
    NotSubscribed,
    /// <summary>Not attempted: whether the target subscribes is known only after a re-discovery, due at <see cref="DeliveryResult.RetryAt"/>.</summary>
    Deferred,
}

public sealed record DeliveryResult(DeliveryOutcome Outcome, string? Error = null, DateTimeOffset? RetryAt = null)
{
    public static readonly DeliveryResult Delivered = new(DeliveryOutcome.Delivered);
    public static DeliveryResult Failed(string error) => new(DeliveryOutcome.Failed, error);
}

/// <summary>Where the relay hands events: the Dapr sidecar in Kubernetes, or the subscribers themselves locally.</summary>
public interface IEventTransport
{
    /// <summary>Every target an event may be owed to; the relay keeps one delivery lane per target.</summary>
    IReadOnlyList<string> Targets { get; }

    /// <summary>Delivers to one target. Failures are answers, not exceptions (the relay still guards against both).</summary>
    Task<DeliveryResult> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct);

    /// <summary>
    /// Delivers events of one topic to one target, in one request where the target takes batches; one result per
    /// event, in the events' order.
    /// </summary>
    Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(string target, IReadOnlyList<CloudEvent> events, CancellationToken ct);
}

/// <summary>
/// Dapr's bulk subscribe wire shape, which the local transport speaks too: the app receives
/// <c>{"entries":[{"entryId","event","contentType"}],...}</c> and answers a status per entry.
/// </summary>
public static class BulkDelivery
{
    public const string ContentType = "application/cloudevents-batch+json";
    public const string Success = "SUCCESS";
    public const string Retry = "RETRY";
    public const string Drop = "DROP";

    /// <summary>The most events Dapr gathers into one bulk delivery of a topic.</summary>
    public const int MaxMessagesCount = 100;
    /// <summary>How long Dapr waits to fill a bulk delivery: short, as a payment's counters should move at once.</summary>
    public const int MaxAwaitDurationMs = 20;

    public static byte[] Body(string pubsub, string topic, IReadOnlyList<CloudEvent> events)
    {
        var entries = new JsonArray();
        foreach (var e in events)
            entries.Add(new JsonObject
            {
                ["entryId"] = e.Id.ToString(),
                ["event"] = JsonNode.Parse(e.ToJsonBytes()),
                ["contentType"] = CloudEvent.ContentType,
                ["metadata"] = new JsonObject(),
            });
        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["entries"] = entries,
            ["id"] = Guid.NewGuid().ToString(),
            ["metadata"] = new JsonObject(),
            ["pubsubname"] = pubsub,
            ["topic"] = topic,
            ["type"] = "com.dapr.event.sent",
        });
    }

    /// <summary>entryId → status from a subscriber's answer; empty when the answer has none.</summary>
    public static Dictionary<string, string> Statuses(string body)
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(body)) return statuses;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("statuses", out var list) || list.ValueKind != JsonValueKind.Array) return statuses;
            foreach (var entry in list.EnumerateArray())
                if (entry.ValueKind == JsonValueKind.Object
                    && entry.TryGetProperty("entryId", out var id) && id.ValueKind == JsonValueKind.String
                    && entry.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String)
                    statuses[id.GetString()!] = status.GetString()!.ToUpperInvariant();
        }
        catch (JsonException)
        {
        }
        return statuses;
    }
}

public sealed class EventOptions
{
    /// <summary><c>local</c> (deliver to subscriber routes directly) or <c>dapr</c> (publish through the sidecar).</summary>
    public string Transport { get; set; } = "local";
    public string PubSubName { get; set; } = "pubsub";
    /// <summary>Local transport: subscriber app id → its HTTP base address.</summary>
    public Dictionary<string, string> Subscribers { get; set; } = [];
    /// <summary>How often the relay looks for events other replicas wrote (its own wake it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>How often an idle lane looks for due retries it has not scheduled itself (new events wake it at once).</summary>
    public TimeSpan LaneIdleInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>Events fanned out per pass, and the most deliveries one lane claims (and sends per request) at a time.</summary>
    public int BatchSize { get; set; } = 50;
    /// <summary>Requests in flight at once per target (topics of one claim, or single events to a subscriber without batches).</summary>
    public int ConcurrencyPerTarget { get; set; } = 8;
    /// <summary>One delivery's limit; a subscriber slower than this has failed that attempt.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public int MaxAttempts { get; set; } = 12;
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>How long a subscriber's /dapr/subscribe answer is trusted before it is asked again.</summary>
    public TimeSpan SubscriptionsExpiry { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>The least time between two discoveries of one subscriber.</summary>
    public TimeSpan SubscriptionsMinRefresh { get; set; } = TimeSpan.FromSeconds(1);
    public bool RelayEnabled { get; set; } = true;

    /// <summary>A lane claims what it delivers at once: one request per topic, so a claim covers one delivery's timeout.</summary>
    public int ClaimSize => Math.Max(1, BatchSize);

    /// <summary>Short, so the claims of a relay that died mid-delivery soon pass to another.</summary>
    public TimeSpan ClaimLease => DeliveryTimeout + TimeSpan.FromSeconds(10);
}

/// <summary>
/// Publishes the CloudEvent unchanged (same id) to the Dapr pub/sub component, Dapr's single target. DaprClient
/// authenticates to its sidecar itself with DAPR_API_TOKEN from the environment; the sidecar delivering to the
/// subscriber app sends APP_API_TOKEN as <c>dapr-api-token</c>, which subscriber routes require.
/// </summary>
public sealed class DaprEventTransport(DaprClient dapr, IOptions<EventOptions> options) : IEventTransport
{
    public IReadOnlyList<string> Targets { get; } = ["dapr:" + options.Value.PubSubName];

    public async Task<DeliveryResult> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct)
    {
        RemoteCallGuard.EnsureNoTransaction("publish " + cloudEvent.Topic);
        try
        {
            await dapr.PublishByteEventAsync(options.Value.PubSubName, cloudEvent.Topic, cloudEvent.ToJsonBytes(),
                CloudEvent.ContentType, cancellationToken: ct);
            return DeliveryResult.Delivered;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return DeliveryResult.Failed(ex.Message);
        }
    }

    /// <summary>
    /// One publish per event: the SDK's bulk publish serialises values as plain JSON, which Dapr would wrap in a
    /// second envelope, and these are CloudEvents already. Dapr batches towards subscribers (bulk subscribe) itself.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(string target, IReadOnlyList<CloudEvent> events, CancellationToken ct)
    {
        var results = new DeliveryResult[events.Count];
        await Parallel.ForAsync(0, events.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.ConcurrencyPerTarget), CancellationToken = ct },
            async (i, token) => results[i] = await DeliverAsync(target, events[i], token));
        return results;
    }
}

/// <summary>
/// Delivers to each subscriber's Dapr-style route, found the way the sidecar finds it (GET /dapr/subscribe),
/// so the same subscriber code runs with and without Dapr. Routes are re-read when they expire, when a
/// subscriber cannot be reached (it may be restarting with other topics) or answers 404, and before deciding
/// that a subscriber does not want an event newer than the last discovery.
/// </summary>
public sealed class LocalEventTransport(HttpClient http, IOptions<EventOptions> options, ILogger<LocalEventTransport> logger,
    TimeProvider? time = null, EventDeliverySigner? signer = null) : IEventTransport
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, Discovery> _discoveries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SemaphoreSlim> _discovering = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Targets => [.. options.Value.Subscribers.Keys];

    public async Task<DeliveryResult> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct) =>
        (await DeliverBatchAsync(target, [cloudEvent], ct))[0];

    /// <summary>
    /// One POST of Dapr's bulk shape when the subscriber declares bulk subscribe for the topic, else one POST per
    /// event (a subscriber of the single shape, as Dapr without bulk subscribe would deliver).
    /// </summary>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(string target, IReadOnlyList<CloudEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return [];
        RemoteCallGuard.EnsureNoTransaction($"deliver {events[0].Topic} to {target}");
        if (!options.Value.Subscribers.TryGetValue(target, out var baseAddress))
            return All(events, DeliveryResult.Failed($"unknown subscriber '{target}'"));
        var topic = events[0].Topic;
        if (events.Any(e => e.Topic != topic)) throw new ArgumentException("A batch carries one topic.", nameof(events));

        var newest = events.Max(e => e.Time);
        var discovery = await SubscriptionsAsync(target, baseAddress, newerThan: null, ct);
        var route = discovery.RouteFor(topic, options.Value.PubSubName);
        if (route is null && discovery.Error is null && discovery.FetchedAt <= newest)
        {
            discovery = await SubscriptionsAsync(target, baseAddress, newest, ct);
            route = discovery.RouteFor(topic, options.Value.PubSubName);
        }
        if (discovery.Error is not null) return All(events, DeliveryResult.Failed(discovery.Error));
        if (route is null)
        {
            // Only a discovery made after an event was written can say it is not wanted.
            return [.. events.Select(e => discovery.FetchedAt > e.Time
                ? new DeliveryResult(DeliveryOutcome.NotSubscribed)
                : new DeliveryResult(DeliveryOutcome.Deferred, RetryAt: discovery.FetchedAt + options.Value.SubscriptionsMinRefresh))];
        }
        var uri = new Uri(new Uri(baseAddress), route.Route!.TrimStart('/'));
        if (route.BulkSubscribe?.Enabled == true) return await PostBatchAsync(target, uri, route.Route!, events, ct);

        var results = new DeliveryResult[events.Count];
        await Parallel.ForAsync(0, events.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.ConcurrencyPerTarget), CancellationToken = ct },
            async (i, token) => results[i] = await PostOneAsync(target, uri, route.Route!, events[i], token));
        return results;
    }

    private async Task<DeliveryResult> PostOneAsync(string target, Uri uri, string route, CloudEvent cloudEvent, CancellationToken ct)
    {
        var (status, answer) = await PostAsync(target, uri, route, cloudEvent.ToJsonBytes(), CloudEvent.ContentType, cloudEvent.TenantId, ct);
        if (answer is not null) return answer;
        // Dapr semantics: RETRY is a failure to retry, DROP a message never to retry, SUCCESS or no body success.
        return ReadStatus(status) switch
        {
            BulkDelivery.Retry => DeliveryResult.Failed($"{target} asked to retry"),
            BulkDelivery.Drop => new DeliveryResult(DeliveryOutcome.Rejected, $"{target} dropped the event as unprocessable"),
            _ => DeliveryResult.Delivered,
        };
    }

    private async Task<IReadOnlyList<DeliveryResult>> PostBatchAsync(string target, Uri uri, string route, IReadOnlyList<CloudEvent> events,
        CancellationToken ct)
    {
        // Tenants travel inside the signed body, so the assertion names none.
        var body = BulkDelivery.Body(options.Value.PubSubName, events[0].Topic, events);
        var (status, answer) = await PostAsync(target, uri, route, body, BulkDelivery.ContentType, tenantId: null, ct);
        if (answer is not null) return All(events, answer);
        var statuses = BulkDelivery.Statuses(status);
        return [.. events.Select(e => statuses.GetValueOrDefault(e.Id.ToString()) switch
        {
            BulkDelivery.Success => DeliveryResult.Delivered,
            BulkDelivery.Drop => new DeliveryResult(DeliveryOutcome.Rejected, $"{target} dropped the event as unprocessable"),
            BulkDelivery.Retry => DeliveryResult.Failed($"{target} asked to retry"),
            // As Dapr does: an entry without a status is not acknowledged.
            _ => DeliveryResult.Failed($"{target} gave no status for the event"),
        })];
    }

    /// <summary>The answer's body on a 2xx, else the failure to record for every event sent.</summary>
    private async Task<(string Body, DeliveryResult? Failure)> PostAsync(string target, Uri uri, string route, byte[] body, string contentType,
        string? tenantId, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri);
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new(contentType);
            // Subscribers apply only deliveries signed by their publisher for exactly these bytes.
            if (signer is not null) request.Headers.Add(AssertionHeaders.Service, signer.Sign(target, tenantId, body));
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                Forget(target);
                return ("", DeliveryResult.Failed($"{target} answered 404 for {route}"));
            }
            // 401/403 (a refused signature, e.g. during a key roll-over) is an attempt like any failure, never a DROP.
            if (!response.IsSuccessStatusCode) return ("", DeliveryResult.Failed($"{target} answered {(int)response.StatusCode}"));
            return (await response.Content.ReadAsStringAsync(ct), null);
        }
        catch (HttpRequestException ex)
        {
            Forget(target);
            return ("", DeliveryResult.Failed($"{target} unreachable: {ex.Message}"));
        }
    }

    private static DeliveryResult[] All(IReadOnlyList<CloudEvent> events, DeliveryResult result) => [.. events.Select(_ => result)];

    private static string? ReadStatus(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("status", out var s)
                   && s.ValueKind == JsonValueKind.String ? s.GetString()!.ToUpperInvariant() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Forget(string target)
    {
        lock (_discoveries) _discoveries.Remove(target);
    }

    /// <summary>The known routes unless expired (or older than <paramref name="newerThan"/>); at most one discovery per target at a time.</summary>
    private async Task<Discovery> SubscriptionsAsync(string target, string baseAddress, DateTimeOffset? newerThan, CancellationToken ct)
    {
        var gate = Gate(target);
        await gate.WaitAsync(ct);
        try
        {
            var now = _time.GetUtcNow();
            Discovery? known;
            lock (_discoveries) _discoveries.TryGetValue(target, out known);
            var fresh = known is not null && now - known.FetchedAt < options.Value.SubscriptionsExpiry;
            var newEnough = known is not null && (newerThan is null || known.FetchedAt > newerThan);
            var mayRefresh = known is null || now - known.FetchedAt >= options.Value.SubscriptionsMinRefresh;
            if (known is not null && (fresh && newEnough || !mayRefresh)) return known;
            try
            {
                var found = await http.GetFromJsonAsync<List<Subscription>>(new Uri(new Uri(baseAddress), "dapr/subscribe"), ct) ?? [];
                var discovery = new Discovery(found, _time.GetUtcNow(), null);
                lock (_discoveries) _discoveries[target] = discovery;
                return discovery;
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException)
            {
                logger.LogInformation("Subscriber {AppId} not reachable for discovery: {Error}", target, ex.Message);
                return new Discovery([], now, $"{target} unreachable for discovery: {ex.Message}");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private SemaphoreSlim Gate(string target)
    {
        lock (_discovering)
        {
            if (!_discovering.TryGetValue(target, out var gate)) _discovering[target] = gate = new SemaphoreSlim(1, 1);
            return gate;
        }
    }

    private sealed record Discovery(IReadOnlyList<Subscription> Routes, DateTimeOffset FetchedAt, string? Error)
    {
        public Subscription? RouteFor(string topic, string pubsub) =>
            Routes.FirstOrDefault(s => s.Topic == topic && s.PubsubName == pubsub && s.Route is not null);
    }

    private sealed record Subscription(
        [property: JsonPropertyName("pubsubName")] string PubsubName,
        [property: JsonPropertyName("topic")] string Topic,
        [property: JsonPropertyName("route")] string? Route,
        [property: JsonPropertyName("bulkSubscribe")] BulkOptions? BulkSubscribe = null);

    private sealed record BulkOptions([property: JsonPropertyName("enabled")] bool Enabled);
}
