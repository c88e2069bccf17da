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

    private OutboxRelay Relay(int maxAttempts = 12, params (string AppId, TestSubscriber Subscriber)[] subscribers)
    {
        var options = Options.Create(new EventOptions
        {
            MaxAttempts = maxAttempts,
            Subscribers = subscribers.ToDictionary(s => s.AppId, s => s.Subscriber.BaseAddress),
        });
        var transport = new LocalEventTransport(new HttpClient(), options, NullLogger<LocalEventTransport>.Instance);
        return new OutboxRelay(_platform, transport, new OutboxSignal(), _time, options,
            new PlatformServiceInfo("contribution-calculation", "contribution_calculation", []), NullLogger<OutboxRelay>.Instance);
    }

    private Task<Guid> Publish(string tenant = "cq-lidu", int year = 2024) =>
        _platform.InTenantAsync(tenant, (conn, tx) => new Outbox(_time, new OutboxSignal()).AddAsync(conn, tx, tenant, Topic,
            new PolicyPublished { TenantId = tenant, PolicyId = "p", CoverageYear = year, Version = 1 }, CancellationToken.None),
            CancellationToken.None);

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
    public async Task Outbox_TransactionRolledBack_LeavesNoEvent()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _platform.InTenantAsync<int>("cq-lidu", async (conn, tx) =>
        {
            await new Outbox(_time, new OutboxSignal()).AddAsync(conn, tx, "cq-lidu", Topic, new PolicyPublished(), CancellationToken.None);
            throw new InvalidOperationException("the state change failed");
        }, CancellationToken.None));

        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.outbox"));
    }

    private async Task<T> Scalar<T>(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }
}
