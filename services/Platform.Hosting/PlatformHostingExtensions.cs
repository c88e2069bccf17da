using System.Net;
using System.Reflection;
using Dapr;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Grpc;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Hosting.Pipeline;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Prometheus;

namespace Medins.Platform.Hosting;

public static class PlatformHostingExtensions
{
    /// <summary>
    /// Framework chatter stays at Warning (HttpClient's handlers alone wrote ~18 KB per payment at Information);
    /// <see cref="RequestLoggingMiddleware"/> writes the one line per request. Lowest-priority defaults:
    /// appsettings.json or environment (Logging__LogLevel__&lt;category&gt;) override any of them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> DefaultLogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System.Net.Http"] = "Warning",
        ["Logging:LogLevel:Grpc"] = "Warning",
        ["Logging:LogLevel:Yarp"] = "Warning",
    };

    /// <summary>
    /// What every process shares, the gateway included: two Kestrel endpoints (gRPC over h2c on Platform:GrpcPort,
    /// HTTP/1.1 on Platform:HttpPort) and, when Platform:MetricsPort is set, a third that serves only /metrics,
    /// /healthz and /readyz; all on Platform:ListenAddress (loopback unless configured, e.g. 0.0.0.0 in a pod).
    /// Also JSON logs, graceful shutdown, and a liveness check.
    /// </summary>
    public static WebApplicationBuilder AddPlatformObservability(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        ((IConfigurationBuilder)config).Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLogLevels });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = ListenAddress(config);
            // Cleartext HTTP/2 cannot share a port with HTTP/1.1 (no ALPN), so gRPC and HTTP get a port each.
            if (config.GetValue<int?>("Platform:GrpcPort") is { } grpcPort)
                kestrel.Listen(address, grpcPort, o => o.Protocols = HttpProtocols.Http2);
            if (config.GetValue<int?>("Platform:HttpPort") is { } httpPort)
                kestrel.Listen(address, httpPort, o => o.Protocols = HttpProtocols.Http1);
            if (config.GetValue<int?>("Platform:MetricsPort") is { } metricsPort)
                kestrel.Listen(address, metricsPort, o => o.Protocols = HttpProtocols.Http1);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            // Scopes repeated ~1 KB of connection and request ids on every line; the request line carries the trace id.
            o.IncludeScopes = false;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        builder.Services.AddHealthChecks().AddCheck("alive", () => HealthCheckResult.Healthy(), tags: ["live"]);
        return builder;
    }

    private static IPAddress ListenAddress(IConfiguration config)
    {
        var text = config["Platform:ListenAddress"];
        if (string.IsNullOrWhiteSpace(text)) return IPAddress.Loopback;
        return IPAddress.TryParse(text.Trim(), out var address) ? address
            : throw new InvalidOperationException($"Platform:ListenAddress '{text}' is not an IP address (e.g. 127.0.0.1 or 0.0.0.0).");
    }

    /// <summary>
    /// Maps /healthz (alive), /readyz (every check tagged ready) and /metrics, with HTTP metrics. With
    /// Platform:MetricsPort set, that port answers those three paths only, and /metrics is served nowhere else:
    /// a scraper allowed to reach it reaches no API.
    /// </summary>
    public static WebApplication MapPlatformObservability(this WebApplication app)
    {
        if (app.Configuration.GetValue<int?>("Platform:MetricsPort") is { } metricsPort)
        {
            app.Use((context, next) =>
            {
                var path = context.Request.Path;
                var onMetricsPort = context.Connection.LocalPort == metricsPort;
                var allowed = onMetricsPort
                    ? path.Equals("/metrics") || path.Equals("/healthz") || path.Equals("/readyz")
                    : !path.StartsWithSegments("/metrics");
                if (allowed) return next(context);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }
        app.UseHttpMetrics();
        app.MapMetrics("/metrics").AllowAnonymousCaller();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") }).AllowAnonymousCaller();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymousCaller();
        return app;
    }

    /// <summary>
    /// The service's data source. Statements are prepared once per connection and reused (the hot path repeats a few
    /// dozen statements, so parsing and planning them each time was a large share of PostgreSQL's CPU), and a pooled
    /// connection is not reset on return: every setting the platform makes is transaction-local
    /// (<c>set_config(…, true)</c>, <c>SET LOCAL</c>), so the reset only cost a statement per transaction.
    /// Either can still be set in the connection string.
    /// </summary>
    public static NpgsqlDataSource BuildDataSource(string connectionString, string name)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = name };
        // NpgsqlConnectionStringBuilder.ContainsKey answers whether a keyword exists, not whether it was given.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>().Select(key => key.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("MaxAutoPrepare")) builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        if (!given.Contains("NoResetOnClose")) builder.ConnectionStringBuilder.NoResetOnClose = true;
        return builder.Build();
    }

    /// <summary>
    /// Everything a platform service shares: observability, gRPC with JSON transcoding, reflection and
    /// health, the tenant context, the data source, idempotent requests and the outbox relay.
    /// </summary>
    public static WebApplicationBuilder AddPlatformDefaults(this WebApplicationBuilder builder, string serviceName,
        string schema, Assembly migrationsAssembly)
    {
        var service = new PlatformServiceInfo(serviceName, schema, Migration.ForService(migrationsAssembly));
        builder.Services.AddSingleton(service);

        builder.AddPlatformObservability();

        builder.Services.TryAddSingleton(sp => ShiftedTimeProvider.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        builder.Services.TryAddSingleton(sp =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString("Platform")
                ?? throw new InvalidOperationException("ConnectionStrings:Platform is not configured.");
            return BuildDataSource(connectionString, serviceName);
        });
        builder.Services.AddSingleton<PlatformDatabase>();
        builder.Services.AddSingleton<RequestLog>();
        builder.Services.AddScoped<TenantContext>();
        builder.AddPlatformAuth();

        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<RequestLoggingInterceptor>();
            o.Interceptors.Add<GrpcMetricsInterceptor>();
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.Interceptors.Add<RoleAuthorizationInterceptor>();
            o.Interceptors.Add<RequestShapeInterceptor>();
        }).AddJsonTranscoding(o =>
            // Error details must be printable in JSON too, or a refused JSON request would fail to serialise.
            o.TypeRegistry = TypeRegistry.FromMessages(ErrorInfo.Descriptor, BadRequest.Descriptor,
                PreconditionFailure.Descriptor, ResourceInfo.Descriptor, RetryInfo.Descriptor, DebugInfo.Descriptor,
                LocalizedMessage.Descriptor));
        builder.Services.AddGrpcDecodeGuard();
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);

        builder.Services.Configure<EventOptions>(builder.Configuration.GetSection("Events"));
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<Outbox>();
        builder.Services.AddDaprClient();
        // The relay bounds each delivery itself (Events:DeliveryTimeout), and counts a timeout as a failed attempt.
        builder.Services.AddHttpClient<LocalEventTransport>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<IEventTransport>(sp =>
            sp.GetRequiredService<IOptions<EventOptions>>().Value.Transport.Equals("dapr", StringComparison.OrdinalIgnoreCase)
                ? ActivatorUtilities.CreateInstance<DaprEventTransport>(sp)
                : sp.GetRequiredService<LocalEventTransport>());
        builder.Services.AddSingleton<OutboxRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        builder.Services.AddSingleton<DeadLetters>();
        builder.Services.Configure<RetentionOptions>(builder.Configuration.GetSection("Retention"));
        builder.Services.AddHostedService<RetentionPruner>();
        return builder;
    }

    /// <summary>
    /// The Auth section, the assertion codec and the caller authentication. Assertions live minutes, so they are
    /// timed by the real clock even when a demo shifts the platform's business clock (<see cref="ShiftedTimeProvider"/>).
    /// </summary>
    private static void AddPlatformAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section));
        builder.Services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            return new AssertionCodec(sp.GetRequiredService<IOptions<AuthOptions>>().Value,
                time is ShiftedTimeProvider ? TimeProvider.System : time);
        });
        builder.Services.AddSingleton<CallerAuthenticator>();
        builder.Services.AddSingleton<EventDeliveryAuthenticator>();
        builder.Services.AddSingleton<EventDeliverySigner>();
        builder.Services.AddSingleton(_ => RpcRoleMap.FromContracts());
    }

    /// <summary>
    /// Maps the shared endpoints: /healthz, /readyz, /metrics, gRPC health and reflection, Dapr subscriptions; and
    /// authenticates every other request before anything reads it (<see cref="CallerAuthenticationMiddleware"/>).
    /// </summary>
    public static WebApplication MapPlatformEndpoints(this WebApplication app)
    {
        // Misconfigured keys stop the service here, not at its first request.
        app.Services.GetRequiredService<CallerAuthenticator>();
        app.Services.GetRequiredService<EventDeliveryAuthenticator>();
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.MapPlatformObservability();
        app.UseMiddleware<CallerAuthenticationMiddleware>();
        app.UseMiddleware<ReadableJsonMiddleware>();
        app.UseMiddleware<JsonRequestCheckMiddleware>();
        // Subscribers receive the CloudEvent's data as the body, and its id and tenant as Cloudevent.* headers.
        app.UseCloudEvents(new CloudEventsMiddlewareOptions { ForwardCloudEventPropertiesAsHeaders = true });
        app.MapSubscribeHandler().AllowAnonymousCaller();
        app.MapGrpcHealthChecksService().AllowAnonymousCaller();
        app.MapGrpcReflectionService();
        return app;
    }
}
