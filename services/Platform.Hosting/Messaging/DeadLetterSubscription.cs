using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Prometheus;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>
/// Where Dapr puts what a subscriber gave up on. One dead-letter topic per subscribing app, <c>{app-id}.dead-letter</c>,
/// not one per topic: several apps subscribe to one topic (each its own consumer group), and a dead-lettered message
/// does not say which subscriber failed it, so a shared <c>{topic}.dead-letter</c> would land every subscriber's
/// failures in every subscriber's table. The chart derives the same names for the component's scopes.
/// </summary>
public static class DeadLetterTopics
{
    public const string Suffix = ".dead-letter";
    public const string Route = "/events/dead-letter";

    public static string For(string appId) => appId + Suffix;
}

/// <summary>
/// Thrown by a handler for an event it can never apply (an unknown tenant, a refusal no retry can change): the route
/// answers DROP, so Dapr moves the event to the dead-letter topic at once (the local relay dead-letters it at once).
/// Anything else a handler throws is transient and answered RETRY.
/// </summary>
public sealed class EventRejectedException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The subscriber side of Dapr's dead letters: a route on the app's own dead-letter topic that records each event in
/// the schema's <c>dead_letter</c> table (the table <c>dead-letters list</c> and <c>replay</c> read), with the
/// tenant and id from the CloudEvent and the app itself as the target that did not take it.
/// </summary>
public static class DeadLetterSubscription
{
    /// <summary>How Dapr-recorded rows are told from the relay's, which have an outbox delivery to reset.</summary>
    public const string DaprSource = "dapr";

    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> Mapped = new();
    private static readonly Counter Recorded = Metrics.CreateCounter("medins_dead_letters_recorded_total",
        "Dead letters Dapr handed back through the app's dead-letter topic, by original topic and outcome (recorded, duplicate).",
        "topic", "outcome");

    /// <summary>Maps the dead-letter route once per app; <see cref="EventSubscriptions.MapEventSubscription{TEvent,THandler}"/> calls it.</summary>
    internal static void MapDeadLetterSubscription(this IEndpointRouteBuilder app, string pubsub, string appId)
    {
        lock (Mapped)
        {
            if (Mapped.TryGetValue(app, out _)) return;
            Mapped.Add(app, new object());
        }
        var topic = DeadLetterTopics.For(appId);
        // Only this app's sidecar publishes its dead-letter topic (the component's publishingScopes), and the route
        // authenticates as every event route does: Dapr's app API token, or a local delivery signed by this app.
        app.MapPost(DeadLetterTopics.Route, async (HttpContext http, PlatformDatabase db, TimeProvider time,
                ILogger<DeadLetterRecord> logger, CancellationToken ct) =>
            {
                string body;
                using (var reader = new StreamReader(http.Request.Body)) body = await reader.ReadToEndAsync(ct);
                var record = DeadLetterRecord.FromSingle(http.Request.Headers, body);
                try
                {
                    var fresh = await RecordAsync(db, time, appId, record, ct);
                    Recorded.WithLabels(record.Topic, fresh ? "recorded" : "duplicate").Inc();
                    logger.LogError("Dead letter for {AppId}: {Topic} event {EventId} of tenant {TenantId} ({Outcome})",
                        appId, record.Topic, record.EventId, record.TenantId, fresh ? "recorded" : "already recorded");
                    return Results.Ok(new { status = BulkDelivery.Success });
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // Not acknowledged: the broker keeps the message and Dapr delivers it again.
                    logger.LogError(ex, "Recording dead letter {EventId} on {Topic} failed; asking for a retry", record.EventId, record.Topic);
                    return Results.Ok(new { status = BulkDelivery.Retry });
                }
            })
            .WithTopic(pubsub, topic)
            .WithMetadata(new EventRouteMetadata(topic, [appId]));
    }

    /// <summary>
    /// Inserts the dead letter unless it is already open; a redelivery of the same message changes nothing, and an
    /// event dead-lettered again after a replay reopens its row. Returns whether this call recorded it.
    /// </summary>
    public static Task<bool> RecordAsync(PlatformDatabase db, TimeProvider time, string appId, DeadLetterRecord record, CancellationToken ct) =>
        db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO dead_letter (tenant_id, event_id, topic, target, payload, attempts, last_error, dead_at, source)
                VALUES ($1, $2, $3, $4, $5::jsonb, 1, $6, $7, $8)
                ON CONFLICT (tenant_id, event_id, target) DO UPDATE
                  SET attempts = dead_letter.attempts + 1, last_error = excluded.last_error, dead_at = excluded.dead_at,
                      replayed_at = NULL, source = excluded.source
                  WHERE dead_letter.replayed_at IS NOT NULL
                RETURNING 1
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = record.TenantId });
            cmd.Parameters.Add(new() { Value = record.EventId });
            cmd.Parameters.Add(new() { Value = record.Topic });
            cmd.Parameters.Add(new() { Value = appId });
            cmd.Parameters.Add(new() { Value = record.PayloadJson, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = "Dapr gave up delivering it to " + appId + " (retries spent, or the app answered DROP)" });
            cmd.Parameters.Add(new() { Value = time.GetUtcNow() });
            cmd.Parameters.Add(new() { Value = DaprSource });
            return await cmd.ExecuteScalarAsync(ct) is not null;
        }, ct);
}

/// <summary>One dead-lettered CloudEvent as the dead_letter table keeps it.</summary>
public sealed record DeadLetterRecord(string TenantId, Guid EventId, string Topic, string PayloadJson)
{
    /// <summary>
    /// From a single delivery the CloudEvents middleware unwrapped (data as the body, attributes as Cloudevent.*
    /// headers). A poison event may lack any of them and must still be kept: a missing id becomes one derived from
    /// the bytes (so a redelivery is still recognised), a missing tenant is empty, a body that is not JSON a string.
    /// </summary>
    public static DeadLetterRecord FromSingle(IHeaderDictionary headers, string body)
    {
        string Attribute(string name) => headers["Cloudevent." + name].ToString();
        var topic = FirstOf(Attribute("subject"), Attribute("topic"), "unknown");
        var payload = AsJson(body);
        var id = Guid.TryParse(Attribute("id"), out var parsed) ? parsed : Derived(topic, payload);
        return new DeadLetterRecord(Attribute(CloudEvent.TenantAttribute).Trim(), id, topic, payload);
    }

    private static string FirstOf(params string[] values) => values.First(v => !string.IsNullOrWhiteSpace(v));

    private static string AsJson(string body)
    {
        try
        {
            using var _ = JsonDocument.Parse(body);
            return body;
        }
        catch (JsonException)
        {
            return JsonSerializer.Serialize(body);
        }
    }

    private static Guid Derived(string topic, string payload) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes(topic + "\n" + payload)).AsSpan(0, 16));
}
