extern alias quota;
extern alias registry;
using System.Diagnostics;
using System.Globalization;
using Medins.Identity.V1;
using Medins.Notification.Campaigns;
using Medins.Notification.Delivery;
using Medins.Notification.V1;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using BulkLoader = registry::Medins.IdentityRegistry.Data.ResidentBulkLoader;
using IdentityProtector = registry::Medins.IdentityRegistry.Domain.IdentityProtector;
using RegistryService = registry::Medins.IdentityRegistry.Grpc.IdentityRegistryGrpcService;
using BulkResident = registry::Medins.IdentityRegistry.Data.BulkResident;
using QuotaService = quota::Medins.QuotaTracking.Grpc.QuotaTrackingGrpcService;

namespace Medins.Notification.Benchmarks;

/// <summary>
/// Usage: bench [--residents 20000] [--village 500118901201]
///   On a private database with the demo city: bulk-loads the residents into one Linjiang village (all but 1 % with a
///   phone), enrols about 95 % for 2023 and opts about 2 % out of reminders, then hosts identity-registry and
///   notification in process on a clock fixed at 10:00 (outside quiet hours) and times a reminder campaign to the
///   "enrolled last year, not this year" ledger for 2024: the preview, the creation, the materialisation of its
///   messages and their dispatch through the local sink. pgbench on the same cluster is the yardstick.
/// </summary>
public static class NotificationBenchmark
{
    private const string Tenant = "cq-linjiang";
    private const int CoverageYear = 2024;
    // 2023-12-11 10:00 in Beijing: a campaign day, outside the demo city's quiet hours (21:00–08:00).
    private static readonly DateTimeOffset Now = new(2023, 12, 11, 2, 0, 0, TimeSpan.Zero);

