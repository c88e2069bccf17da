using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Platform.Hosting.Messaging;

public sealed record DeadLetterRow(string TenantId, Guid EventId, string Topic, string Target, int Attempts, string? LastError,
    DateTimeOffset DeadAt, DateTimeOffset? ReplayedAt);

/// <summary>
/// Lists a schema's dead letters and replays them: a replay resets that target's delivery (attempts from zero, due
/// now), so the relay delivers it once more, or, for a dead letter Dapr handed back (source <c>dapr</c>, no delivery
/// to reset), marks it due so the subscribing service applies it once more (<see cref="DeadLetterRedriver"/>); and
/// records who replayed what, when and why.
/// </summary>
public sealed class DeadLetters(PlatformDatabase db, TimeProvider time)
{
    public Task<IReadOnlyList<DeadLetterRow>> ListAsync(bool includeReplayed, CancellationToken ct) =>
        db.InSystemScopeAsync<IReadOnlyList<DeadLetterRow>>(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT tenant_id, event_id, topic, target, attempts, last_error, dead_at, replayed_at FROM dead_letter
                WHERE $1 OR replayed_at IS NULL ORDER BY dead_at, event_id, target
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = includeReplayed });
            var rows = new List<DeadLetterRow>();
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                rows.Add(new DeadLetterRow(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
            return rows;
        }, ct);

    /// <summary>
    /// Replays the unreplayed dead letters of one event (or all, when <paramref name="eventId"/> is null), optionally
    /// for one target; returns the deliveries reset. Actor and reason are required: they are the audit.
    /// </summary>
    public Task<IReadOnlyList<DeadLetterRow>> ReplayAsync(Guid? eventId, string? target, string actor, string reason, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return db.InSystemScopeAsync<IReadOnlyList<DeadLetterRow>>(async (conn, tx) =>
        {
            var now = time.GetUtcNow();
            await using var cmd = new NpgsqlCommand("""
                WITH relayed AS (
                  UPDATE dead_letter l SET replayed_at = $4
                  FROM outbox_delivery d
                  WHERE d.tenant_id = l.tenant_id AND d.event_id = l.event_id AND d.target = l.target AND d.dead_at IS NOT NULL
                    AND l.source = 'relay'
                    AND l.replayed_at IS NULL AND ($1::uuid IS NULL OR l.event_id = $1) AND ($2::text IS NULL OR l.target = $2)
                  RETURNING l.tenant_id, l.event_id, l.topic, l.target, l.attempts, l.last_error, l.dead_at
                ), redriven AS (
                  UPDATE dead_letter l SET replayed_at = $4, redrive_at = $4
                  WHERE l.source = 'dapr'
                    AND l.replayed_at IS NULL AND ($1::uuid IS NULL OR l.event_id = $1) AND ($2::text IS NULL OR l.target = $2)
                  RETURNING l.tenant_id, l.event_id, l.topic, l.target, l.attempts, l.last_error, l.dead_at
                ), replayed AS (
                  SELECT * FROM relayed UNION ALL SELECT * FROM redriven
                ), reset AS (
                  UPDATE outbox_delivery d SET dead_at = NULL, attempts = 0, next_attempt_at = $4, claimed_until = NULL, last_error = NULL
                  FROM relayed r WHERE d.tenant_id = r.tenant_id AND d.event_id = r.event_id AND d.target = r.target
                ), reopened AS (
                  UPDATE outbox o SET dead_lettered_at = NULL, delivered_at = NULL
                  FROM (SELECT DISTINCT tenant_id, event_id FROM relayed) r WHERE o.tenant_id = r.tenant_id AND o.event_id = r.event_id
                ), audited AS (
                  INSERT INTO dead_letter_replay (tenant_id, event_id, target, topic, replayed_by, reason, replayed_at)
                  SELECT tenant_id, event_id, target, topic, $3, $5, $4 FROM replayed
                )
                SELECT tenant_id, event_id, topic, target, attempts, last_error, dead_at FROM replayed ORDER BY dead_at, event_id, target
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = (object?)eventId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new() { Value = (object?)target ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = actor });
            cmd.Parameters.Add(new() { Value = now });
            cmd.Parameters.Add(new() { Value = reason });
            var rows = new List<DeadLetterRow>();
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                rows.Add(new DeadLetterRow(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), now));
            return rows;
        }, ct);
    }
}
