using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Xunit;

namespace Medins.Platform.Testing;

/// <summary>Delivers an event to a subscriber route the way the Dapr sidecar does: a structured CloudEvent over HTTP.</summary>
public static class CloudEventPoster
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string topic, string tenantId, IMessage data, Guid? eventId = null)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = (eventId ?? Guid.NewGuid()).ToString(),
            ["source"] = "payment-collection",
            ["type"] = data.Descriptor.FullName,
            ["datacontenttype"] = "application/json",
            ["tenantid"] = tenantId,
            ["data"] = JsonNode.Parse(JsonFormatter.Default.Format(data)),
        };
        using var content = new StringContent(envelope.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        return await http.PostAsync($"/events/{topic}", content);
    }

    /// <summary>Posts and fails the test unless the subscriber acknowledged the event.</summary>
    public static async Task DeliverAsync(HttpClient http, string topic, string tenantId, IMessage data, Guid? eventId = null)
    {
        using var response = await PostAsync(http, topic, tenantId, data, eventId);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{topic} answered {(int)response.StatusCode}: {body}");
        Assert.Contains("SUCCESS", body);
    }
}