    public static async Task<int> Main(string[] args)
    {
        if (args.FirstOrDefault() != "bench")
        {
            Console.Error.WriteLine("Usage: bench [--residents 20000] [--village 500118901201]");
            return 2;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
        var count = int.Parse(options.GetValueOrDefault("residents", "20000"), CultureInfo.InvariantCulture);
        var village = options.GetValueOrDefault("village", "500118901201");
        // WebApplicationFactory finds the services' content roots through a manifest it looks for in the current folder.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        return await BenchAsync(count, village) ? 0 : 1;
    }

    private static async Task<bool> BenchAsync(int count, string village)
    {
        Console.WriteLine($"load average at start: {LoadAverage()}, {Environment.ProcessorCount} cores");
        var clock = new FakeTimeProvider(Now);
        await using var database = await TestDatabase.CreateAsync();
        var cluster = await PostgresCluster.GetAsync();
        var postmaster = await PostmasterPidAsync(database.Owner);
        var quiet = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Medins.Platform.Hosting.Messaging.OutboxRelay"] = "Error", // off on purpose here
        };
        await using var registryHost = new ServiceHost<RegistryService>(database, "identity-registry", quiet,
            s => s.AddSingleton<TimeProvider>(clock));
        var registryServer = registryHost.Server;

        // 1. Residents through the registry's own bulk loader; enrolments and opt-outs as the owner, in bulk.
        var today = DateOnly.FromDateTime(Now.AddHours(8).DateTime);
        var residents = new SyntheticResidents(1).Generate([new SyntheticVillage(village, count)], [], 0, today).Residents
            .Select((r, i) => new BulkResident(r.NationalId, r.Name, r.VillageCode, r.HouseholdNumber, r.Relationship, r.RegistrationType,
                i % 100 == 99 ? null : "139" + i.ToString("D8", CultureInfo.InvariantCulture)))
            .ToList();
        await using (var registryData = database.DataSourceFor("identity-registry"))
        {
            var watch = Stopwatch.StartNew();
            var loader = new BulkLoader(new PlatformDatabase(registryData, clock), registryHost.Services.GetRequiredService<IdentityProtector>(), clock);
            var loaded = await loader.LoadAsync(Tenant, residents, default);
            if (loaded.Inserted != count) throw new InvalidOperationException($"loaded {loaded.Inserted} of {count} residents");
            Console.WriteLine($"loaded {loaded.Inserted} residents into {village} in {watch.Elapsed.TotalSeconds:F1} s");
        }
        await using (var arrange = database.Owner.CreateCommand($"""
            INSERT INTO identity_registry.enrolments (tenant_id, resident_id, coverage_year, status, updated_at)
              SELECT tenant_id, resident_id, 2023, 'enrolled', now() FROM identity_registry.residents
              WHERE tenant_id = '{Tenant}' AND abs(hashtext(resident_id::text)) % 100 < 95;
            INSERT INTO notification.contact_preferences (tenant_id, resident_id, opt_out, source, update_time)
              SELECT tenant_id, resident_id::text, 'REMINDERS', 'bench', now() FROM identity_registry.residents
              WHERE tenant_id = '{Tenant}' AND abs(hashtext(resident_id::text || 'opt-out')) % 100 < 2;
            ANALYZE identity_registry.residents; ANALYZE identity_registry.enrolments; ANALYZE notification.contact_preferences;
            """))
        {
            arrange.CommandTimeout = 0;
            await arrange.ExecuteNonQueryAsync();
        }

        // quota-tracking answers the campaign's collection period (a deadline must fall within it).
        await using var quotaHost = new ServiceHost<QuotaService>(database, "quota-tracking",
            new Dictionary<string, string?>(quiet) { ["QuotaTracking:Progress:Enabled"] = "false" },
            s => s.AddSingleton<TimeProvider>(clock));
        var quotaServer = quotaHost.Server;

        // 2. notification in process, reading the registry over real gRPC; its dispatcher loop off (driven here), the
        // SMS rate limit raised far above the run's pace so that the provider limit does not set it.
        await using var notificationHost = new ServiceHost<Program>(database, "notification", new Dictionary<string, string?>(quiet)
        {
            ["Notification:Dispatcher:Enabled"] = "false",
            ["Notification:Dispatcher:RatePerSecond:SMS"] = "1000000",
            ["Notification:Dispatcher:RatePerSecond:WECHAT"] = "1000000",
        }, s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o => o.Address = registryServer.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(() => registryServer.CreateHandler());
            s.AddGrpcClient<QuotaTrackingService.QuotaTrackingServiceClient>(o => o.Address = quotaServer.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(() => quotaServer.CreateHandler());
        });
        var client = new NotificationService.NotificationServiceClient(notificationHost.Channel(Tenant));
        var target = new CampaignTarget { Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = CoverageYear, VillageCode = village };
        await client.PreviewReminderCampaignAsync(new PreviewReminderCampaignRequest { Target = target }); // warm-up

        var previewWatch = Stopwatch.StartNew();
        var preview = (await client.PreviewReminderCampaignAsync(new PreviewReminderCampaignRequest { Target = target })).Counts;
        var previewSeconds = previewWatch.Elapsed.TotalSeconds;
        Console.WriteLine($"preview: {previewSeconds * 1000:F0} ms for {preview.OnLedger} on the ledger " +
            $"({preview.OptedOut} opted out, {preview.NoContact} without contact, {preview.ToSend} to send) = {preview.OnLedger / previewSeconds:F0} entries/s");

        var createWatch = Stopwatch.StartNew();
        var campaign = (await client.CreateReminderCampaignAsync(new CreateReminderCampaignRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = "上年参保本年未参保提醒（基准）",
            Target = target,
            Deadline = new DateOnly(2023, 12, 31).ToProtoDate(),
        })).Campaign;
        Console.WriteLine($"create: {createWatch.Elapsed.TotalMilliseconds:F0} ms (counts the ledger again)");

