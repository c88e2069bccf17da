using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Platform.Testing;

/// <summary>
/// One service, in process, on its real database (its own non-owner role, row-level security on), reached
/// through real gRPC calls that carry a caller assertion as the gateway mints it. The host gets its test keys
/// (<see cref="TestAuth.Settings"/>); settings override appsettings; <paramref name="services"/> can replace the TimeProvider.
/// </summary>
public sealed class ServiceHost<TProgram>(TestDatabase database, string appId,
    IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<TProgram> where TProgram : class
{
    private AssertionCodec? _gateway;

    public string AppId => appId;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Platform", database.ConnectionStringFor(appId));
        // In-process tests drive the outbox relay themselves when they need it.
        builder.UseSetting("Events:RelayEnabled", "false");
        builder.UseSetting("Retention:Enabled", "false");
        foreach (var (key, value) in TestAuth.Settings(appId)) builder.UseSetting(key, value);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureServices(services);
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        // CloudEventPoster signs deliveries for the host a client reaches.
        HostClients.Register(client, new HostClients.Host(appId, () => AssertionClock));
    }

    /// <summary>The gateway's signer, on this host's clock (the clock its assertions are checked against).</summary>
    private AssertionCodec Gateway => _gateway ??= TestAuth.Codec(TestAuth.Gateway, AssertionClock);

    /// <summary>The clock the host checks assertions against: its TimeProvider, or real time under a demo clock shift.</summary>
    public TimeProvider AssertionClock => Services.GetRequiredService<TimeProvider>() is var time and not ShiftedTimeProvider
        ? time : TimeProvider.System;

    /// <summary>A caller assertion for this host, minted now on its clock; all four roles unless <paramref name="roles"/> says fewer.</summary>
    public string CallerToken(string? tenantId, bool cityScope = false, string client = "test-client", IReadOnlyList<string>? roles = null) =>
        Gateway.Issue(TestAuth.Gateway, client, appId, tenantId, cityScope ? Scopes.City : Scopes.Tenant, roles ?? Roles.All);

    /// <summary>A gRPC channel to this host; each call carries a fresh caller assertion, as through the gateway.</summary>
    public CallInvoker Channel(string? tenantId, bool cityScope = false, string client = "test-client", IReadOnlyList<string>? roles = null)
    {
        var channel = GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
        return channel.Intercept(metadata =>
        {
            metadata.Add(AssertionHeaders.Caller, CallerToken(tenantId, cityScope, client, roles));
            return metadata;
        });
    }

    /// <summary>A gRPC channel with no assertion at all: what reaches a service port directly.</summary>
    public CallInvoker AnonymousChannel() =>
        GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() }).CreateCallInvoker();

    /// <summary>An HttpClient for the JSON API; each request carries a fresh caller assertion.</summary>
    public HttpClient JsonClient(string? tenantId, bool cityScope = false, string client = "test-client", IReadOnlyList<string>? roles = null)
    {
        var http = CreateDefaultClient(new CallerAssertionHandler(() => CallerToken(tenantId, cityScope, client, roles)));
        return http;
    }

    private sealed class CallerAssertionHandler(Func<string> token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove(AssertionHeaders.Caller);
            request.Headers.Add(AssertionHeaders.Caller, token());
            return base.SendAsync(request, cancellationToken);
        }
    }
}
