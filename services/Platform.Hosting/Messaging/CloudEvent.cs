using System.Text.Json;
using System.Text.Json.Nodes;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>A CloudEvents 1.0 envelope (structured JSON mode) carrying a protobuf event as JSON data.</summary>
public sealed record CloudEvent(Guid Id, string Source, string Type, string Topic, string TenantId,
    DateTimeOffset Time, string DataJson)
{
    public const string ContentType = "application/cloudevents+json";

    /// <summary>CloudEvents extension attribute carrying the tenant (lower-case letters only, per the spec).</summary>
    public const string TenantAttribute = "tenantid";

    public byte[] ToJsonBytes()
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = Id.ToString(),
            ["source"] = Source,
            ["type"] = Type,
            ["subject"] = Topic,
            ["time"] = Time.ToString("O"),
            ["datacontenttype"] = "application/json",
            [TenantAttribute] = TenantId,
            ["data"] = JsonNode.Parse(DataJson),
        };
        return JsonSerializer.SerializeToUtf8Bytes(envelope);
    }
}