        var runner = notificationHost.Services.GetRequiredService<CampaignRunner>();
        var dispatcher = notificationHost.Services.GetRequiredService<Dispatcher>();
        var campaignId = Guid.Parse(campaign.CampaignId);
        var (materialise, created) = await MeasureAsync(database.Owner, postmaster, async () =>
        {
            var started = await runner.StartDueAsync(default);
            if (started != 1) throw new InvalidOperationException($"{started} campaigns started, expected 1");
            return await CountMessagesAsync(database.Owner, campaignId);
        });
        Console.WriteLine($"materialise: {created} messages in {materialise.Seconds:F1} s = {created / materialise.Seconds:F0} messages/s {materialise.Cpu}, " +
            $"{materialise.Transactions / (double)created:F2} transactions per message");

        var (dispatch, handled) = await MeasureAsync(database.Owner, postmaster, () => dispatcher.DrainAsync(default));
        Console.WriteLine($"dispatch:    {handled} messages in {dispatch.Seconds:F1} s = {handled / dispatch.Seconds:F0} messages/s {dispatch.Cpu}, " +
            $"{dispatch.Transactions / (double)handled:F2} transactions per message");
        await runner.CompleteFinishedAsync(default);

        // What the dispatcher's registry lookups cost alone: one batch call per dispatched batch (200 messages).
        var directory = notificationHost.Services.GetRequiredService<ResidentDirectory>();
        var recipients = await RecipientsAsync(database.Owner, campaignId);
        var (lookups, found) = await MeasureAsync(database.Owner, postmaster, async () =>
        {
            var found = 0;
            foreach (var batch in recipients.Chunk(200))
                found += (await directory.FindManyAsync(Tenant, batch, default)).Values.Count(l => l is ResidentLookup.Found);
            return found;
        });
        Console.WriteLine($"registry lookups alone: {found} in {lookups.Seconds:F1} s = {found / lookups.Seconds:F0}/s {lookups.Cpu}, " +
            $"{lookups.Transactions / (double)found:F2} transactions per lookup");

        var final = (await client.GetReminderCampaignAsync(new GetReminderCampaignRequest { CampaignId = campaign.CampaignId })).Campaign;
        var d = final.Delivery;
        Console.WriteLine($"campaign {final.State}: pending {d.Pending}, sent {d.Sent}, delivered {d.Delivered}, failed {d.Failed}, skipped {d.Skipped} (" +
            string.Join(", ", d.SkippedByReason.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}")) + ")");
        var onLedger = preview.OnLedger; // nobody paid between the preview and the send time
        var consistent = d.Sent + d.Skipped == onLedger && created == onLedger && d.Pending == 0 && d.Failed == 0
            && final.State == CampaignState.Completed;
        if (!consistent)
            Console.WriteLine($"FAILED: sent + skipped = {d.Sent + d.Skipped}, messages {created}, on the ledger at send time {onLedger}");

