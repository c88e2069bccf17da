using Grpc.Core;
using Grpc.Core.Interceptors;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Grpc;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

/// <summary>No remote call while a database transaction is open: the outgoing interceptor refuses it.</summary>
public sealed class RemoteCallGuardTests : IAsyncLifetime
{
    private static readonly Method<string, string> GetResident = new(MethodType.Unary, "medins.identity.v1.IdentityRegistryService",
        "GetResident", Marshallers.StringMarshaller, Marshallers.StringMarshaller);

    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;
    private PlatformDatabase _platform = null!;
    private readonly ServiceAssertionInterceptor _interceptor;
    private int _started;

    public RemoteCallGuardTests()
    {
        var (signingKey, _) = AssertionCodec.GenerateKeyPair();
        var codec = new AssertionCodec(new AuthOptions { SigningKey = signingKey, SigningKeyId = "pc-1" }, TimeProvider.System);
        _interceptor = new ServiceAssertionInterceptor("identity-registry", new HttpContextAccessor(), codec,
            new PlatformServiceInfo("payment-collection", "payment_collection", []));
    }

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

    /// <summary>Starts a unary call through the interceptor; returns the headers the call would have carried.</summary>
    private Metadata Call()
    {
        Metadata? sent = null;
        _interceptor.AsyncUnaryCall("r-1", new ClientInterceptorContext<string, string>(GetResident, null, new CallOptions()),
            (request, context) =>
            {
                Interlocked.Increment(ref _started);
                sent = context.Options.Headers;
                return new AsyncUnaryCall<string>(Task.FromResult("ok"), Task.FromResult(new Metadata()),
                    () => Status.DefaultSuccess, () => [], () => { });
            });
        return sent!;
    }

    [Fact]
    public async Task ServiceCall_InsideTransaction_ThrowsNamingTheMethodAndNeverStarts()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _platform.InTenantAsync("cq-lidu", (_, _) => Task.FromResult(Call()), CancellationToken.None));

        Assert.Contains("/medins.identity.v1.IdentityRegistryService/GetResident", ex.Message);
        Assert.Equal(0, _started);
    }

    [Fact]
    public async Task ServiceCall_InsideAwaitedWorkOfTransaction_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _platform.InTenantAsync("cq-lidu", async (conn, tx) =>
        {
            await using (var cmd = new NpgsqlCommand("SELECT 1", conn, tx)) await cmd.ExecuteScalarAsync();
            await Task.Yield();
            return Call();
        }, CancellationToken.None));

        Assert.Equal(0, _started);
    }

    [Fact]
    public async Task ServiceCall_BeforeAndAfterTransaction_StartsWithServiceAssertion()
    {
        var before = Call();
        await _platform.InTenantAsync("cq-lidu", (_, _) => Task.FromResult(RemoteCallGuard.TransactionOpen), CancellationToken.None);
        var after = Call();

        Assert.Equal(2, _started);
        Assert.False(RemoteCallGuard.TransactionOpen);
        Assert.NotNull(before.GetValue(AssertionHeaders.Service));
        Assert.NotNull(after.GetValue(AssertionHeaders.Service));
    }

    [Fact]
    public async Task TransactionOpen_InsideWorkOnly_True()
    {
        var inside = await _platform.InTenantAsync("cq-lidu", (_, _) => Task.FromResult(RemoteCallGuard.TransactionOpen),
            CancellationToken.None);

        Assert.True(inside);
        Assert.False(RemoteCallGuard.TransactionOpen);
    }
}
