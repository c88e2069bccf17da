using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Medins.Platform.Testing;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// The whole platform as real processes: five services and the gateway, each started from the solution's build
/// output with `dotnet`, on free loopback ports, against a fresh database holding the demo city, with the local
/// event transport delivering CloudEvents between them.
/// </summary>
public sealed class RunningPlatform : IAsyncLifetime
{
    public static readonly string[] ServiceIds =
        ["identity-registry", "contribution-calculation", "payment-collection", "quota-tracking", "notification"];

    private static readonly Dictionary<string, string> Folders = new()
    {
        ["identity-registry"] = "services/IdentityRegistry/IdentityRegistry",
        ["contribution-calculation"] = "services/ContributionCalculation/ContributionCalculation",
        ["payment-collection"] = "services/PaymentCollection/PaymentCollection",
        ["quota-tracking"] = "services/QuotaTracking/QuotaTracking",
        ["notification"] = "services/Notification/Notification",
        ["gateway"] = "gateway/Gateway/Gateway",
    };

    public static readonly DateTimeOffset CampaignDay = new(2023, 11, 20, 9, 0, 0, TimeSpan.FromHours(8));

    private readonly Dictionary<string, PlatformProcess> _processes = [];
    public TestDatabase Database { get; private set; } = null!;

    /// <summary>Runs on the fresh database before any process starts (a fixture's bulk data).</summary>
    public Func<TestDatabase, Task>? Seed { get; init; }

    /// <summary>Where every process's clock starts: the campaign day unless a test needs another part of the year.</summary>
    public DateTimeOffset ClockStart { get; init; } = CampaignDay;

    public PlatformProcess this[string appId] => _processes[appId];
    public PlatformProcess Gateway => _processes["gateway"];

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        if (Seed is not null) await Seed(Database);
        var (root, configuration) = LocateBuild();
        // Ports come from PostgresCluster.FreePort (TestPorts): reserved machine-wide for this test process and
        // outside the kernel's ephemeral range, so a parallel test assembly cannot take one before the child binds
        // it. A program outside the tests still could: a start that fails on "address already in use" is retried
        // with fresh ports for every process, as each one is configured with the others' addresses.
        for (var attempt = 1; ; attempt++)
        {
            CreateProcesses(root, configuration);
            foreach (var process in _processes.Values) process.Start();
            try
            {
                await Task.WhenAll(_processes.Values.Select(p => p.WaitReadyAsync(TimeSpan.FromSeconds(90))));
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && _processes.Values.Any(p => p.Output.Contains("address already in use")))
            {
                foreach (var process in _processes.Values) await process.DisposeAsync();
                _processes.Clear();
            }
        }
    }

    private void CreateProcesses(string root, string configuration)
    {
        var ports = Folders.Keys.ToDictionary(id => id,
            _ => (Grpc: PostgresCluster.FreePort(), Http: PostgresCluster.FreePort(), Metrics: PostgresCluster.FreePort()));

        var shared = new Dictionary<string, string>
        {
            // The seeds' campaign: every process's clock starts on the same day of the 2024 concentrated period.
            ["Platform__Clock__Start"] = ClockStart.ToString("O"),
            ["Platform__Clock__Anchor"] = DateTimeOffset.UtcNow.ToString("O"),
            ["Events__PollInterval"] = "00:00:00.100",
            ["Events__MaxBackoff"] = "00:00:02",
            // 12 attempts at a 2 s cap dead-letter after ~20 s down; a killed subscriber's restart on a loaded
            // machine takes longer, and its events must still arrive.
            ["Events__MaxAttempts"] = "100",
        };
        foreach (var id in ServiceIds)
        {
            shared[$"Events__Subscribers__{id}"] = $"http://127.0.0.1:{ports[id].Http}";
            shared[$"Services__{id}__Grpc"] = $"http://127.0.0.1:{ports[id].Grpc}";
            shared[$"Services__{id}__Http"] = $"http://127.0.0.1:{ports[id].Http}";
        }

        foreach (var (id, folder) in Folders)
        {
            var assembly = Path.Combine(root, Path.GetDirectoryName(folder)!, "bin", configuration, "net10.0", Path.GetFileName(folder) + ".dll");
            if (!File.Exists(assembly))
                throw new InvalidOperationException($"{assembly} is missing: build the solution ({configuration}) first, as `./platform test` does.");
            var environment = new Dictionary<string, string>(shared);
            // Each process signs with its own key (the gateway as issuer `gateway`) and trusts every other's.
            foreach (var (key, value) in TestAuth.Environment(id)) environment[key] = value;
            if (id != "gateway") environment["ConnectionStrings__Platform"] = Database.ConnectionStringFor(id);
            _processes[id] = new PlatformProcess(id, assembly, ports[id].Grpc, ports[id].Http, environment, ports[id].Metrics);
        }
    }

    /// <summary>
    /// As a county system does, calls retry UNAVAILABLE ("retry later with the same request"; every mutating call
    /// carries its request id or channel transaction id, so a retry returns the first answer): on a loaded test
    /// machine a service's first call can outlast an upstream's 10 s timeout.
    /// </summary>
    private static readonly ServiceConfig RetryUnavailable = new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 4,
                    InitialBackoff = TimeSpan.FromSeconds(1),
                    MaxBackoff = TimeSpan.FromSeconds(5),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };

    /// <summary>A gRPC channel to the gateway presenting an API key, as a county system would.</summary>
    public CallInvoker GatewayChannel(string apiKey)
    {
        var channel = GrpcChannel.ForAddress(Gateway.GrpcAddress, new GrpcChannelOptions { ServiceConfig = RetryUnavailable });
        return channel.Intercept(metadata =>
        {
            metadata.Add("x-api-key", apiKey);
            return metadata;
        });
    }

    public async Task RestartAsync(string appId, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var process = _processes[appId];
        await process.KillAsync();
        process.Start(overrides);
        await process.WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Polls until a condition holds, for outcomes that arrive through asynchronous events.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        T last;
        while (true)
        {
            last = await probe();
            if (done(last) || DateTime.UtcNow > deadline) return last;
            await Task.Delay(200);
        }
    }

    private static (string Root, string Configuration) LocateBuild()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        // .../tests/EndToEnd.Tests/bin/<Configuration>/net10.0/
        var configuration = Environment.GetEnvironmentVariable("MEDINS_TEST_CONFIGURATION") ?? dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return (dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test assembly."), configuration);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes.Values) await process.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}
