using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Medins.Platform.Hosting.Data;
using Npgsql;
using Prometheus;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>
/// Delivers committed outbox events at least once: rows are claimed with SKIP LOCKED (so replicas share the
/// work), each target is retried with exponential backoff, and an event that keeps failing goes to dead_letter.
/// A process killed at any point leaves the row undelivered, and the next relay picks it up again.
/// </summary>
public sealed class OutboxRelay(PlatformDatabase db, IEventTransport transport, OutboxSignal signal, TimeProvider time,
    IOptions<EventOptions> options, PlatformServiceInfo service, ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly Gauge Backlog = Metrics.CreateGauge("medins_outbox_backlog",
        "Events committed but not yet delivered or dead-lettered.");
    private static readonly Histogram DeliveryLatency = Metrics.CreateHistogram("medins_outbox_delivery_latency_seconds",
        "Seconds from an event's commit to its delivery to every target.", new HistogramConfiguration
        {
            LabelNames = ["topic"],
            Buckets = Histogram.ExponentialBuckets(0.005, 2, 16),
        });
    private static readonly Counter Failures = Metrics.CreateCounter("medins_outbox_delivery_failures_total",
        "Failed delivery attempts, by topic.", "topic");
    private static readonly Counter DeadLetters = Metrics.CreateCounter("medins_outbox_dead_letters_total",
        "Events given up on after the last attempt, by topic.", "topic");

    private DateTimeOffset _backlogMeasuredAt = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RelayEnabled)
        {
            logger.LogWarning("Outbox relay disabled by configuration; events stay in the outbox.");
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await RelayBatchAsync(stoppingToken);
                await MeasureBacklogAsync(stoppingToken);
                if (handled < options.Value.BatchSize)
                    await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Outbox relay pass failed; retrying");
                await Task.Delay(options.Value.PollInterval, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>Relays one batch of due events; returns how many were attempted.</summary>
    public Task<int> RelayBatchAsync(CancellationToken ct) => db.InSystemScopeAsync(async (conn, tx) =>
    {
        var due = new List<(string Tenant, Guid Id, string Topic, string Type, string Payload, DateTimeOffset Created, int Attempts, string[]? Pending)>();
        await using (var select = new NpgsqlCommand("""
            SELECT tenant_id, event_id, topic, event_type, payload::text, created_at, attempts, pending_targets
            FROM outbox
            WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at <= $1
            ORDER BY next_attempt_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """, conn, tx))
        {
            select.Parameters.Add(new() { Value = time.UtcNow() });
            select.Parameters.Add(new() { Value = options.Value.BatchSize });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                due.Add((reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<string[]>(7)));
        }

        var outcomes = await Task.WhenAll(due.Select(async e =>
        {
            var targets = e.Pending ?? (await transport.ResolveTargetsAsync(e.Topic, ct))?.ToArray();
            if (targets is null) return (e, Remaining: (string[]?)null, Error: (string?)"subscribers not yet discovered");
            var cloudEvent = new CloudEvent(e.Id, service.Name, e.Type, e.Topic, e.Tenant, e.Created, e.Payload);
            var results = await Task.WhenAll(targets.Select(async t => (Target: t, Error: await transport.DeliverAsync(t, cloudEvent, ct))));
            var failed = results.Where(r => r.Error is not null).ToArray();
            return (e, Remaining: failed.Select(r => r.Target).ToArray(),
                Error: failed.Length == 0 ? null : string.Join("; ", failed.Select(r => r.Error)));
        }));

        var now = time.UtcNow();
        foreach (var (e, remaining, error) in outcomes)
        {
            if (error is null)
            {
                await Execute(conn, tx, "UPDATE outbox SET delivered_at = $3, pending_targets = '{}', attempts = attempts + 1 WHERE tenant_id = $1 AND event_id = $2",
                    ct, e.Tenant, e.Id, now);
                DeliveryLatency.WithLabels(e.Topic).Observe(Math.Max(0, (now - e.Created).TotalSeconds));
                continue;
            }

            Failures.WithLabels(e.Topic).Inc();
            var attempts = e.Attempts + 1;
            if (attempts >= options.Value.MaxAttempts && remaining is not null)
            {
                foreach (var target in remaining)
                    await Execute(conn, tx, """
                        INSERT INTO dead_letter (tenant_id, event_id, topic, target, payload, attempts, last_error, dead_at)
                        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) ON CONFLICT DO NOTHING
                        """, ct, e.Tenant, e.Id, e.Topic, target, e.Payload, attempts, error, now);
                await Execute(conn, tx, "UPDATE outbox SET dead_lettered_at = $3, attempts = $4, last_error = $5 WHERE tenant_id = $1 AND event_id = $2",
                    ct, e.Tenant, e.Id, now, attempts, error);
                DeadLetters.WithLabels(e.Topic).Inc();
                logger.LogError("Event {EventId} on {Topic} dead-lettered after {Attempts} attempts: {Error}", e.Id, e.Topic, attempts, error);
                continue;
            }

            var next = now + Backoff(attempts);
            await Execute(conn, tx, """
                UPDATE outbox SET attempts = $3, next_attempt_at = $4, last_error = $5, pending_targets = $6
                WHERE tenant_id = $1 AND event_id = $2
                """, ct, e.Tenant, e.Id, attempts, next, error, (object?)remaining ?? DBNull.Value);
            logger.LogWarning("Event {EventId} on {Topic} not delivered (attempt {Attempts}): {Error}", e.Id, e.Topic, attempts, error);
        }
        return due.Count;
    }, ct);

    /// <summary>Exponential backoff from half a second, capped, with jitter so replicas do not retry in step.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(options.Value.MaxBackoff.TotalSeconds, 0.5 * Math.Pow(2, attempts - 1));
        return TimeSpan.FromSeconds(seconds * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    private async Task MeasureBacklogAsync(CancellationToken ct)
    {
        var now = time.UtcNow();
        if (now - _backlogMeasuredAt < TimeSpan.FromSeconds(5)) return;
        _backlogMeasuredAt = now;
        var count = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL", conn, tx);
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }, ct);
        Backlog.Set(count);
    }

    private static async Task Execute(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
