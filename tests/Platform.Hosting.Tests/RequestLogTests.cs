using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

public sealed class RequestLogTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;
    private PlatformDatabase _platform = null!;
    private readonly RequestLog _log = new(TimeProvider.System);
    private int _executions;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync(demoCity: false);
        _source = _db.DataSourceFor("payment-collection");
        _platform = new PlatformDatabase(_source, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    private Task<StringValue> Call(string requestId, string content) =>
        _platform.InTenantAsync("cq-lidu", (conn, tx) => _log.RunOnceAsync(conn, tx, "cq-lidu", "Test", requestId,
            new StringValue { Value = content }, StringValue.Parser, async () =>
            {
                Interlocked.Increment(ref _executions);
                await Task.Delay(50);
                return new StringValue { Value = Guid.NewGuid().ToString() };
            }, CancellationToken.None), CancellationToken.None);

    [Fact]
    public async Task RunOnce_Replay_ReturnsFirstAnswerWithoutRunningAgain()
    {
        var first = await Call("r-1", "pay 380");
        var replay = await Call("r-1", "pay 380");

        Assert.Equal(first.Value, replay.Value);
        Assert.Equal(1, _executions);
    }

    [Fact]
    public async Task RunOnce_ReplayWithOtherContent_FailedPreconditionRequestIdReused()
    {
        await Call("r-2", "pay 380");

        var ex = await Refusals.ThrowsAsync(() => Call("r-2", "pay 755"));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RunOnce_ConcurrentCallsWithOneRequestId_RunWorkOnceAndAgree()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Call("r-3", "pay 380")));

        Assert.Single(answers.Select(a => a.Value).Distinct());
        Assert.Equal(1, _executions);
    }

    private Task<StringValue?> PreCheck(string requestId, string content) =>
        _log.TryGetAnswerAsync(_platform, "cq-lidu", "Test", requestId, new StringValue { Value = content }, StringValue.Parser,
            CancellationToken.None);

    [Fact]
    public async Task TryGetAnswer_BeforeAndAfterFirstCall_NullThenTheStoredAnswer()
    {
        var before = await PreCheck("r-4", "pay 380");
        var first = await Call("r-4", "pay 380");
        var after = await PreCheck("r-4", "pay 380");

        Assert.Null(before);
        Assert.Equal(first.Value, after!.Value);
        Assert.Equal(1, _executions);
    }

    [Fact]
    public async Task TryGetAnswer_OtherContent_FailedPreconditionRequestIdReused()
    {
        await Call("r-5", "pay 380");

        var ex = await Refusals.ThrowsAsync(() => PreCheck("r-5", "pay 755"));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task TryGetAnswer_OtherTenantsAnswer_NotSeen()
    {
        await Call("r-6", "pay 380");

        var other = await _log.TryGetAnswerAsync(_platform, "cq-gaoyang", "Test", "r-6", new StringValue { Value = "pay 380" },
            StringValue.Parser, CancellationToken.None);

        Assert.Null(other);
    }
}
