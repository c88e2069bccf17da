using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.LoadGenerator;

// Usage:
//   LoadGenerator [--gateway http://127.0.0.1:5100] [--api-key demo-linjiang-key] [--region 500118]
//                 [--payments 2000] [--warmup-payments 300] [--concurrency 16] [--timeout-seconds 300]
//                 [--pids gateway=PID,identity-registry=PID,...,postgres=POSTMASTER-PID] [--owner-connection CS]
//                 [--rate-ladder 25,50,100,150,200 [--warmup 5] [--duration 30] [--knee-ms 100]]
//   LoadGenerator preload --owner-connection CS [--residents 1000000] [--identity-settings appsettings.json]
// Without --rate-ladder: a closed loop of --concurrency callers making --payments payments. With it: one open-loop
// step per rate. Exit code 0: every payment made and counted by quota-tracking, nothing failed.
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.FirstOrDefault() == "preload") return await Preload.RunAsync(PreloadOptions.Parse(args[1..]), CancellationToken.None);
        var options = LoadOptions.Parse(args);
        using var channel = GrpcChannel.ForAddress(options.Gateway, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var invoker = channel.Intercept(m => { m.Add("x-api-key", options.ApiKey); return m; });
        var walk = new Walk(options, new IdentityRegistryService.IdentityRegistryServiceClient(invoker),
            new PaymentCollectionService.PaymentCollectionServiceClient(invoker), new QuotaTrackingService.QuotaTrackingServiceClient(invoker));
        if (!await walk.LoadVillagesAsync()) { Console.Error.WriteLine("The tenant has no villages."); return 2; }
        var probe = new Probe(Probe.ParsePids(options.Pids), options.OwnerConnection);
        return options.RateLadder.Count > 0 ? await RunLadderAsync(options, walk, probe) : await RunClosedLoopAsync(options, walk, probe);
    }

    private static async Task<int> RunClosedLoopAsync(LoadOptions options, Walk walk, Probe probe)
    {
        var before = await walk.EnrolledAsync();
        var stopwatch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(options.TimeoutSeconds));

        var register = await Phase.RunAsync(options.WarmupPayments + options.Payments, options.Concurrency,
            i => walk.RegisterAsync(i, cts.Token), cts.Token);
        var residentIds = register.Results;
        var warm = Math.Min(options.WarmupPayments, residentIds.Count);
        var warmup = await Phase.RunAsync(warm, options.Concurrency, i => walk.PayAsync(i, residentIds[i], cts.Token), cts.Token);
        // The warm-up's events are applied before the window opens, so none of their work is counted.
        await walk.DrainAsync(before, warmup.Results.Count, TimeSpan.FromSeconds(options.TimeoutSeconds));
        var start = await probe.MarkAsync(cts.Token);
        var pay = await Phase.RunAsync(residentIds.Count - warm, options.Concurrency,
            i => walk.PayAsync(warm + i, residentIds[warm + i], cts.Token), cts.Token);

        // Events drain: the quota counters must reach every payment made, once (warm-up ones included).
        var paidCount = warmup.Results.Count + pay.Results.Count;
        var (enrolled, drain) = await walk.DrainAsync(before, paidCount, TimeSpan.FromSeconds(options.TimeoutSeconds));
        // The window runs from the first payment until quota-tracking counted the last, so consumers' work is in it.
        var end = await probe.MarkAsync(CancellationToken.None);

        Console.WriteLine($"registrations: {register.Summary()}");
        if (warm > 0) Console.WriteLine($"warm-up payments (not in the figures below): {warmup.Summary()}");
        Console.WriteLine($"payments (create + confirm): {pay.Summary()}");
        Console.WriteLine($"events drained to quota-tracking: {enrolled}/{paidCount} counted, {drain.TotalSeconds:F1} s after the last payment");
        if (probe.Report(start, end, pay.Results.Count) is { Length: > 0 } report) Console.WriteLine(report);
        Console.WriteLine($"payments_per_second={pay.PerSecond:F1}");
        Console.WriteLine($"total {stopwatch.Elapsed.TotalSeconds:F1} s");
        return enrolled == paidCount && register.Failures == 0 && warmup.Failures == 0 && pay.Failures == 0 ? 0 : 1;
    }

    private static async Task<int> RunLadderAsync(LoadOptions options, Walk walk, Probe probe)
    {
        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        var callTimeout = TimeSpan.FromSeconds(30);
        var before = await walk.EnrolledAsync();
        Console.WriteLine($"open-loop ladder: rates {string.Join(", ", options.RateLadder)}/s, {warmup.TotalSeconds:0} s warm-up + " +
                          $"{duration.TotalSeconds:0} s measured each; latency of create+confirm from each arrival's due time");
        Console.WriteLine(OpenLoop.Header);
        var steps = new List<StepResult>();
        int paid = 0, failures = 0, offset = 0;
        foreach (var rate in options.RateLadder)
        {
            // Registration is not part of the measured step: each arrival's resident exists beforehand.
            var count = OpenLoop.Arrivals(rate, warmup, duration);
            using var registering = new CancellationTokenSource(TimeSpan.FromSeconds(options.TimeoutSeconds));
            var from = offset;
            var register = await Phase.RunAsync(count, options.Concurrency, i => walk.RegisterAsync(from + i, registering.Token), registering.Token);
            offset += count;
            failures += register.Failures;
            var residents = register.Results;
            var mark = await probe.MarkAsync(CancellationToken.None);
            var step = await OpenLoop.RunStepAsync(rate, warmup, duration,
                (i, ct) => i < residents.Count
                    ? walk.PayAsync(from + i, residents[i], ct)
                    : throw new RpcException(new Status(StatusCode.FailedPrecondition, "no resident: her registration failed")),
                callTimeout, CancellationToken.None);
            var after = await probe.MarkAsync(CancellationToken.None);
            paid += step.Paid;
            failures += step.Failed;
            steps.Add(step);
            Console.WriteLine(OpenLoop.Row(step, probe.CpuMsPerPayment(mark, after, step.Paid)));
            if (step.Saturated)
            {
                var skipped = options.RateLadder.SkipWhile(r => r != rate).Skip(1).ToList();
                if (skipped.Count > 0) Console.WriteLine($"  saturated at {rate:0.#}/s: skipping {string.Join(", ", skipped)}/s");
                break;
            }
        }
        var knee = Knee.Find(steps, options.KneeMs);
        Console.WriteLine(knee is { } k
            ? $"knee: {k:0.#}/s (first rate whose p99 passes {options.KneeMs:0} ms)"
            : $"knee: beyond {options.RateLadder.Max():0.#}/s (no step's p99 passed {options.KneeMs:0} ms)");
        var (enrolled, drain) = await walk.DrainAsync(before, paid, TimeSpan.FromSeconds(options.TimeoutSeconds));
        Console.WriteLine($"events drained to quota-tracking: {enrolled}/{paid} counted, {drain.TotalSeconds:F1} s after the last step");
        return enrolled == paid && failures == 0 ? 0 : 1;
    }
}

