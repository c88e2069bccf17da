using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;
using Google.Protobuf;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>An event as a consumer sees it: the CloudEvent's id and tenant, and the decoded protobuf message.</summary>
public sealed record InboundEvent<TEvent>(Guid Id, string TenantId, string Topic, TEvent Data) where TEvent : IMessage<TEvent>
{
    /// <summary>What the handler's <see cref="IEventHandler{TEvent}.PrepareAsync"/> fetched before the transaction.</summary>
    public object? Prepared { get; init; }
}

/// <summary>Applies one event inside the inbox transaction, so its effects commit exactly once.</summary>
public interface IEventHandler<TEvent> where TEvent : IMessage<TEvent>
{
    /// <summary>
    /// Fetches what the handler needs from other services before the inbox transaction opens (no remote call may run
    /// inside it); the result reaches <see cref="HandleAsync"/> as <see cref="InboundEvent{TEvent}.Prepared"/>.
    /// </summary>
    Task<object?> PrepareAsync(InboundEvent<TEvent> evt, CancellationToken ct) => Task.FromResult<object?>(null);

    Task HandleAsync(InboundEvent<TEvent> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct);
}

/// <summary>
/// Applies a bulk delivery's newly claimed events of one tenant (in delivery order) inside one inbox transaction,
/// so what they change together is written once. Handlers without it get <see cref="IEventHandler{TEvent}.HandleAsync"/>
/// once per event, in the same transaction.
/// </summary>
public interface IEventBatchHandler<TEvent> : IEventHandler<TEvent> where TEvent : IMessage<TEvent>
{
    Task HandleBatchAsync(IReadOnlyList<InboundEvent<TEvent>> events, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct);
}

