using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Platform.Hosting.Messaging;

/// <summary>Writes an event in the same transaction as the state change it describes; the relay delivers it later.</summary>
public sealed class Outbox(TimeProvider time, OutboxSignal signal)
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public async Task<Guid> AddAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string topic,
        IMessage message, CancellationToken ct)
    {
        var eventId = Guid.CreateVersion7(time.UtcNow());
        var now = time.UtcNow();
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO outbox (tenant_id, event_id, topic, event_type, payload, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $6)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = eventId });
        cmd.Parameters.Add(new() { Value = topic });
        cmd.Parameters.Add(new() { Value = message.Descriptor.FullName });
        cmd.Parameters.Add(new() { Value = Json.Format(message), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
        signal.Notify();
        return eventId;
    }

    /// <summary>
    /// The same insert as <see cref="AddAsync"/>, for a batch that sends it with the state change in one round trip;
    /// the relay is woken as by AddAsync (before the commit: it finds the event once it is committed).
    /// </summary>
    public NpgsqlBatchCommand AddCommand(string tenantId, string topic, IMessage message)
    {
        var now = time.UtcNow();
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO outbox (tenant_id, event_id, topic, event_type, payload, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $6)
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = Guid.CreateVersion7(now) });
        cmd.Parameters.Add(new() { Value = topic });
        cmd.Parameters.Add(new() { Value = message.Descriptor.FullName });
        cmd.Parameters.Add(new() { Value = Json.Format(message), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = now });
        signal.Notify();
        return cmd;
    }
}

/// <summary>Wakes the relay early when this process has just written an event, instead of waiting a poll interval.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        if (_semaphore.CurrentCount == 0)
        {
            try { _semaphore.Release(); } catch (SemaphoreFullException) { }
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}
