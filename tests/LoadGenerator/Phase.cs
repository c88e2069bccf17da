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
        double P(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        var errors = _errors.IsEmpty ? "" : " errors: " + string.Join("; ", _errors.Select(e => $"{e.Value}× {e.Key}"));
        return $"{_results.Count} ok, {_failures} failed in {_elapsed.TotalSeconds:F1} s = {PerSecond:F1}/s; " +
               $"latency ms p50 {P(0.50):F1} p95 {P(0.95):F1} p99 {P(0.99):F1}{errors}";
    }
}

public sealed record LoadOptions(string Gateway, string ApiKey, string Region, int Payments, int Concurrency, int TimeoutSeconds)
{
    public static LoadOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        return new LoadOptions(Get("gateway", "http://127.0.0.1:5100"), Get("api-key", "demo-linjiang-key"),
            Get("region", "500118"), int.Parse(Get("payments", "2000")), int.Parse(Get("concurrency", "16")),
            int.Parse(Get("timeout-seconds", "300")));
    }
}
