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
using Microsoft.Extensions.Hosting;
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

    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, DeadLetterRedriver> Mapped = new();
    private static readonly Counter Recorded = Metrics.CreateCounter("medins_dead_letters_recorded_total",
        "Dead letters Dapr handed back through the app's dead-letter topic, by original topic and outcome (recorded, duplicate).",
        "topic", "outcome");

    /// <summary>The app's redriver, once it subscribes to anything (tests run its passes themselves).</summary>
    public static DeadLetterRedriver? RedriverOf(IEndpointRouteBuilder app) => Mapped.TryGetValue(app, out var redriver) ? redriver : null;

    /// <summary>
    /// Maps the dead-letter route once per app and returns the app's redriver, where each subscription registers how
    /// to apply its topic; <see cref="EventSubscriptions.MapEventSubscription{TEvent,THandler}"/> calls it.
    /// </summary>
    internal static DeadLetterRedriver MapDeadLetterSubscription(this IEndpointRouteBuilder app, string pubsub, string appId)
    {
        DeadLetterRedriver redriver;
        lock (Mapped)
        {
            if (Mapped.TryGetValue(app, out var known)) return known;
            redriver = new DeadLetterRedriver(app.ServiceProvider, appId);
            Mapped.Add(app, redriver);
        }
        var options = app.ServiceProvider.GetRequiredService<IOptions<EventOptions>>().Value;
        if (options.RelayEnabled)
        {
            var lifetime = app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() =>
                _ = Task.Run(() => redriver.LoopAsync(options.LaneIdleInterval, lifetime.ApplicationStopping)));
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
        return redriver;
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

/// <summary>
/// Applies the app's replayed Dapr dead letters (marked due by <see cref="DeadLetters.ReplayAsync"/>) through the
/// handler of their topic, as a delivery would: prepared with no transaction open, applied in the inbox transaction,
/// so an event already applied is not applied again. One that fails again is a dead letter again (attempts + 1).
/// </summary>
public sealed class DeadLetterRedriver
{
    private const int ClaimSize = 50;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly IServiceProvider _services;
    private readonly string _appId;
    private readonly Dictionary<string, Func<IServiceProvider, Guid, string, string, CancellationToken, Task>> _appliers =
        new(StringComparer.Ordinal);

    internal DeadLetterRedriver(IServiceProvider services, string appId)
    {
        _services = services;
        _appId = appId;
    }

    /// <summary>How to apply a stored event of <paramref name="topic"/>: (services, event id, tenant, data JSON).</summary>
    internal void Register(string topic, Func<IServiceProvider, Guid, string, string, CancellationToken, Task> apply)
    {
        lock (_appliers) _appliers[topic] = apply;
    }

    private sealed record Due(string TenantId, Guid EventId, string Topic, string Payload);

    /// <summary>One pass: claims due dead letters (a lease, so replicas share them), applies each; returns how many.</summary>
    public async Task<int> RedriveAsync(CancellationToken ct)
    {
        var db = _services.GetRequiredService<PlatformDatabase>();
        var time = _services.GetRequiredService<TimeProvider>();
        var now = time.GetUtcNow();
        var due = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var claim = new NpgsqlCommand("""
                UPDATE dead_letter l SET redrive_at = $3
                WHERE (l.tenant_id, l.event_id, l.target) IN (
                  SELECT tenant_id, event_id, target FROM dead_letter
                  WHERE target = $1 AND redrive_at IS NOT NULL AND redrive_at <= $2
                  ORDER BY redrive_at LIMIT $4 FOR UPDATE SKIP LOCKED)
                RETURNING l.tenant_id, l.event_id, l.topic, l.payload::text
                """, conn, tx);
            claim.Parameters.Add(new() { Value = _appId });
            claim.Parameters.Add(new() { Value = now });
            claim.Parameters.Add(new() { Value = now + Lease });
            claim.Parameters.Add(new() { Value = ClaimSize });
            var rows = new List<Due>();
            await using var reader = await claim.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add(new Due(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3)));
            return rows;
        }, ct);

        foreach (var row in due)
        {
            Func<IServiceProvider, Guid, string, string, CancellationToken, Task>? apply;
            lock (_appliers) _appliers.TryGetValue(row.Topic, out apply);
            string? error = null;
            if (apply is null) error = $"{_appId} does not subscribe to {row.Topic}";
            else if (string.IsNullOrWhiteSpace(row.TenantId)) error = "the event names no tenant";
            else
            {
                try
                {
                    await apply(_services, row.EventId, row.TenantId, row.Payload, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    error = $"replay failed: {ex.GetType().Name}: {ex.Message}";
                }
            }
            await db.InSystemScopeAsync(async (conn, tx) =>
            {
                await using var done = new NpgsqlCommand(error is null
                    ? "UPDATE dead_letter SET redrive_at = NULL WHERE tenant_id = $1 AND event_id = $2 AND target = $3"
                    : """
                      UPDATE dead_letter SET redrive_at = NULL, replayed_at = NULL, attempts = attempts + 1, last_error = $4, dead_at = $5
                      WHERE tenant_id = $1 AND event_id = $2 AND target = $3
                      """, conn, tx);
                done.Parameters.Add(new() { Value = row.TenantId });
                done.Parameters.Add(new() { Value = row.EventId });
                done.Parameters.Add(new() { Value = _appId });
                if (error is not null)
                {
                    done.Parameters.Add(new() { Value = error });
                    done.Parameters.Add(new() { Value = time.GetUtcNow() });
                }
                return await done.ExecuteNonQueryAsync(ct);
            }, ct);
        }
        return due.Count;
    }

    internal async Task LoopAsync(TimeSpan idle, CancellationToken stopping)
    {
        var logger = _services.GetRequiredService<ILogger<DeadLetterRedriver>>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await RedriveAsync(stopping) < ClaimSize) await Task.Delay(idle, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Replaying Dapr dead letters failed; trying again");
                await Task.Delay(idle, stopping).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }
}
