using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
    /// <summary>Events fanned out per pass, and the most deliveries one lane claims at a time.</summary>
    public int BatchSize { get; set; } = 50;
    /// <summary>Deliveries in flight at once per target.</summary>
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

    /// <summary>A lane claims only what it delivers at once, so a claim needs to cover one delivery's timeout.</summary>
    public int ClaimSize => Math.Max(1, Math.Min(BatchSize, ConcurrencyPerTarget));

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

    public async Task<DeliveryResult> DeliverAsync(string target, CloudEvent cloudEvent, CancellationToken ct)
    {
        RemoteCallGuard.EnsureNoTransaction($"deliver {cloudEvent.Topic} to {target}");
        if (!options.Value.Subscribers.TryGetValue(target, out var baseAddress))
            return DeliveryResult.Failed($"unknown subscriber '{target}'");

        var discovery = await SubscriptionsAsync(target, baseAddress, newerThan: null, ct);
        var route = discovery.RouteFor(cloudEvent.Topic, options.Value.PubSubName);
        if (route is null && discovery.Error is null && discovery.FetchedAt <= cloudEvent.Time)
        {
            discovery = await SubscriptionsAsync(target, baseAddress, cloudEvent.Time, ct);
            route = discovery.RouteFor(cloudEvent.Topic, options.Value.PubSubName);
        }
        if (discovery.Error is not null) return DeliveryResult.Failed(discovery.Error);
        if (route is null)
        {
            // Only a discovery made after the event was written can say it is not wanted.
            return discovery.FetchedAt > cloudEvent.Time
                ? new DeliveryResult(DeliveryOutcome.NotSubscribed)
                : new DeliveryResult(DeliveryOutcome.Deferred, RetryAt: discovery.FetchedAt + options.Value.SubscriptionsMinRefresh);
        }

        try
        {
            var body = cloudEvent.ToJsonBytes();
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(baseAddress), route.TrimStart('/')));
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new(CloudEvent.ContentType);
            // Subscribers apply only deliveries signed by their publisher for exactly these bytes.
            if (signer is not null) request.Headers.Add(AssertionHeaders.Service, signer.Sign(target, cloudEvent.TenantId, body));
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                Forget(target);
                return DeliveryResult.Failed($"{target} answered 404 for {route}");
            }
            // 401/403 (a refused signature, e.g. during a key roll-over) is an attempt like any failure, never a DROP.
            if (!response.IsSuccessStatusCode) return DeliveryResult.Failed($"{target} answered {(int)response.StatusCode}");
            // Dapr semantics: RETRY is a failure to retry, DROP a message never to retry, SUCCESS or no body success.
            var status = ReadStatus(await response.Content.ReadAsStringAsync(ct));
            return status switch
            {
                "RETRY" => DeliveryResult.Failed($"{target} asked to retry"),
                "DROP" => new DeliveryResult(DeliveryOutcome.Rejected, $"{target} dropped the event as unprocessable"),
                _ => DeliveryResult.Delivered,
            };
        }
        catch (HttpRequestException ex)
        {
            Forget(target);
            return DeliveryResult.Failed($"{target} unreachable: {ex.Message}");
        }
    }

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
        public string? RouteFor(string topic, string pubsub) =>
            Routes.FirstOrDefault(s => s.Topic == topic && s.PubsubName == pubsub)?.Route;
    }

    private sealed record Subscription(
        [property: JsonPropertyName("pubsubName")] string PubsubName,
        [property: JsonPropertyName("topic")] string Topic,
        [property: JsonPropertyName("route")] string? Route);
}
