using Dapr;
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

public static class EventSubscriptions
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly Counter Consumed = Metrics.CreateCounter("medins_inbox_events_total",
        "Events received by subscribers, by topic and outcome (applied, duplicate, dropped).", "topic", "outcome");

    /// <summary>
    /// Subscribes the Dapr way (the route is listed by /dapr/subscribe and receives the CloudEvent's data), and
    /// records the event id in the inbox in the same transaction as the handler's effects. Only deliveries from
    /// <paramref name="publishers"/> (app ids) are applied; see <see cref="EventDeliveryAuthenticator"/>.
    /// </summary>
    public static IEndpointConventionBuilder MapEventSubscription<TEvent, THandler>(this IEndpointRouteBuilder app, string topic,
        params string[] publishers)
        where TEvent : IMessage<TEvent>, new()
        where THandler : IEventHandler<TEvent>
    {
        if (publishers.Length == 0) throw new ArgumentException($"Name the app ids that publish {topic}.", nameof(publishers));
        var pubsub = app.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventOptions>>().Value.PubSubName;
        return app.MapPost($"/events/{topic}", async (HttpContext http, PlatformDatabase db, TimeProvider time,
            THandler handler, TenantContext tenantContext, ILogger<THandler> logger, CancellationToken ct) =>
        {
            var idHeader = http.Request.Headers["Cloudevent.id"].ToString();
            var tenant = http.Request.Headers["Cloudevent." + CloudEvent.TenantAttribute].ToString();
            TEvent data;
            try
            {
                using var reader = new StreamReader(http.Request.Body);
                data = Parser.Parse<TEvent>(await reader.ReadToEndAsync(ct));
            }
            catch (InvalidProtocolBufferException ex)
            {
                logger.LogError("Dropping malformed {Topic} event {EventId}: {Error}", topic, idHeader, ex.Message);
                Consumed.WithLabels(topic, "dropped").Inc();
                return Results.Ok(new { status = "DROP" });
            }
            if (!Guid.TryParse(idHeader, out var eventId) || string.IsNullOrWhiteSpace(tenant))
            {
                logger.LogError("Dropping {Topic} event without a valid id or tenant", topic);
                Consumed.WithLabels(topic, "dropped").Inc();
                return Results.Ok(new { status = "DROP" });
            }
            tenantContext.UseTenant(tenant, "event:" + topic);
            var inbound = new InboundEvent<TEvent>(eventId, tenant, topic, data);
            inbound = inbound with { Prepared = await handler.PrepareAsync(inbound, ct) };

            var applied = await db.InTenantAsync(tenant, async (conn, tx) =>
            {
                await using (var claim = new NpgsqlCommand(
                    "INSERT INTO inbox (tenant_id, event_id, topic, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", conn, tx))
                {
                    claim.Parameters.Add(new() { Value = tenant });
                    claim.Parameters.Add(new() { Value = eventId });
                    claim.Parameters.Add(new() { Value = topic });
                    claim.Parameters.Add(new() { Value = time.UtcNow() });
                    if (await claim.ExecuteNonQueryAsync(ct) == 0) return false;
                }
                await handler.HandleAsync(inbound, conn, tx, ct);
                return true;
            }, ct);
            Consumed.WithLabels(topic, applied ? "applied" : "duplicate").Inc();
            return Results.Ok(new { status = "SUCCESS" });
        }).WithTopic(pubsub, topic).WithMetadata(new EventRouteMetadata(topic, publishers));
    }
}