public static class EventSubscriptions
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly Counter Consumed = Metrics.CreateCounter("medins_inbox_events_total",
        "Events received by subscribers, by topic and outcome (applied, duplicate, dropped).", "topic", "outcome");

    private static readonly Histogram BatchSize = Metrics.CreateHistogram("medins_inbox_batch_size",
        "Events per bulk delivery received, by topic.", new HistogramConfiguration
        {
            LabelNames = ["topic"],
            Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256],
        });

    /// <summary>
    /// Subscribes the Dapr way (the route is listed by /dapr/subscribe with bulk subscribe enabled and the app's
    /// dead-letter topic, whose route <see cref="DeadLetterSubscription"/> maps once per app), and records the
    /// event ids in the inbox in the same transaction as the handler's effects. The route takes both wire shapes: a
    /// single CloudEvent (its data as the body, id and tenant as headers), and Dapr's bulk shape, applied in one
    /// transaction per tenant and answered with a status per entry. Only deliveries from
    /// <paramref name="publishers"/> (app ids) are applied; see <see cref="EventDeliveryAuthenticator"/>.
    /// </summary>
    public static IEndpointConventionBuilder MapEventSubscription<TEvent, THandler>(this IEndpointRouteBuilder app, string topic,
        params string[] publishers)
        where TEvent : IMessage<TEvent>, new()
        where THandler : IEventHandler<TEvent>
    {
        if (publishers.Length == 0) throw new ArgumentException($"Name the app ids that publish {topic}.", nameof(publishers));
        var pubsub = app.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventOptions>>().Value.PubSubName;
        var appId = app.ServiceProvider.GetRequiredService<PlatformServiceInfo>().Name;
        app.MapDeadLetterSubscription(pubsub, appId).Register(topic, ReplayAsync<TEvent, THandler>(topic));
        return app.MapPost($"/events/{topic}", async (HttpContext http, PlatformDatabase db, TimeProvider time,
            THandler handler, TenantContext tenantContext, ILogger<THandler> logger, CancellationToken ct) =>
        {
            var idHeader = http.Request.Headers["Cloudevent.id"].ToString();
            string body;
            using (var reader = new StreamReader(http.Request.Body)) body = await reader.ReadToEndAsync(ct);
            if (IsBulk(http.Request, idHeader, body, out var entries))
            {
                using (entries)
                    return Results.Json(new
                    {
                        statuses = await ApplyBulkAsync<TEvent, THandler>(topic, entries!.RootElement.GetProperty("entries"), db, time, handler,
                            tenantContext, logger, ct),
                    });
            }

            var tenant = http.Request.Headers["Cloudevent." + CloudEvent.TenantAttribute].ToString();
            TEvent data;
            try
            {
                data = Parser.Parse<TEvent>(body);
            }
            catch (InvalidProtocolBufferException ex)
            {
                logger.LogError("Dropping malformed {Topic} event {EventId}: {Error}", topic, idHeader, ex.Message);
                Consumed.WithLabels(topic, "dropped").Inc();
                return Results.Ok(new { status = BulkDelivery.Drop });
            }
            if (!Guid.TryParse(idHeader, out var eventId) || string.IsNullOrWhiteSpace(tenant))
            {
                logger.LogError("Dropping {Topic} event without a valid id or tenant", topic);
                Consumed.WithLabels(topic, "dropped").Inc();
                return Results.Ok(new { status = BulkDelivery.Drop });
            }
            tenantContext.UseTenant(tenant, "event:" + topic);
            var inbound = new InboundEvent<TEvent>(eventId, tenant, topic, data);
            try
            {
                inbound = inbound with { Prepared = await handler.PrepareAsync(inbound, ct) };
                var applied = await ApplyOneAsync(db, time, handler, inbound, ct);
                Consumed.WithLabels(topic, applied ? "applied" : "duplicate").Inc();
                return Results.Ok(new { status = BulkDelivery.Success });
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                return Results.Ok(new { status = Failed(topic, eventId, ex, logger) });
            }
        }).WithTopic(new TopicOptions { PubsubName = pubsub, Name = topic, DeadLetterTopic = DeadLetterTopics.For(appId) })
          .WithBulkSubscribe(new BulkSubscribeTopicOptions
          {
              TopicName = topic,
              MaxMessagesCount = BulkDelivery.MaxMessagesCount,
              MaxAwaitDurationMs = BulkDelivery.MaxAwaitDurationMs,
          })
          .WithMetadata(new EventRouteMetadata(topic, publishers));
    }

    /// <summary>
    /// Bulk when sent as a batch, or when no single CloudEvent was unwrapped (no id header, which only the CloudEvents
    /// middleware sets) and the body has Dapr's entries.
    /// </summary>
    private static bool IsBulk(HttpRequest request, string idHeader, string body, out JsonDocument? entries)
    {
        entries = null;
        var batch = request.ContentType?.StartsWith(BulkDelivery.ContentType, StringComparison.OrdinalIgnoreCase) == true;
        if (!batch && idHeader.Length > 0) return false;
        try
        {
            var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("entries", out var list)
                && list.ValueKind == JsonValueKind.Array)
            {
                entries = doc;
                return true;
            }
            doc.Dispose();
        }
        catch (JsonException)
        {
        }
        return false;
    }

    private sealed record BulkStatus(string EntryId, string Status);

    private static async Task<List<BulkStatus>> ApplyBulkAsync<TEvent, THandler>(string topic, JsonElement entries, PlatformDatabase db,
        TimeProvider time, THandler handler, TenantContext tenantContext, ILogger logger, CancellationToken ct)
        where TEvent : IMessage<TEvent>, new()
        where THandler : IEventHandler<TEvent>
    {
        var statuses = new List<BulkStatus>();
        var events = new List<(string EntryId, InboundEvent<TEvent> Event)>();
        foreach (var entry in entries.EnumerateArray())
        {
            var entryId = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("entryId", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()! : null;
            if (entryId is null)
            {
                // Without an entry id no status can name it; the publisher's side sees it unanswered.
                logger.LogError("Ignoring a {Topic} bulk entry without an entryId", topic);
                continue;
            }
            if (Decode<TEvent>(topic, entry, out var problem) is { } inbound)
                events.Add((entryId, inbound));
            else
            {
                logger.LogError("Dropping {Topic} bulk entry {EntryId}: {Problem}", topic, entryId, problem);
                Consumed.WithLabels(topic, "dropped").Inc();
                statuses.Add(new(entryId, BulkDelivery.Drop));
            }
        }
        BatchSize.WithLabels(topic).Observe(entries.GetArrayLength());

        // One transaction per tenant, tenants in a fixed order.
        foreach (var tenantEvents in events.GroupBy(x => x.Event.TenantId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var tenant = tenantEvents.Key;
            tenantContext.UseTenant(tenant, "event:" + topic);
            // What the handler needs from other services is fetched in the tenant's name, before any transaction opens.
            var batch = new List<(string EntryId, InboundEvent<TEvent> Event)>();
            foreach (var (entryId, evt) in tenantEvents)
            {
                try
                {
                    batch.Add((entryId, evt with { Prepared = await handler.PrepareAsync(evt, ct) }));
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    statuses.Add(new(entryId, Failed(topic, evt.Id, ex, logger)));
                }
            }
            if (batch.Count == 0) continue;
            try
            {
                var applied = await db.InTenantAsync(tenant, async (conn, tx) =>
                {
                    var claimed = await ClaimAsync(conn, tx, tenant, topic, batch.Select(x => x.Event.Id).Distinct().ToArray(), time, ct);
                    var fresh = new List<InboundEvent<TEvent>>();
                    foreach (var (_, evt) in batch)
                        if (claimed.Remove(evt.Id)) fresh.Add(evt);
                    if (fresh.Count > 0) await HandleAsync(handler, fresh, conn, tx, ct);
                    return fresh.Count;
                }, ct);
                Consumed.WithLabels(topic, "applied").Inc(applied);
                Consumed.WithLabels(topic, "duplicate").Inc(batch.Count - applied);
                statuses.AddRange(batch.Select(x => new BulkStatus(x.EntryId, BulkDelivery.Success)));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // One poison event must not hold back the others: each alone, and only the failing ones retried.
                logger.LogWarning(ex, "{Topic} batch of {Count} events for tenant {TenantId} failed; applying them one by one",
                    topic, batch.Count, tenant);
                foreach (var (entryId, evt) in batch)
                {
                    try
                    {
                        var applied = await ApplyOneAsync(db, time, handler, evt, ct);
                        Consumed.WithLabels(topic, applied ? "applied" : "duplicate").Inc();
                        statuses.Add(new(entryId, BulkDelivery.Success));
                    }
                    catch (Exception one) when (!ct.IsCancellationRequested)
                    {
                        statuses.Add(new(entryId, Failed(topic, evt.Id, one, logger)));
                    }
                }
            }
        }
        return statuses;
    }

    /// <summary>
    /// The status for an event its handler failed: DROP for a refusal no retry can change (Dapr then moves it to the
    /// dead-letter topic at once), RETRY for anything else (a database or upstream outage passes).
    /// </summary>
    private static string Failed(string topic, Guid eventId, Exception ex, ILogger logger)
    {
        if (ex is EventRejectedException rejected)
        {
            logger.LogError("Dropping {Topic} event {EventId}: {Reason}: {Error}", topic, eventId, rejected.Reason, rejected.Message);
            Consumed.WithLabels(topic, "dropped").Inc();
            return BulkDelivery.Drop;
        }
        logger.LogError(ex, "{Topic} event {EventId} failed; asking for a retry", topic, eventId);
        Consumed.WithLabels(topic, "retried").Inc();
        return BulkDelivery.Retry;
    }

    /// <summary>One bulk entry's CloudEvent as an event, or null with why it can never be applied.</summary>
    private static InboundEvent<TEvent>? Decode<TEvent>(string topic, JsonElement entry, out string problem) where TEvent : IMessage<TEvent>, new()
    {
        problem = "";
        if (!entry.TryGetProperty("event", out var envelope))
        {
            problem = "no event";
            return null;
        }
        try
        {
            // Dapr may carry the CloudEvent as a JSON string rather than an object.
            using var parsed = envelope.ValueKind == JsonValueKind.String ? JsonDocument.Parse(envelope.GetString()!) : null;
            var ce = parsed?.RootElement ?? envelope;
            if (ce.ValueKind != JsonValueKind.Object
                || !ce.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || !Guid.TryParse(id.GetString(), out var eventId)
                || !ce.TryGetProperty(CloudEvent.TenantAttribute, out var tenant) || tenant.ValueKind != JsonValueKind.String
                || string.IsNullOrWhiteSpace(tenant.GetString()))
            {
                problem = "no valid id or tenant";
                return null;
            }
            if (!ce.TryGetProperty("data", out var data))
            {
                problem = "no data";
                return null;
            }
            return new InboundEvent<TEvent>(eventId, tenant.GetString()!, topic, Parser.Parse<TEvent>(data.GetRawText()));
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or JsonException)
        {
            problem = ex.Message;
            return null;
        }
    }

    /// <summary>Inbox rows for every id not yet seen, in one statement; returns the ids this call claimed.</summary>
    private static async Task<HashSet<Guid>> ClaimAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenant, string topic, Guid[] ids,
        TimeProvider time, CancellationToken ct)
    {
        await using var claim = new NpgsqlCommand("""
            INSERT INTO inbox (tenant_id, event_id, topic, received_at)
            SELECT $1, e.event_id, $3, $4 FROM unnest($2::uuid[]) AS e(event_id)
            ON CONFLICT DO NOTHING RETURNING event_id
            """, conn, tx);
        claim.Parameters.Add(new() { Value = tenant });
        claim.Parameters.Add(new() { Value = ids });
        claim.Parameters.Add(new() { Value = topic });
        claim.Parameters.Add(new() { Value = time.UtcNow() });
        var claimed = new HashSet<Guid>();
        await using var reader = await claim.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) claimed.Add(reader.GetGuid(0));
        return claimed;
    }

    private static async Task HandleAsync<TEvent>(IEventHandler<TEvent> handler, IReadOnlyList<InboundEvent<TEvent>> events,
        NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct) where TEvent : IMessage<TEvent>
    {
        if (handler is IEventBatchHandler<TEvent> batch)
        {
            await batch.HandleBatchAsync(events, conn, tx, ct);
            return;
        }
        foreach (var evt in events) await handler.HandleAsync(evt, conn, tx, ct);
    }

    /// <summary>How a replayed dead letter of <paramref name="topic"/> is applied: as a single delivery, in its tenant's name.</summary>
    private static Func<IServiceProvider, Guid, string, string, CancellationToken, Task> ReplayAsync<TEvent, THandler>(string topic)
        where TEvent : IMessage<TEvent>, new()
        where THandler : IEventHandler<TEvent> =>
        async (services, eventId, tenant, payload, ct) =>
        {
            await using var scope = services.CreateAsyncScope();
            var sp = scope.ServiceProvider;
            var handler = sp.GetRequiredService<THandler>();
            sp.GetRequiredService<TenantContext>().UseTenant(tenant, "replay:" + topic);
            var inbound = new InboundEvent<TEvent>(eventId, tenant, topic, Parser.Parse<TEvent>(payload));
            inbound = inbound with { Prepared = await handler.PrepareAsync(inbound, ct) };
            var applied = await ApplyOneAsync(sp.GetRequiredService<PlatformDatabase>(), sp.GetRequiredService<TimeProvider>(), handler, inbound, ct);
            Consumed.WithLabels(topic, applied ? "applied" : "duplicate").Inc();
        };

    /// <summary>Claims and applies one event in its own transaction; false when the inbox already had it.</summary>
    private static Task<bool> ApplyOneAsync<TEvent>(PlatformDatabase db, TimeProvider time, IEventHandler<TEvent> handler,
        InboundEvent<TEvent> evt, CancellationToken ct) where TEvent : IMessage<TEvent> =>
        db.InTenantAsync(evt.TenantId, async (conn, tx) =>
        {
            if ((await ClaimAsync(conn, tx, evt.TenantId, evt.Topic, [evt.Id], time, ct)).Count == 0) return false;
            await handler.HandleAsync(evt, conn, tx, ct);
            return true;
        }, ct);
}