        // 3. The yardstick: pgbench on the same cluster, once the campaign is done.
        var tps = await PgbenchAsync(cluster.OwnerConnectionString);
        Console.WriteLine($"pgbench (TPC-B-like, scale 10, 16 clients, 20 s): {tps:F0} tps");
        Console.WriteLine($"ratios: materialise {created / materialise.Seconds / tps:F3}, dispatch {handled / dispatch.Seconds / tps:F3} messages per pgbench transaction");
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return consistent;
    }

    private sealed record Phase(double Seconds, string Cpu, long Transactions);

    /// <summary>
    /// Wall time, this process's CPU (both services and the benchmark), the PostgreSQL cluster's CPU and the
    /// transactions the database committed meanwhile (each pooled connection's reset by Npgsql counts as one too).
    /// </summary>
    private static async Task<(Phase Phase, T Result)> MeasureAsync<T>(NpgsqlDataSource owner, int? postmaster, Func<Task<T>> work)
    {
        var transactions = await TransactionsAsync(owner);
        var processCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var postgresCpu = PostgresCpuSeconds(postmaster);
        var watch = Stopwatch.StartNew();
        var result = await work();
        var seconds = watch.Elapsed.TotalSeconds;
        var process = (Process.GetCurrentProcess().TotalProcessorTime - processCpu).TotalSeconds;
        var postgres = PostgresCpuSeconds(postmaster) - postgresCpu;
        // Backends report their counts at most once a second; wait for the last of them (outside the timing).
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        // The two counting queries are transactions too.
        transactions = await TransactionsAsync(owner) - transactions - 2;
        return (new Phase(seconds, $"(CPU: services {process:F1} s, PostgreSQL {(postgres is { } p ? $"{p:F1} s" : "n/a")})", transactions), result);
    }

    private static async Task<long> TransactionsAsync(NpgsqlDataSource owner)
    {
        await using var cmd = owner.CreateCommand(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> RecipientsAsync(NpgsqlDataSource owner, Guid campaignId)
    {
        await using var cmd = owner.CreateCommand("SELECT recipient_id FROM notification.messages WHERE campaign_id = $1");
        cmd.Parameters.Add(new() { Value = campaignId });
        var ids = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }

    private static async Task<long> CountMessagesAsync(NpgsqlDataSource owner, Guid campaignId)
    {
        await using var cmd = owner.CreateCommand("SELECT count(*) FROM notification.messages WHERE campaign_id = $1");
        cmd.Parameters.Add(new() { Value = campaignId });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<int?> PostmasterPidAsync(NpgsqlDataSource owner)
    {
        // Read while the connection is open: the backend ends with it.
        await using var conn = await owner.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", conn);
        var backend = (int)(await cmd.ExecuteScalarAsync())!;
        var status = $"/proc/{backend}/status";
        if (!File.Exists(status)) return null;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
        return line is null ? null : int.Parse(line[5..].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// CPU seconds of the cluster so far: the postmaster, what it reaped of its exited children (backends come and go
    /// with unpooled connections) and its live children. Linux only; null elsewhere.
    /// </summary>
    private static double? PostgresCpuSeconds(int? postmaster)
    {
        if (postmaster is not { } pid || Stat(pid) is not { } root) return null;
        const double ticksPerSecond = 100; // USER_HZ on Linux
        var ticks = root.UTime + root.STime + root.CUTime + root.CSTime;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var child) && Stat(child) is { } stat && stat.ParentPid == pid)
                ticks += stat.UTime + stat.STime;
        return ticks / ticksPerSecond;

        static (int ParentPid, long UTime, long STime, long CUTime, long CSTime)? Stat(int pid)
        {
            try
            {
                var text = File.ReadAllText($"/proc/{pid}/stat");
                // Fields after the command name (which may hold spaces): state, ppid, ... utime is the 14th field overall.
                var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                return (int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[11], CultureInfo.InvariantCulture),
                    long.Parse(f[12], CultureInfo.InvariantCulture), long.Parse(f[13], CultureInfo.InvariantCulture),
                    long.Parse(f[14], CultureInfo.InvariantCulture));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null; // gone meanwhile, or not Linux
            }
        }
    }

    /// <summary>pgbench's TPC-B-like transactions on a fresh database of the same cluster: the tps it reaches.</summary>
    private static async Task<double> PgbenchAsync(string ownerConnectionString)
    {
        var owner = new NpgsqlConnectionStringBuilder(ownerConnectionString);
        var name = "pgbench_" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = NpgsqlDataSource.Create(ownerConnectionString);
        await using (var create = admin.CreateCommand($"CREATE DATABASE {name}")) await create.ExecuteNonQueryAsync();
        try
        {
            var connection = $"-h {owner.Host} -p {owner.Port} -U {owner.Username}";
            await RunPgbenchAsync(owner.Password, $"{connection} -i -s 10 -q {name}");
            var output = await RunPgbenchAsync(owner.Password, $"{connection} -c 16 -j 2 -T 20 {name}");
            var line = output.Split('\n').First(l => l.StartsWith("tps = ", StringComparison.Ordinal));
            return double.Parse(line.Split(' ')[2], CultureInfo.InvariantCulture);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<string> RunPgbenchAsync(string? password, string arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(PostgresCluster.FindBinaries(), "pgbench"), arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pgbench {arguments} failed: {await stderr}");
        return await stdout;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
