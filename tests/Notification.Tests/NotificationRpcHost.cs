using Grpc.Core;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests;

/// <summary>The notification service on a fresh demo-city database, at a fixed time, for the administrative RPCs' tests.</summary>
public abstract class NotificationRpcHost : IAsyncLifetime
{
    protected const string TenantA = "test-town-a";
    protected const string TenantB = "test-town-b";

    // 10:00 in Beijing.
    protected static readonly DateTimeOffset Now = new(2024, 3, 4, 2, 0, 0, TimeSpan.Zero);
    protected FakeTimeProvider Time { get; } = new(Now);
    protected TestDatabase Db { get; private set; } = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        Db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(Db, "notification", services: s => s.AddSingleton<TimeProvider>(Time));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await Db.DisposeAsync();
    }

    /// <summary>The host, for calls with other assertions than a test tenant's (or none).</summary>
    protected ServiceHost<Program> Host => _host;

    protected NotificationService.NotificationServiceClient Client(string tenant, string client = "test-client") =>
        new(_host.Channel(tenant, client: client));

    /// <summary>Asserts the call was refused with this status and reason, and returns its field violations.</summary>
    protected static async Task<IReadOnlyList<Google.Rpc.BadRequest.Types.FieldViolation>> RefusedAsync(StatusCode code, string reason,
        Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(reason, RpcErrors.ReasonOf(ex));
        return ex.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.ToList() ?? [];
    }
}
