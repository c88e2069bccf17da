using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

public sealed class RetentionPrunerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2024, 3, 1, 2, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync(demoCity: false);
        _source = _db.DataSourceFor("payment-collection");
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    private RetentionPruner Pruner(RetentionOptions options) => new(new PlatformDatabase(_source, _time), _time,
        Options.Create(options), Options.Create(new EventOptions()), NullLogger<RetentionPruner>.Instance);

    [Fact]
    public async Task Pruner_RowsPastRetention_AreDeletedInBatchesAndRecentOnesKept()
    {
        // Per table: rows just past the retention, rows just within it, and what must stay whatever its age.
        for (var i = 0; i < 5; i++)
        {
            await Outbox($"old-{i}", delivered: Now.AddDays(-8));
            await Inbox(Now.AddDays(-60));
            await RequestLog($"old-{i}", Now.AddDays(-31));
        }
        await Outbox("recent", delivered: Now.AddDays(-6));
        await Outbox("undelivered", delivered: null); // owed to a subscriber: never pruned
        await Inbox(Now.AddDays(-40));
        await RequestLog("recent", Now.AddDays(-29));
        await DeadLetter("dead-old", Now.AddDays(-31));
        await DeadLetter("dead-recent", Now.AddDays(-2));

        var pruned = await Pruner(new RetentionOptions { BatchSize = 2 }).PruneAsync(CancellationToken.None);

        Assert.Equal(5L + 1, pruned["outbox"]); // five delivered long ago, and the dead-lettered event with its dead letter
        Assert.Equal(5L, pruned["inbox"]);
        Assert.Equal(5L, pruned["request_log"]);
        Assert.Equal(1L, pruned["dead_letter"]);
        Assert.Equal(["dead-recent", "recent", "undelivered"], await Strings("SELECT payload->>'name' FROM payment_collection.outbox ORDER BY 1"));
        Assert.Equal(1L, await Count("inbox"));
        Assert.Equal(["recent"], await Strings("SELECT request_id FROM payment_collection.request_log"));
        Assert.Equal(["dead-recent"], await Strings("SELECT payload->>'name' FROM payment_collection.dead_letter"));
        Assert.Equal(0L, await Count("outbox_delivery WHERE event_id NOT IN (SELECT event_id FROM payment_collection.outbox)"));
    }

    [Fact]
    public void Retention_InboxShorterThanLongestRedelivery_KeepsInboxIdsLonger()
    {
        var options = new RetentionOptions { Inbox = TimeSpan.FromDays(1), DeadLetters = TimeSpan.FromDays(30) };

        var kept = options.EffectiveInbox(new EventOptions { MaxAttempts = 12, MaxBackoff = TimeSpan.FromMinutes(5) });

        // 30 days of replayable dead letters + 12 attempts × 5 minutes of retries + a day's margin.
        Assert.Equal(TimeSpan.FromDays(31) + TimeSpan.FromHours(1), kept);
    }

    private async Task<Guid> Outbox(string name, DateTimeOffset? delivered, DateTimeOffset? dead = null)
    {
        var id = Guid.NewGuid();
        await Execute("""
            INSERT INTO payment_collection.outbox (tenant_id, event_id, topic, event_type, payload, created_at, next_attempt_at,
                                                   fanned_out_at, delivered_at, dead_lettered_at)
            VALUES ('cq-lidu', $1, 't', 't', jsonb_build_object('name', $2::text), $3, $3, $3, $4, $5)
            """, id, name, (delivered ?? dead ?? Now).AddMinutes(-1), (object?)delivered ?? DBNull.Value, (object?)dead ?? DBNull.Value);
        await Execute("""
            INSERT INTO payment_collection.outbox_delivery (tenant_id, event_id, target, topic, attempts, next_attempt_at, delivered_at, dead_at)
            VALUES ('cq-lidu', $1, 'notification', 't', 1, $2, $3, $4)
            """, id, Now, (object?)delivered ?? DBNull.Value, (object?)dead ?? DBNull.Value);
        return id;
    }

    private async Task DeadLetter(string name, DateTimeOffset dead)
    {
        var id = await Outbox(name, delivered: null, dead: dead);
        await Execute("""
            INSERT INTO payment_collection.dead_letter (tenant_id, event_id, topic, target, payload, attempts, last_error, dead_at)
            VALUES ('cq-lidu', $1, 't', 'notification', jsonb_build_object('name', $2::text), 12, 'down', $3)
            """, id, name, dead);
    }

    private Task Inbox(DateTimeOffset received) => Execute(
        "INSERT INTO payment_collection.inbox (tenant_id, event_id, topic, received_at) VALUES ('cq-lidu', $1, 't', $2)",
        Guid.NewGuid(), received);

    private Task RequestLog(string requestId, DateTimeOffset created) => Execute("""
        INSERT INTO payment_collection.request_log (tenant_id, rpc, request_id, request_hash, created_at)
        VALUES ('cq-lidu', 'CreatePaymentOrder', $1, '\x00', $2)
        """, requestId, created);

    private async Task Execute(string sql, params object[] args)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        foreach (var arg in args)
            cmd.Parameters.Add(arg is DBNull ? new NpgsqlParameter { Value = arg, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz } : new NpgsqlParameter { Value = arg });
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<long> Count(string from)
    {
        await using var cmd = _db.Owner.CreateCommand($"SELECT count(*) FROM payment_collection.{from}");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<List<string>> Strings(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync()) list.Add(reader.GetString(0));
        return list;
    }
}
