using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Medins.Platform.Hosting.Security;
using Xunit;

namespace Medins.Platform.Testing;

/// <summary>
/// Delivers an event to a subscriber route the way the local relay does: a structured CloudEvent over HTTP, signed by
/// its publisher (<paramref name="publisher"/>, else the app id that publishes the topic) for the subscriber the
/// client reaches (a client from a <see cref="ServiceHost{TProgram}"/>, or <paramref name="subscriber"/>).
/// </summary>
public static class CloudEventPoster
{
    /// <summary>Who publishes each topic.</summary>
    public static string PublisherOf(string topic) => topic switch
    {
        _ when topic.StartsWith("contribution.", StringComparison.Ordinal) => "payment-collection",
        _ when topic.StartsWith("payment.", StringComparison.Ordinal) => "payment-collection",
        _ when topic.StartsWith("quota.", StringComparison.Ordinal) => "quota-tracking",
        _ when topic.StartsWith("resident.", StringComparison.Ordinal) || topic.StartsWith("identity.", StringComparison.Ordinal) => "identity-registry",
        _ when topic.StartsWith("policy.", StringComparison.Ordinal) => "contribution-calculation",
        _ => throw new ArgumentException($"Which service publishes '{topic}'? Name it.", nameof(topic)),
    };

    /// <summary>The CloudEvent's exact bytes, as the relay posts them.</summary>
    public static byte[] Envelope(string topic, string tenantId, IMessage data, Guid? eventId = null, string? publisher = null) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = (eventId ?? Guid.NewGuid()).ToString(),
            ["source"] = publisher ?? PublisherOf(topic),
            ["type"] = data.Descriptor.FullName,
            ["datacontenttype"] = "application/json",
            ["tenantid"] = tenantId,
            ["data"] = JsonNode.Parse(JsonFormatter.Default.Format(data)),
        }.ToJsonString());

    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string topic, string tenantId, IMessage data,
        Guid? eventId = null, string? publisher = null, string? subscriber = null)
    {
        publisher ??= PublisherOf(topic);
        var body = Envelope(topic, tenantId, data, eventId, publisher);
        var host = HostClients.Of(http);
        var audience = subscriber ?? host?.AppId ?? throw new ArgumentException("Name the subscriber: this HttpClient does not come from a ServiceHost.");
        var token = TestAuth.Codec(publisher, host?.Clock()).Issue(publisher, publisher, audience, tenantId, Scopes.Service, [], AssertionCodec.Digest(body));
        return await PostRawAsync(http, topic, body, token);
    }

    /// <summary>Posts <paramref name="body"/> as it is, with <paramref name="serviceAssertion"/> when given: for forged deliveries.</summary>
    public static async Task<HttpResponseMessage> PostRawAsync(HttpClient http, string topic, byte[] body, string? serviceAssertion,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/events/{topic}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        if (serviceAssertion is not null) request.Headers.Add(AssertionHeaders.Service, serviceAssertion);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        return await http.SendAsync(request);
    }

    /// <summary>
    /// Delivers events of one topic in one request of Dapr's bulk shape, signed as the local relay signs it (for the
    /// whole body, naming no tenant); returns each event's status (SUCCESS, RETRY, DROP) by event id.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, string>> PostBulkAsync(HttpClient http, string topic,
        IReadOnlyList<(string TenantId, IMessage Data, Guid EventId)> events, string? publisher = null)
    {
        publisher ??= PublisherOf(topic);
        var entries = new JsonArray();
        foreach (var (tenantId, data, eventId) in events)
            entries.Add(new JsonObject
            {
                ["entryId"] = eventId.ToString(),
                ["event"] = JsonNode.Parse(Envelope(topic, tenantId, data, eventId, publisher)),
                ["contentType"] = "application/cloudevents+json",
            });
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["entries"] = entries,
            ["id"] = Guid.NewGuid().ToString(),
            ["pubsubname"] = "pubsub",
            ["topic"] = topic,
            ["type"] = "com.dapr.event.sent",
        }.ToJsonString());
        var host = HostClients.Of(http) ?? throw new ArgumentException("This HttpClient does not come from a ServiceHost.");
        var token = TestAuth.Codec(publisher, host.Clock()).Issue(publisher, publisher, host.AppId, null, Scopes.Service, [], AssertionCodec.Digest(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/events/{topic}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents-batch+json");
        request.Headers.Add(AssertionHeaders.Service, token);
        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{topic} bulk answered {(int)response.StatusCode}: {answer}");
        using var doc = JsonDocument.Parse(answer);
        return doc.RootElement.GetProperty("statuses").EnumerateArray()
            .ToDictionary(s => Guid.Parse(s.GetProperty("entryId").GetString()!), s => s.GetProperty("status").GetString()!);
    }

    /// <summary>Posts and fails the test unless the subscriber acknowledged the event.</summary>
    public static async Task DeliverAsync(HttpClient http, string topic, string tenantId, IMessage data, Guid? eventId = null,
        string? publisher = null)
    {
        using var response = await PostAsync(http, topic, tenantId, data, eventId, publisher);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{topic} answered {(int)response.StatusCode}: {body}");
        Assert.Contains("SUCCESS", body);
    }

}

/// <summary>Which host each HttpClient made by a <see cref="ServiceHost{TProgram}"/> reaches.</summary>
internal static class HostClients
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<HttpClient, Host> Hosts = new();

    /// <summary>A host's app id and clock (the one its assertions are checked against).</summary>
    public sealed record Host(string AppId, Func<TimeProvider> Clock);

    public static void Register(HttpClient client, Host host) => Hosts.AddOrUpdate(client, host);

    public static Host? Of(HttpClient client) => Hosts.TryGetValue(client, out var host) ? host : null;
}
