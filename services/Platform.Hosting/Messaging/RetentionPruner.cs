using Medins.Platform.Hosting.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>How long the platform tables keep their rows (configuration section <c>Retention</c>).</summary>
public sealed class RetentionOptions
{
    public bool Enabled { get; set; } = true;
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Rows per DELETE, so no pass holds long locks.</summary>
    public int BatchSize { get; set; } = 1000;
    /// <summary>Outbox events delivered to every target.</summary>
    public TimeSpan DeliveredEvents { get; set; } = TimeSpan.FromDays(7);
    /// <summary>Dead letters (counted from their replay, or from when they died) and the events they belong to.</summary>
    public TimeSpan DeadLetters { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Event ids a consumer has applied. Kept longer than any redelivery can come (see <see cref="EffectiveInbox"/>).</summary>
    public TimeSpan Inbox { get; set; } = TimeSpan.FromDays(45);
    /// <summary>Client request ids and their first answers: a request id stays unique at least this long.</summary>
    public TimeSpan RequestLog { get; set; } = TimeSpan.FromDays(30);
    /// <summary>The audit of dead-letter replays.</summary>
    public TimeSpan ReplayAudit { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// An event can be redelivered while it is retried (at most MaxAttempts × MaxBackoff) and after a replay of its
    /// dead letter (kept <see cref="DeadLetters"/>); an inbox id pruned sooner could let a redelivery apply twice.
    /// </summary>
    public TimeSpan EffectiveInbox(EventOptions events)
    {
        var longestRedelivery = DeadLetters + events.MaxBackoff * events.MaxAttempts + TimeSpan.FromDays(1);
        return Inbox > longestRedelivery ? Inbox : longestRedelivery;
    }
}

/// <summary>Deletes platform rows past their retention, in small batches using an index on each table's age.</summary>
public sealed class RetentionPruner(PlatformDatabase db, TimeProvider time, IOptions<RetentionOptions> options,
    IOptions<EventOptions> events, ILogger<RetentionPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        if (options.Value.EffectiveInbox(events.Value) > options.Value.Inbox)
            logger.LogWarning("Retention:Inbox {Configured} is shorter than the longest redelivery; keeping inbox ids {Effective}",
                options.Value.Inbox, options.Value.EffectiveInbox(events.Value));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pruned = await PruneAsync(stoppingToken);
                if (pruned.Values.Sum() > 0)
                    logger.LogInformation("Pruned rows past retention: {Pruned}", string.Join(", ", pruned.Select(p => $"{p.Key}={p.Value}")));
                await Task.Delay(options.Value.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Pruning past retention failed; trying again next interval");
                await Task.Delay(options.Value.Interval, time, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>One full pass over every table; returns the rows deleted per table.</summary>
    public async Task<IReadOnlyDictionary<string, long>> PruneAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        var pruned = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            // Deliveries go with their event (ON DELETE CASCADE).
            ["outbox"] = await DeleteAsync("""
                DELETE FROM outbox o USING (SELECT tenant_id, event_id FROM outbox WHERE delivered_at < $1 LIMIT $2) x
                WHERE o.tenant_id = x.tenant_id AND o.event_id = x.event_id
                """, now - o.DeliveredEvents, ct),
            ["dead_letter"] = await DeleteAsync("""
                DELETE FROM dead_letter l USING (
                  SELECT tenant_id, event_id, target FROM dead_letter WHERE coalesce(replayed_at, dead_at) < $1 LIMIT $2) x
                WHERE l.tenant_id = x.tenant_id AND l.event_id = x.event_id AND l.target = x.target
                """, now - o.DeadLetters, ct),
        };
        pruned["outbox"] += await DeleteAsync("""
            DELETE FROM outbox o USING (SELECT tenant_id, event_id FROM outbox WHERE dead_lettered_at < $1 LIMIT $2) x
            WHERE o.tenant_id = x.tenant_id AND o.event_id = x.event_id
            """, now - o.DeadLetters, ct);
        pruned["inbox"] = await DeleteAsync("""
            DELETE FROM inbox i USING (SELECT event_id FROM inbox WHERE received_at < $1 LIMIT $2) x WHERE i.event_id = x.event_id
            """, now - o.EffectiveInbox(events.Value), ct);
        pruned["request_log"] = await DeleteAsync("""
            DELETE FROM request_log r USING (SELECT tenant_id, rpc, request_id FROM request_log WHERE created_at < $1 LIMIT $2) x
            WHERE r.tenant_id = x.tenant_id AND r.rpc = x.rpc AND r.request_id = x.request_id
            """, now - o.RequestLog, ct);
        pruned["dead_letter_replay"] = await DeleteAsync("""
            DELETE FROM dead_letter_replay a USING (SELECT tenant_id, replay_id FROM dead_letter_replay WHERE replayed_at < $1 LIMIT $2) x
            WHERE a.tenant_id = x.tenant_id AND a.replay_id = x.replay_id
            """, now - o.ReplayAudit, ct);
        return pruned;
    }

    /// <summary>Repeats one batched DELETE, each batch its own transaction, until a batch comes back short.</summary>
    private async Task<long> DeleteAsync(string sql, DateTimeOffset cutoff, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            var deleted = await db.InSystemScopeAsync(async (conn, tx) =>
            {
                await using var cmd = new NpgsqlCommand(sql, conn, tx);
                cmd.Parameters.Add(new() { Value = cutoff });
                cmd.Parameters.Add(new() { Value = options.Value.BatchSize });
                return await cmd.ExecuteNonQueryAsync(ct);
            }, ct);
            total += deleted;
            if (deleted < options.Value.BatchSize) return total;
        }
    }
}