/// <summary>The walking path as the load generator drives it through the gateway.</summary>
public sealed class Walk(LoadOptions options, IdentityRegistryService.IdentityRegistryServiceClient identity,
    PaymentCollectionService.PaymentCollectionServiceClient payments, QuotaTrackingService.QuotaTrackingServiceClient quota)
{
    // Each run uses residents no earlier run registered: a random block of birth dates, 1000 sequence numbers each.
    private readonly int _run = Random.Shared.Next(0, 20_000);
    private string[] _villages = [];

    private DateOnly FirstBirth => new DateOnly(1940, 1, 1).AddDays(_run);

    public async Task<bool> LoadVillagesAsync()
    {
        _villages = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.Where(d => d.Level == DivisionLevel.Village).Select(d => d.Code).ToArray();
        return _villages.Length > 0;
    }

    public async Task<string> RegisterAsync(int i, CancellationToken ct)
    {
        var nationalId = NationalIds.Make(options.Region, FirstBirth.AddDays(i / 1000), i % 1000);
        var response = await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = $"load-{_run}-reg-{i}",
            NationalId = nationalId,
            Name = $"压测居民{i}",
            VillageCode = _villages[i % _villages.Length],
            RegistrationType = RegistrationType.HouseholdRegistered,
        }, cancellationToken: ct);
        return response.Resident.ResidentId;
    }

    public async Task<string> PayAsync(int i, string residentId, CancellationToken ct)
    {
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = $"load-{_run}-order-{i}",
            ResidentId = residentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.WechatPay,
        }, cancellationToken: ct)).Order;
        await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId,
            ChannelTransactionId = $"load-{_run}-wx-{i}",
            AmountFen = order.PersonalAmountFen,
        }, cancellationToken: ct);
        return order.OrderId;
    }

    /// <summary>Waits until quota-tracking counted <paramref name="paid"/> more than <paramref name="before"/>; returns the count and the wait.</summary>
    public async Task<(long Enrolled, TimeSpan Drain)> DrainAsync(long before, long paid, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        long enrolled;
        do
        {
            enrolled = await EnrolledAsync() - before;
            if (enrolled >= paid) break;
            await Task.Delay(100);
        } while (watch.Elapsed < timeout);
        return (enrolled, watch.Elapsed);
    }

    public async Task<long> EnrolledAsync()
    {
        long total = 0;
        var token = "";
        do
        {
            var page = await quota.ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024, PageSize = 500, PageToken = token });
            total += page.Progress.Where(p => _villages.Contains(p.VillageCode)).Sum(p => p.EnrolledCount);
            token = page.NextPageToken;
        } while (token != "");
        return total;
    }
}
