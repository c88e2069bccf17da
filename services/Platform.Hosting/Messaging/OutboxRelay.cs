using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Medins.Platform.Hosting.Data;
using Npgsql;
using Prometheus;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>
/// Delivers committed outbox events at least once, never while a transaction is open: each event is fanned out
/// to one delivery row per target, and each target has its own lane that claims its due rows (a lease, so
/// replicas share the work and a dead relay's claim expires), delivers them in one request per topic with a
/// bounded timeout, and records that request's outcomes together in a short transaction of its own. Every failure counts as an attempt for that target alone,
/// with backoff; after the last attempt, or at once when the subscriber drops the event, that target
/// dead-letters. A slow or absent subscriber holds up only its own lane.
/// </summary>
public sealed class OutboxRelay(PlatformDatabase db, IEventTransport transport, OutboxSignal signal, TimeProvider time,
    IOptions<EventOptions> options, PlatformServiceInfo service, ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly Gauge Backlog = Metrics.CreateGauge("medins_outbox_backlog",
        "Deliveries committed but not yet done or dead-lettered, by target (events not yet fanned out count for every target).",
        "target");
    private static readonly Histogram DeliveryLatency = Metrics.CreateHistogram("medins_outbox_delivery_latency_seconds",
        "Seconds from an event's commit to its delivery to a target.", new HistogramConfiguration
        {
            LabelNames = ["topic"],
            Buckets = Histogram.ExponentialBuckets(0.005, 2, 16),
        });
    private static readonly Counter Failures = Metrics.CreateCounter("medins_outbox_delivery_failures_total",
        "Failed delivery attempts (timeouts, refusals, 5xx, RETRY, drops), by topic and target.", "topic", "target");
    private static readonly Histogram BatchSize = Metrics.CreateHistogram("medins_outbox_delivery_batch_size",
        "Events per delivery request (one topic, one target), by target.", new HistogramConfiguration
        {
            LabelNames = ["target"],
            Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256],
        });
    /// <summary>(topic, target) pairs whose failure and dead-letter series exist.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Topic, string Target), byte> ExportedRoutes = new();
    private static readonly Counter DeadLetters = Metrics.CreateCounter("medins_outbox_dead_letters_total",
        "Deliveries given up on (after the last attempt, or at once when dropped), by topic and target.", "topic", "target");

    // The relay's statements, each on an index whatever the outbox holds (OutboxRelayTests EXPLAINs them).
    private const string Rows = "unnest($2::text[], $3::uuid[], $4::text[], $5::int[], $6::timestamptz[], $7::text[]) AS r(tenant_id, event_id, outcome, attempts, next_at, error)";
    private const string Open = "d.tenant_id = r.tenant_id AND d.event_id = r.event_id AND d.target = $1 AND d.delivered_at IS NULL AND d.dead_at IS NULL";

    /// <summary>Gives new events a delivery row per target (index outbox_unfanned).</summary>
    internal const string FanOutSql = """
        WITH due AS (
          SELECT tenant_id, event_id, topic, created_at FROM outbox
          WHERE fanned_out_at IS NULL ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
        ), deliveries AS (
          INSERT INTO outbox_delivery (tenant_id, event_id, target, topic, next_attempt_at)
          SELECT d.tenant_id, d.event_id, t.target, d.topic, d.created_at FROM due d CROSS JOIN unnest($1::text[]) AS t(target)
          ON CONFLICT DO NOTHING
        )
        UPDATE outbox o SET fanned_out_at = $2, delivered_at = CASE WHEN cardinality($1::text[]) = 0 THEN $2 END
        FROM due d WHERE o.tenant_id = d.tenant_id AND o.event_id = d.event_id
        """;

    /// <summary>Leases a target's due deliveries (index outbox_delivery_due), with their events (primary key).</summary>
    internal const string ClaimSql = """
        WITH claimed AS (
          UPDATE outbox_delivery d SET claimed_until = $3
          WHERE (d.tenant_id, d.event_id, d.target) IN (
            SELECT tenant_id, event_id, target FROM outbox_delivery
            WHERE target = $1 AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $2
              AND (claimed_until IS NULL OR claimed_until <= $2)
            ORDER BY next_attempt_at LIMIT $4
            FOR UPDATE SKIP LOCKED)
          RETURNING d.tenant_id, d.event_id, d.attempts, d.next_attempt_at
        )
        SELECT c.tenant_id, c.event_id, o.topic, o.event_type, o.payload::text, o.created_at, c.attempts
        FROM claimed c JOIN outbox o ON o.tenant_id = c.tenant_id AND o.event_id = c.event_id
        ORDER BY c.next_attempt_at
        """;

    /// <summary>Locks a request's events in key order.</summary>
    internal const string LockSql = """
        SELECT 1 FROM outbox o JOIN unnest($1::text[], $2::uuid[]) AS r(tenant_id, event_id)
          ON o.tenant_id = r.tenant_id AND o.event_id = r.event_id
        ORDER BY o.tenant_id, o.event_id FOR UPDATE OF o
        """;

    /// <summary>Each delivery's new state (primary key per row of the request).</summary>
    internal const string RecordSql = $"""
        UPDATE outbox_delivery d SET
          delivered_at = CASE WHEN r.outcome = 'delivered' THEN $8 END,
          dead_at = CASE WHEN r.outcome = 'dead' THEN $8 END,
          attempts = CASE WHEN r.outcome = 'deferred' THEN d.attempts ELSE r.attempts END,
          next_attempt_at = coalesce(r.next_at, d.next_attempt_at),
          last_error = CASE r.outcome WHEN 'delivered' THEN NULL WHEN 'deferred' THEN d.last_error ELSE r.error END,
          claimed_until = NULL
        FROM {Rows}
        WHERE {Open} AND r.outcome <> 'gone'
        """;

    /// <summary>Deliveries a target turned out not to want.</summary>
    internal const string ForgetSql = $"DELETE FROM outbox_delivery d USING {Rows} WHERE {Open} AND r.outcome = 'gone'";

    /// <summary>Dead letters of the request's dead deliveries.</summary>
    internal const string DeadLetterSql = $"""
        INSERT INTO dead_letter (tenant_id, event_id, topic, target, payload, attempts, last_error, dead_at)
        SELECT o.tenant_id, o.event_id, o.topic, $1, o.payload, r.attempts, r.error, $8
        FROM {Rows} JOIN outbox o ON o.tenant_id = r.tenant_id AND o.event_id = r.event_id
        WHERE r.outcome = 'dead'
        ON CONFLICT (tenant_id, event_id, target) DO UPDATE
          SET attempts = excluded.attempts, last_error = excluded.last_error, dead_at = excluded.dead_at, replayed_at = NULL
        """;

    /// <summary>Each event's summary: its worst attempt count and last error, and done when no target is owed it.</summary>
    internal const string SummarySql = """
        UPDATE outbox o SET
          attempts = greatest(o.attempts, s.attempts),
          last_error = coalesce(s.last_error, o.last_error),
          delivered_at = CASE WHEN s.open = 0 AND s.dead = 0 THEN coalesce(o.delivered_at, $3) END,
          dead_lettered_at = CASE WHEN s.open = 0 AND s.dead > 0 THEN coalesce(o.dead_lettered_at, $3) END
        FROM unnest($1::text[], $2::uuid[]) AS r(tenant_id, event_id)
        CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL) AS open,
                 count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
                 coalesce(max(attempts), 0) AS attempts,
                 max(last_error) FILTER (WHERE delivered_at IS NULL) AS last_error
          FROM outbox_delivery d WHERE d.tenant_id = r.tenant_id AND d.event_id = r.event_id) s
        WHERE o.tenant_id = r.tenant_id AND o.event_id = r.event_id
        """;

    /// <summary>Open deliveries per target (index outbox_delivery_due) and events not yet fanned out (outbox_unfanned).</summary>
    internal const string BacklogSql = """
        SELECT t.target,
               (SELECT count(*) FROM outbox_delivery d WHERE d.target = t.target AND d.delivered_at IS NULL AND d.dead_at IS NULL)
               + (SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL)
        FROM unnest($1::text[]) AS t(target)
        """;

    private static readonly TimeSpan BacklogInterval = TimeSpan.FromSeconds(5);
    private readonly Dictionary<string, OutboxSignal> _lanes = transport.Targets.ToDictionary(t => t, _ => new OutboxSignal());
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _retryAt = new(StringComparer.Ordinal);
    private EventOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.RelayEnabled)
        {
            logger.LogWarning("Outbox relay disabled by configuration; events stay in the outbox.");
            return;
        }
        var loops = new List<Task>
        {
            LoopAsync("fan-out", signal, FanOutAsync, () => Options.PollInterval, stoppingToken),
            BacklogLoopAsync(stoppingToken),
        };
        foreach (var (target, laneSignal) in _lanes)
            loops.Add(LoopAsync(target, laneSignal, async ct => await RelayTargetAsync(target, ct) < Options.ClaimSize ? 0 : Options.BatchSize,
                () => LaneWait(target), stoppingToken));
        await Task.WhenAll(loops);
    }

    /// <summary>An idle lane sleeps until its earliest retry it knows of, or its idle interval; new events wake it.</summary>
    private TimeSpan LaneWait(string target)
    {
        var idle = Options.LaneIdleInterval > Options.PollInterval ? Options.LaneIdleInterval : Options.PollInterval;
        if (!_retryAt.TryGetValue(target, out var at)) return idle;
        var until = at - time.UtcNow();
        return until < Options.PollInterval ? Options.PollInterval : until > idle ? idle : until;
    }

    private void NoteRetry(string target, DateTimeOffset at)
    {
        var now = time.UtcNow();
        _retryAt.AddOrUpdate(target, at, (_, known) => known <= now || at < known ? at : known);
    }

    private async Task LoopAsync(string name, OutboxSignal wake, Func<CancellationToken, Task<int>> pass, Func<TimeSpan> idle,
        CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await pass(stoppingToken) < Options.BatchSize)
                    await wake.WaitAsync(idle(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Outbox relay {Lane} pass failed; retrying", name);
                await Task.Delay(Options.PollInterval, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    private async Task BacklogLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await MeasureBacklogAsync(stoppingToken);
                await Task.Delay(BacklogInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Measuring the outbox backlog failed");
                await Task.Delay(BacklogInterval, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>One pass of everything (tests): fan out, then every lane once, concurrently; returns deliveries attempted.</summary>
    public async Task<int> RelayBatchAsync(CancellationToken ct)
    {
        await FanOutAsync(ct);
        var counts = await Task.WhenAll(_lanes.Keys.Select(t => RelayTargetAsync(t, ct)));
        return counts.Sum();
    }

    /// <summary>Gives new events a delivery row per target; a database-only step, so no target can hold it up.</summary>
    public async Task<int> FanOutAsync(CancellationToken ct)
    {
        var targets = _lanes.Keys.ToArray();
        var now = time.UtcNow();
        var fanned = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand(FanOutSql, conn, tx);
            cmd.Parameters.Add(new() { Value = targets });
            cmd.Parameters.Add(new() { Value = now });
            cmd.Parameters.Add(new() { Value = Options.BatchSize });
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
        if (fanned > 0)
            foreach (var lane in _lanes.Values) lane.Notify();
        return fanned;
    }

    private sealed record Due(string Tenant, Guid Id, string Topic, string Type, string Payload, DateTimeOffset Created, int Attempts);

    /// <summary>Claims, delivers and records one batch of one target's due deliveries; returns how many were claimed.</summary>
    public async Task<int> RelayTargetAsync(string target, CancellationToken ct)
    {
        var now = time.UtcNow();
        var due = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var claim = new NpgsqlCommand(ClaimSql, conn, tx);
            claim.Parameters.Add(new() { Value = target });
            claim.Parameters.Add(new() { Value = now });
            claim.Parameters.Add(new() { Value = now + Options.ClaimLease });
            claim.Parameters.Add(new() { Value = Options.ClaimSize });
            var rows = new List<Due>();
            await using var reader = await claim.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                rows.Add(new Due(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6)));
            return rows;
        }, ct);

        // Outside any transaction: one request per topic, then each request's outcomes recorded together.
        var topics = due.GroupBy(e => e.Topic, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        await Parallel.ForEachAsync(topics, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.ConcurrencyPerTarget) },
            async (batch, _) =>
            {
                BatchSize.WithLabels(target).Observe(batch.Count);
                var results = await DeliverBatchAsync(target, batch, ct);
                await RecordAsync(target, batch, results, ct);
            });
        return due.Count;
    }

    private async Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(string target, IReadOnlyList<Due> batch, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Options.DeliveryTimeout);
        var events = batch.Select(e => new CloudEvent(e.Id, service.Name, e.Type, e.Topic, e.Tenant, e.Created, e.Payload)).ToList();
        DeliveryResult failed;
        try
        {
            var results = await transport.DeliverBatchAsync(target, events, timeout.Token);
            if (results.Count == batch.Count) return results;
            failed = DeliveryResult.Failed($"{target}: {results.Count} results for {batch.Count} events");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw; // our own shutdown: the claims expire and another pass delivers them
        }
        catch (OperationCanceledException)
        {
            // Our timeout, or the HttpClient's own (TaskCanceledException): the subscriber was too slow.
            failed = DeliveryResult.Failed($"{target} did not answer within {Options.DeliveryTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex)
        {
            failed = DeliveryResult.Failed($"{target}: {ex.GetType().Name}: {ex.Message}");
        }
        return [.. batch.Select(_ => failed)];
    }

    /// <summary>
    /// Records the outcomes of one request in one transaction of set-based statements (one round trip), whatever
    /// the number of events: each delivery row's new state, dead letters, and each event's summary.
    /// </summary>
    private async Task RecordAsync(string target, IReadOnlyList<Due> batch, IReadOnlyList<DeliveryResult> results, CancellationToken ct)
    {
        var now = time.UtcNow();
        var n = batch.Count;
        var tenants = new string[n];
        var ids = new Guid[n];
        var outcomes = new string[n];
        var attempts = new int[n];
        var nextAt = new DateTimeOffset?[n];
        var errors = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var (e, result) = (batch[i], results[i]);
            tenants[i] = e.Tenant;
            ids[i] = e.Id;
            attempts[i] = e.Attempts + 1;
            var dead = result.Outcome == DeliveryOutcome.Rejected
                       || result.Outcome == DeliveryOutcome.Failed && attempts[i] >= Options.MaxAttempts;
            (outcomes[i], nextAt[i], errors[i]) = result.Outcome switch
            {
                DeliveryOutcome.Delivered => ("delivered", (DateTimeOffset?)null, (string?)null),
                DeliveryOutcome.NotSubscribed => ("gone", null, null),
                DeliveryOutcome.Deferred => ("deferred", result.RetryAt ?? now + Options.PollInterval, null),
                _ when dead => ("dead", null, result.Error ?? "failed"),
                _ => ("retry", now + Backoff(attempts[i]), result.Error ?? "failed"),
            };
        }

        await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var sql = new NpgsqlBatch(conn, tx);
            // Lanes finishing deliveries of one event take turns (in key order, so two lanes never wait on each
            // other), so the last one sees every other outcome.
            sql.BatchCommands.Add(Sql.BatchCommand(LockSql, tenants, ids));
            sql.BatchCommands.Add(Sql.BatchCommand(RecordSql, target, tenants, ids, outcomes, attempts, nextAt, errors, now));
            sql.BatchCommands.Add(Sql.BatchCommand(ForgetSql,
                target, tenants, ids, outcomes, attempts, nextAt, errors));
            sql.BatchCommands.Add(Sql.BatchCommand(DeadLetterSql, target, tenants, ids, outcomes, attempts, nextAt, errors, now));
            sql.BatchCommands.Add(Sql.BatchCommand(SummarySql, tenants, ids, now));
            await sql.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);

        for (var i = 0; i < n; i++)
        {
            var (e, result) = (batch[i], results[i]);
            if (nextAt[i] is { } at) NoteRetry(target, at);
            switch (result.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    DeliveryLatency.WithLabels(e.Topic).Observe(Math.Max(0, (now - e.Created).TotalSeconds));
                    // A route that works still shows its failure and dead-letter series, at zero: a dashboard
                    // then tells "none" from "not exported". Once per route, not per event.
                    if (ExportedRoutes.TryAdd((e.Topic, target), 0))
                    {
                        Failures.WithLabels(e.Topic, target);
                        DeadLetters.WithLabels(e.Topic, target);
                    }
                    break;
                case DeliveryOutcome.Failed or DeliveryOutcome.Rejected:
                    Failures.WithLabels(e.Topic, target).Inc();
                    if (outcomes[i] == "dead")
                    {
                        DeadLetters.WithLabels(e.Topic, target).Inc();
                        logger.LogError("Event {EventId} on {Topic} dead-lettered for {Target} after {Attempts} attempts: {Error}",
                            e.Id, e.Topic, target, attempts[i], result.Error);
                    }
                    else
                        logger.LogWarning("Event {EventId} on {Topic} not delivered to {Target} (attempt {Attempts}): {Error}",
                            e.Id, e.Topic, target, attempts[i], result.Error);
                    break;
            }
        }
    }

    /// <summary>Exponential backoff from half a second, capped, with jitter so replicas do not retry in step.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(Options.MaxBackoff.TotalSeconds, 0.5 * Math.Pow(2, attempts - 1));
        return TimeSpan.FromSeconds(seconds * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    /// <summary>Sets the backlog gauge per target from the database (true whichever lane is stuck); returns it.</summary>
    public async Task<IReadOnlyDictionary<string, long>> MeasureBacklogAsync(CancellationToken ct)
    {
        var targets = _lanes.Keys.ToArray();
        var backlog = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand(BacklogSql, conn, tx);
            cmd.Parameters.Add(new() { Value = targets });
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt64(1);
            return counts;
        }, ct);
        foreach (var (target, count) in backlog) Backlog.WithLabels(target).Set(count);
        return backlog;
    }

    /// <summary>The gauge's current value for a target.</summary>
    public static double BacklogGauge(string target) => Backlog.WithLabels(target).Value;
}
