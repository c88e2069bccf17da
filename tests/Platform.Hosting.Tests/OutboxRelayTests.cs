using Medins.Contribution.V1;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

public sealed class OutboxRelayTests : IAsyncLifetime
{
    private const string Topic = "policy.published";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 12, 1, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;
    private PlatformDatabase _platform = null!;
    private readonly List<IAsyncDisposable> _subscribers = [];

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync(demoCity: false);
        _source = _db.DataSourceFor("contribution-calculation");
        _platform = new PlatformDatabase(_source, _time);
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _subscribers) await s.DisposeAsync();
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<TestSubscriber> Subscriber(int failFirst = 0)
    {
        var subscriber = await TestSubscriber.StartAsync(Topic, failFirst);
        _subscribers.Add(subscriber);
        return subscriber;
    }

    private OutboxRelay Relay(int maxAttempts = 12, params (string AppId, TestSubscriber Subscriber)[] subscribers) =>
        Relay(o => o.MaxAttempts = maxAttempts, subscribers.Select(s => (s.AppId, s.Subscriber.BaseAddress)).ToArray());

    private OutboxRelay Relay(Action<EventOptions> configure, params (string AppId, string BaseAddress)[] subscribers)
    {
        var eventOptions = new EventOptions { Subscribers = subscribers.ToDictionary(s => s.AppId, s => s.BaseAddress) };
        configure(eventOptions);
        var options = Options.Create(eventOptions);
        var transport = new LocalEventTransport(new HttpClient(), options, NullLogger<LocalEventTransport>.Instance, _time);
        return new OutboxRelay(_platform, transport, new OutboxSignal(), _time, options,
            new PlatformServiceInfo("contribution-calculation", "contribution_calculation", []), NullLogger<OutboxRelay>.Instance);
    }

    private Task<Guid> Publish(string tenant = "cq-lidu", int year = 2024, string topic = Topic) =>
        _platform.InTenantAsync(tenant, (conn, tx) => new Outbox(_time, new OutboxSignal()).AddAsync(conn, tx, tenant, topic,
            new PolicyPublished { TenantId = tenant, PolicyId = "p", CoverageYear = year, Version = 1 }, CancellationToken.None),
            CancellationToken.None);

    /// <summary>An address nothing listens on: connections are refused.</summary>
    private static string Down() => $"http://127.0.0.1:{PostgresCluster.FreePort()}/";

    [Fact]
    public async Task Relay_SubscriberAccepts_DeliversCloudEventOnceAndMarksDelivered()
    {
        var subscriber = await Subscriber();
        var relay = Relay(subscribers: ("identity-registry", subscriber));
        var eventId = await Publish();

        await relay.RelayBatchAsync(CancellationToken.None);
        await relay.RelayBatchAsync(CancellationToken.None);

        var received = Assert.Single(subscriber.Received);
        Assert.Equal(eventId.ToString(), received.GetProperty("id").GetString());
        Assert.Equal("cq-lidu", received.GetProperty("tenantid").GetString());
        Assert.Equal("medins.contribution.v1.PolicyPublished", received.GetProperty("type").GetString());
        Assert.Equal(2024, received.GetProperty("data").GetProperty("coverageYear").GetInt32());
        Assert.NotNull(await Scalar<DateTime?>($"SELECT delivered_at FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
    }

    [Fact]
    public async Task Relay_SubscriberFailsOnce_RetriesOnlyAfterBackoff()
    {
        var subscriber = await Subscriber(failFirst: 1);
        var relay = Relay(subscribers: ("quota-tracking", subscriber));
        await Publish();

        await relay.RelayBatchAsync(CancellationToken.None);
        await relay.RelayBatchAsync(CancellationToken.None); // not yet due: no attempt
        Assert.Equal(1, subscriber.Attempts);
        Assert.Empty(subscriber.Received);

        _time.Advance(TimeSpan.FromSeconds(2));
        await relay.RelayBatchAsync(CancellationToken.None);

        Assert.Single(subscriber.Received);
        Assert.Equal(2, subscriber.Attempts);
    }

    [Fact]
    public async Task Relay_OneOfTwoSubscribersFails_RetriesOnlyTheFailingOne()
    {
        var healthy = await Subscriber();
        var flaky = await Subscriber(failFirst: 2);
        var relay = Relay(subscribers: [("identity-registry", healthy), ("notification", flaky)]);
        await Publish();

        for (var pass = 0; pass < 4; pass++)
        {
            await relay.RelayBatchAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Single(healthy.Received);
        Assert.Single(flaky.Received);
        Assert.Equal(3, flaky.Attempts);
        Assert.Equal(1, await Scalar<int>("SELECT attempts FROM contribution_calculation.outbox_delivery WHERE target = 'identity-registry'"));
        Assert.Equal(3, await Scalar<int>("SELECT attempts FROM contribution_calculation.outbox_delivery WHERE target = 'notification'"));
    }

    [Fact]
    public async Task Relay_SubscriberAlwaysFails_DeadLettersAfterMaxAttempts()
    {
        var broken = await Subscriber(failFirst: int.MaxValue);
        var relay = Relay(maxAttempts: 3, ("notification", broken));
        var eventId = await Publish();

        for (var pass = 0; pass < 6; pass++)
        {
            await relay.RelayBatchAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(3, broken.Attempts);
        Assert.Equal("notification", await Scalar<string>($"SELECT target FROM contribution_calculation.dead_letter WHERE event_id = '{eventId}'"));
        Assert.NotNull(await Scalar<DateTime?>($"SELECT dead_lettered_at FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
    }

    [Fact]
    public async Task Relay_SubscriberTimesOut_CountsEachTimeoutAsAnAttemptWithBackoffThenDeadLetters()
    {
        var slow = await Subscriber();
        slow.Hold = new TaskCompletionSource(); // answers only after the relay has given up on it
        var relay = Relay(o => { o.MaxAttempts = 3; o.DeliveryTimeout = TimeSpan.FromMilliseconds(300); }, ("notification", slow.BaseAddress));
        var eventId = await Publish();
        var delivery = $"FROM contribution_calculation.outbox_delivery WHERE event_id = '{eventId}' AND target = 'notification'";

        await relay.RelayBatchAsync(CancellationToken.None);
        Assert.Equal(1, await Scalar<int>($"SELECT attempts {delivery}"));
        Assert.Contains("did not answer", await Scalar<string>($"SELECT last_error {delivery}"));
        // Backoff: not due again at once, so an immediate pass sends nothing more.
        Assert.True(await Scalar<DateTime>($"SELECT next_attempt_at {delivery}") > _time.GetUtcNow().UtcDateTime);
        await relay.RelayBatchAsync(CancellationToken.None);
        Assert.Equal(1, await Scalar<int>($"SELECT attempts {delivery}"));
        Assert.Equal(1, await Scalar<int>($"SELECT attempts FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
        // Never a request the relay did not count (a timeout may strike before the request reaches the subscriber).
        Assert.True(slow.Attempts <= 1, $"{slow.Attempts} requests for 1 counted attempt");

        for (var pass = 0; pass < 4; pass++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            await relay.RelayBatchAsync(CancellationToken.None);
        }

        Assert.True(slow.Attempts <= 3, $"{slow.Attempts} requests for 3 counted attempts");
        Assert.Equal(3, await Scalar<int>($"SELECT attempts FROM contribution_calculation.dead_letter WHERE event_id = '{eventId}'"));
        Assert.NotNull(await Scalar<DateTime?>($"SELECT dead_lettered_at FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
        Assert.Empty(slow.Received);
    }

    [Fact]
    public async Task Relay_SubscriberAnswersDrop_DeadLettersAtOnceWithoutRetrying()
    {
        var strict = await Subscriber();
        strict.Answer = "DROP";
        var relay = Relay(subscribers: ("quota-tracking", strict));
        var eventId = await Publish();

        await relay.RelayBatchAsync(CancellationToken.None);
        for (var pass = 0; pass < 3; pass++)
        {
            _time.Advance(TimeSpan.FromMinutes(10));
            await relay.RelayBatchAsync(CancellationToken.None);
        }

        Assert.Equal(1, strict.Attempts);
        Assert.Equal(1, await Scalar<int>($"SELECT attempts FROM contribution_calculation.dead_letter WHERE event_id = '{eventId}' AND target = 'quota-tracking'"));
        Assert.Null(await Scalar<DateTime?>($"SELECT delivered_at FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
        Assert.NotNull(await Scalar<DateTime?>($"SELECT dead_lettered_at FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
    }

    [Fact]
    public async Task Relay_TopicAddedAfterFirstDiscovery_IsDeliveredAndUnwantedTopicsAreNot()
    {
        var subscriber = await Subscriber();
        var relay = Relay(subscribers: ("notification", subscriber));
        await Publish();
        await relay.RelayBatchAsync(CancellationToken.None); // discovers the subscriber's routes: Topic only
        Assert.Single(subscriber.Received);

        subscriber.Subscribe("policy.second"); // as if it restarted with a new subscription
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = await Publish(topic: "policy.second");
        var unwanted = await Publish(topic: "policy.unwanted");
        for (var pass = 0; pass < 3; pass++)
        {
            await relay.RelayBatchAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.Equal(2, subscriber.Received.Count);
        Assert.Contains(subscriber.Received, e => e.GetProperty("id").GetString() == second.ToString());
        Assert.DoesNotContain(subscriber.Received, e => e.GetProperty("id").GetString() == unwanted.ToString());
        // Not subscribed is not a failure: nothing is owed, and the event counts as done.
        Assert.Equal(0L, await Scalar<long>($"SELECT count(*) FROM contribution_calculation.outbox_delivery WHERE event_id = '{unwanted}'"));
        Assert.NotNull(await Scalar<DateTime?>($"SELECT delivered_at FROM contribution_calculation.outbox WHERE event_id = '{unwanted}'"));
    }

    [Fact]
    public async Task Relay_WhileSubscriberIsCalled_HoldsNoTransactionOpen()
    {
        var subscriber = await Subscriber();
        var openTransactions = new List<long>();
        subscriber.WhileDelivering = async () =>
        {
            // Any connection of the relay's role inside a transaction while the subscriber is being called.
            var count = await Scalar<long>($"""
                SELECT count(*) FROM pg_stat_activity
                WHERE usename = 'medins_contribution_calculation' AND datname = '{_db.Name}' AND xact_start IS NOT NULL
                """);
            lock (openTransactions) openTransactions.Add(count);
        };
        var relay = Relay(o => o.ConcurrencyPerTarget = 1, ("identity-registry", subscriber.BaseAddress));
        for (var i = 0; i < 3; i++) await Publish(year: 2024 + i);

        for (var pass = 0; pass < 3; pass++) await relay.RelayBatchAsync(CancellationToken.None); // one claim per pass

        Assert.Equal(3, subscriber.Received.Count);
        Assert.Equal([0L, 0L, 0L], openTransactions);
    }

    [Fact]
    public async Task Relay_SlowAndDownSubscribers_DoNotDelayAHealthyOne()
    {
        var healthy = await Subscriber();
        var slow = await Subscriber();
        slow.Hold = new TaskCompletionSource();
        var relay = Relay(o => o.PollInterval = TimeSpan.FromMilliseconds(50),
            ("relay-test-healthy", healthy.BaseAddress), ("relay-test-slow", slow.BaseAddress), ("relay-test-down", Down()));
        for (var i = 0; i < 5; i++) await Publish(year: 2024 + i);

        await relay.StartAsync(CancellationToken.None);
        try
        {
            // The healthy subscriber gets every event while the slow one still holds its first deliveries.
            await Eventually(() => Task.FromResult(healthy.Received.Count), n => n == 5);
            Assert.Equal(5, healthy.Received.Count);
            Assert.Empty(slow.Received);
            Assert.False(slow.Hold.Task.IsCompleted);

            // Each slow and refused delivery is an attempt for its own target, and the backlog says so.
            var failed = await Eventually(() => Scalar<long>("""
                SELECT count(*) FROM contribution_calculation.outbox_delivery
                WHERE target IN ('relay-test-slow', 'relay-test-down') AND attempts >= 1 AND last_error IS NOT NULL
                """), n => n == 10);
            Assert.Equal(10L, failed);
            var backlog = await relay.MeasureBacklogAsync(CancellationToken.None);
            Assert.Equal(0L, backlog["relay-test-healthy"]);
            Assert.Equal(5L, backlog["relay-test-slow"]);
            Assert.Equal(5L, backlog["relay-test-down"]);
            Assert.Equal(5d, OutboxRelay.BacklogGauge("relay-test-down"));
            Assert.Equal(5L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox WHERE attempts >= 1 AND last_error IS NOT NULL"));
        }
        finally
        {
            slow.Hold.TrySetResult();
            await relay.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Relay_BulkSubscriber_DeliversAClaimInOneRequestPerTopic()
    {
        var subscriber = await Subscriber();
        subscriber.Bulk = true;
        subscriber.Subscribe("policy.second");
        var relay = Relay(subscribers: ("quota-tracking", subscriber));
        var first = new List<Guid>();
        for (var i = 0; i < 5; i++) first.Add(await Publish(year: 2024 + i));
        for (var i = 0; i < 3; i++) await Publish(year: 2030 + i, topic: "policy.second");

        await relay.RelayBatchAsync(CancellationToken.None);

        Assert.Equal(2, subscriber.Attempts);
        Assert.Equal(8, subscriber.Received.Count);
        // Each event keeps its own envelope inside the batch.
        Assert.Equal(first.Select(id => id.ToString()).Order(), subscriber.Received
            .Where(e => e.GetProperty("subject").GetString() == Topic).Select(e => e.GetProperty("id").GetString()!).Order());
        Assert.Equal(8L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox WHERE delivered_at IS NOT NULL"));
        Assert.Equal(8L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox_delivery WHERE delivered_at IS NOT NULL AND attempts = 1"));
    }

    [Fact]
    public async Task Relay_BulkSubscriberAnswersMixedStatuses_RecordsEachEventsOutcome()
    {
        var subscriber = await Subscriber();
        subscriber.Bulk = true;
        var relay = Relay(subscribers: ("quota-tracking", subscriber));
        var delivered = await Publish(year: 2024);
        var retried = await Publish(year: 2025);
        var dropped = await Publish(year: 2026);
        var unanswered = await Publish(year: 2027);
        subscriber.BulkAnswer = id => id == retried.ToString() ? "RETRY" : id == dropped.ToString() ? "DROP" : id == unanswered.ToString() ? null : "SUCCESS";
        string Delivery(Guid id) => $"FROM contribution_calculation.outbox_delivery WHERE event_id = '{id}' AND target = 'quota-tracking'";

        await relay.RelayBatchAsync(CancellationToken.None);

        Assert.Equal(1, subscriber.Attempts);
        Assert.NotNull(await Scalar<DateTime?>($"SELECT delivered_at FROM contribution_calculation.outbox WHERE event_id = '{delivered}'"));
        Assert.Equal((1, "quota-tracking asked to retry"), (await Scalar<int>($"SELECT attempts {Delivery(retried)}"),
            await Scalar<string>($"SELECT last_error {Delivery(retried)}")));
        Assert.True(await Scalar<DateTime>($"SELECT next_attempt_at {Delivery(retried)}") > _time.GetUtcNow().UtcDateTime);
        Assert.Contains("no status", await Scalar<string>($"SELECT last_error {Delivery(unanswered)}"));
        Assert.Equal(1, await Scalar<int>($"SELECT attempts FROM contribution_calculation.dead_letter WHERE event_id = '{dropped}' AND target = 'quota-tracking'"));
        Assert.NotNull(await Scalar<DateTime?>($"SELECT dead_lettered_at FROM contribution_calculation.outbox WHERE event_id = '{dropped}'"));
        Assert.Equal(2L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL"));

        // The two left over go again, together, after their backoff.
        subscriber.BulkAnswer = null;
        _time.Advance(TimeSpan.FromSeconds(5));
        await relay.RelayBatchAsync(CancellationToken.None);

        Assert.Equal(2, subscriber.Attempts);
        Assert.Equal(new[] { delivered, retried, unanswered }.Select(id => id.ToString()).Order(),
            subscriber.Received.Select(e => e.GetProperty("id").GetString()!).Order());
        Assert.Equal(2, await Scalar<int>($"SELECT attempts {Delivery(retried)}"));
        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL"));
    }

    [Fact]
    public async Task Relay_BulkSubscriberKeepsFailing_EachEventDeadLettersAfterMaxAttempts()
    {
        var subscriber = await Subscriber(failFirst: int.MaxValue);
        subscriber.Bulk = true;
        var relay = Relay(maxAttempts: 2, ("notification", subscriber));
        await Publish(year: 2024);
        await Publish(year: 2025);

        for (var pass = 0; pass < 4; pass++)
        {
            await relay.RelayBatchAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(2, subscriber.Attempts);
        Assert.Equal(2L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.dead_letter WHERE target = 'notification' AND attempts = 2"));
        Assert.Equal(2L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox WHERE dead_lettered_at IS NOT NULL AND attempts = 2"));
    }

    [Fact]
    public async Task DeadLetters_Replay_RedeliversOnceAndIsAudited()
    {
        var subscriber = await Subscriber(failFirst: 2);
        var relay = Relay(maxAttempts: 2, ("notification", subscriber));
        var eventId = await Publish();
        for (var pass = 0; pass < 3; pass++)
        {
            await relay.RelayBatchAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        var deadLetters = new DeadLetters(_platform, _time);
        Assert.Single(await deadLetters.ListAsync(includeReplayed: false, CancellationToken.None));

        var replayed = await deadLetters.ReplayAsync(eventId, target: null, "ops.lin", "notification fixed", CancellationToken.None);
        for (var pass = 0; pass < 3; pass++)
        {
            await relay.RelayBatchAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        var again = await deadLetters.ReplayAsync(eventId, target: null, "ops.lin", "twice", CancellationToken.None);

        Assert.Equal("notification", Assert.Single(replayed).Target);
        Assert.Empty(again);
        Assert.Equal(eventId.ToString(), Assert.Single(subscriber.Received).GetProperty("id").GetString());
        Assert.Empty(await deadLetters.ListAsync(includeReplayed: false, CancellationToken.None));
        Assert.NotNull(await Scalar<DateTime?>($"SELECT delivered_at FROM contribution_calculation.outbox WHERE event_id = '{eventId}'"));
        Assert.Equal("ops.lin|notification fixed|notification", await Scalar<string>(
            $"SELECT replayed_by || '|' || reason || '|' || target FROM contribution_calculation.dead_letter_replay WHERE event_id = '{eventId}'"));
    }

    [Fact]
    public async Task RelayStatements_OutboxOfFortyThousandDeliveries_ReadThroughIndexesOnly()
    {
        // 20,000 delivered events with two deliveries each, then three due: enough rows that a missing index shows.
        await using (var seed = _db.Owner.CreateCommand("""
            INSERT INTO contribution_calculation.outbox (tenant_id, event_id, topic, event_type, payload, created_at, next_attempt_at,
              fanned_out_at, delivered_at)
            SELECT 'cq-lidu', gen_random_uuid(), 'policy.published', 't', '{}', t, t, t, t
            FROM generate_series(1, 20000) AS i, LATERAL (SELECT timestamptz '2023-11-01' + i * interval '1 minute' AS t) AS at;
            INSERT INTO contribution_calculation.outbox_delivery (tenant_id, event_id, target, topic, attempts, next_attempt_at, delivered_at)
            SELECT tenant_id, event_id, t.target, topic, 1, created_at, delivered_at
            FROM contribution_calculation.outbox CROSS JOIN unnest(ARRAY['identity-registry', 'notification']) AS t(target);
            ANALYZE contribution_calculation.outbox;
            ANALYZE contribution_calculation.outbox_delivery;
            ANALYZE contribution_calculation.dead_letter;
            """))
            await seed.ExecuteNonQueryAsync();
        var ids = new[] { await Publish(), await Publish(), await Publish() };
        var tenants = ids.Select(_ => "cq-lidu").ToArray();
        var now = _time.GetUtcNow();
        var targets = new[] { "identity-registry", "notification" };
        object[] outcome = ["notification", tenants, ids, new[] { "delivered", "retry", "dead" }, new[] { 1, 1, 1 },
            new DateTimeOffset?[] { null, now.AddSeconds(1), null }, new string?[] { null, "failed", "failed" }, now];

        var plans = new Dictionary<string, string>
        {
            ["fan-out"] = await Plan(OutboxRelay.FanOutSql, targets, now, 50),
            ["claim"] = await Plan(OutboxRelay.ClaimSql, "notification", now, now.AddSeconds(20), 50),
            ["lock"] = await Plan(OutboxRelay.LockSql, tenants, ids),
            ["record"] = await Plan(OutboxRelay.RecordSql, outcome),
            ["forget"] = await Plan(OutboxRelay.ForgetSql, outcome[..7]),
            ["dead letters"] = await Plan(OutboxRelay.DeadLetterSql, outcome),
            ["summary"] = await Plan(OutboxRelay.SummarySql, tenants, ids, now),
            ["backlog"] = await Plan(OutboxRelay.BacklogSql, [targets]),
        };

        foreach (var (statement, plan) in plans)
            Assert.False(plan.Contains("Seq Scan", StringComparison.Ordinal), $"{statement} reads a table sequentially:\n{plan}");
    }

    [Fact]
    public async Task RelayStatements_PreparedWhileQueueEmptyThenTwentyThousandBackedUp_NoSequentialScan()
    {
        // The services' own data source (statements prepared) on one connection, so one backend runs every statement
        // and its table statistics can be flushed and read.
        await using var prepared = PlatformHostingExtensions.BuildDataSource(
            _db.ConnectionStringFor("contribution-calculation") + ";Maximum Pool Size=1", "relay-plans");
        _platform = new PlatformDatabase(prepared, _time);
        var wanted = await Subscriber();
        var unwanted = await TestSubscriber.StartAsync("another.topic", 0);
        _subscribers.Add(unwanted);
        var relay = Relay(subscribers: [("notification", wanted), ("quota-tracking", unwanted)]);
        await Owner("ANALYZE contribution_calculation.outbox; ANALYZE contribution_calculation.outbox_delivery;");
        // Each relay statement runs more than five times against the empty queue: the point where PostgreSQL would
        // switch a prepared statement to a generic plan made for an empty table.
        for (var round = 0; round < 8; round++)
        {
            await Publish();
            _time.Advance(TimeSpan.FromSeconds(2));
            await relay.RelayBatchAsync(CancellationToken.None);
            await relay.RelayBatchAsync(CancellationToken.None);
        }
        // A peak's backlog: 20,000 events owed to both targets, due later, so only the new events below are claimed.
        await Owner("""
            INSERT INTO contribution_calculation.outbox (tenant_id, event_id, topic, event_type, payload, created_at, next_attempt_at,
              fanned_out_at)
            SELECT 'cq-lidu', gen_random_uuid(), 'policy.published', 't', '{}', now(), now(), now() FROM generate_series(1, 20000);
            INSERT INTO contribution_calculation.outbox_delivery (tenant_id, event_id, target, topic, next_attempt_at)
            SELECT tenant_id, event_id, t.target, topic, timestamptz '2030-01-01'
            FROM contribution_calculation.outbox CROSS JOIN unnest(ARRAY['notification', 'quota-tracking']) AS t(target)
            WHERE delivered_at IS NULL;
            """);
        var before = await SequentialScansSeenBy(prepared);

        for (var round = 0; round < 3; round++)
        {
            await Publish();
            _time.Advance(TimeSpan.FromSeconds(2));
            await relay.RelayBatchAsync(CancellationToken.None);
            await relay.RelayBatchAsync(CancellationToken.None);
        }
        var after = await SequentialScansSeenBy(prepared);

        Assert.Equal(11, wanted.Received.Count);
        Assert.Equal(0L, await Scalar<long>("""
            SELECT count(*) FROM contribution_calculation.outbox_delivery WHERE target = 'quota-tracking' AND next_attempt_at < '2030-01-01'
            """));
        Assert.True(before.Outbox == after.Outbox && before.Deliveries == after.Deliveries,
            $"sequential scans on outbox {before.Outbox} → {after.Outbox}, outbox_delivery {before.Deliveries} → {after.Deliveries}");
    }

    /// <summary>Sequential scans of the queue tables, after the one pooled backend flushed its statistics.</summary>
    private static async Task<(long Outbox, long Deliveries)> SequentialScansSeenBy(NpgsqlDataSource source)
    {
        await using var conn = await source.OpenConnectionAsync();
        await using (var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", conn)) await flush.ExecuteNonQueryAsync();
        await using var read = new NpgsqlCommand("""
            SELECT pg_stat_clear_snapshot(),
                   (SELECT seq_scan FROM pg_stat_user_tables WHERE schemaname = 'contribution_calculation' AND relname = 'outbox'),
                   (SELECT seq_scan FROM pg_stat_user_tables WHERE schemaname = 'contribution_calculation' AND relname = 'outbox_delivery')
            """, conn);
        await using var reader = await read.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Runs the owner's statements; their own scans are flushed to the statistics before it returns.</summary>
    private async Task Owner(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql + ";\nSELECT pg_stat_force_next_flush();");
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The statement's plan as the relay's role sees it (row-level security on), for these parameters.</summary>
    private Task<string> Plan(string sql, params object?[] args) =>
        _platform.InSystemScopeAsync(async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand("EXPLAIN " + sql, conn, tx);
            foreach (var arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
            var lines = new List<string>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
            return string.Join("\n", lines);
        }, CancellationToken.None);

    [Fact]
    public async Task Outbox_TransactionRolledBack_LeavesNoEvent()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _platform.InTenantAsync<int>("cq-lidu", async (conn, tx) =>
        {
            await new Outbox(_time, new OutboxSignal()).AddAsync(conn, tx, "cq-lidu", Topic, new PolicyPublished(), CancellationToken.None);
            throw new InvalidOperationException("the state change failed");
        }, CancellationToken.None));

        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox"));
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90); // generous: a loaded CI machine, not a speed claim
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(50);
        }
    }

    private async Task<T> Scalar<T>(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }
}
