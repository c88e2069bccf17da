using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;

namespace Medins.LoadGenerator;

/// <summary>Runs N operations with a fixed number of concurrent workers and records each one's latency.</summary>
public sealed class Phase
{
    private readonly ConcurrentBag<double> _latenciesMs = [];
    private readonly ConcurrentDictionary<int, string> _results = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private TimeSpan _elapsed;
    private int _failures;

    public int Failures => _failures;
    public IReadOnlyList<string> Results => _results.OrderBy(r => r.Key).Select(r => r.Value).ToList();
    public double PerSecond => _results.Count / _elapsed.TotalSeconds;

    public static async Task<Phase> RunAsync(int count, int concurrency, Func<int, Task<string>> operation, CancellationToken ct)
    {
        var phase = new Phase();
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count && !ct.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    phase._results[i] = await operation(i);
                    phase._latenciesMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (RpcException ex)
                {
                    Interlocked.Increment(ref phase._failures);
                    phase._errors.AddOrUpdate($"{ex.StatusCode}: {ex.Status.Detail}", 1, (_, n) => n + 1);
                }
            }
        }));
        phase._elapsed = watch.Elapsed;
        return phase;
    }

    public string Summary()
    {
        var sorted = _latenciesMs.OrderBy(x => x).ToArray();
        double P(double q) => Percentiles.NearestRank(sorted, q);
        var errors = _errors.IsEmpty ? "" : " errors: " + string.Join("; ", _errors.Select(e => $"{e.Value}× {e.Key}"));
        return $"{_results.Count} ok, {_failures} failed in {_elapsed.TotalSeconds:F1} s = {PerSecond:F1}/s; " +
               $"latency ms p50 {P(0.50):F1} p95 {P(0.95):F1} p99 {P(0.99):F1}{errors}";
    }
}

public sealed record LoadOptions(string Gateway, string ApiKey, string Region, int Payments, int Concurrency, int TimeoutSeconds)
{
    /// <summary>name=pid pairs of the processes whose CPU is measured (a tree each: a postmaster with its backends).</summary>
    public string? Pids { get; init; }

    /// <summary>The database owner's connection string, for pg_stat_* counters; none read without it.</summary>
    public string? OwnerConnection { get; init; }

    /// <summary>Arrival rates per second of the open-loop ladder; empty for the closed loop.</summary>
    public IReadOnlyList<double> RateLadder { get; init; } = [];

    public double WarmupSeconds { get; init; } = 5;

    /// <summary>Closed loop: payments made first and left out of the figures, so compiling the hot path is not measured.</summary>
    public int WarmupPayments { get; init; } = 300;

    public double DurationSeconds { get; init; } = 30;
    public double KneeMs { get; init; } = 100;

    public static LoadOptions Parse(string[] args)
    {
        string? Find(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        string Get(string name, string fallback) => Find(name) ?? fallback;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return new LoadOptions(Get("gateway", "http://127.0.0.1:5100"), Get("api-key", "demo-linjiang-key"),
            Get("region", "500118"), int.Parse(Get("payments", "2000")), int.Parse(Get("concurrency", "16")),
            int.Parse(Get("timeout-seconds", "300")))
        {
            Pids = Find("pids"),
            OwnerConnection = Find("owner-connection"),
            RateLadder = Find("rate-ladder") is { } ladder
                ? ladder.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(r => double.Parse(r, inv) is > 0 and var rate ? rate : throw new ArgumentException("--rate-ladder rates must be positive"))
                    .ToList()
                : [],
            WarmupSeconds = double.Parse(Get("warmup", "5"), inv),
            WarmupPayments = int.Parse(Get("warmup-payments", "300"), inv) is >= 0 and var warm ? warm
                : throw new ArgumentException("--warmup-payments must not be negative"),
            DurationSeconds = double.Parse(Get("duration", "30"), inv),
            KneeMs = double.Parse(Get("knee-ms", "100"), inv),
        };
    }
}
