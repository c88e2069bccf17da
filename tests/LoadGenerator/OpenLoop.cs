using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;

namespace Medins.LoadGenerator;

public static class Percentiles
{
    /// <summary>Nearest-rank percentile of ascending <paramref name="sorted"/>: the smallest value with at least q of all at or below it.</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return 0;
        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}

/// <summary>
/// One rung of the ladder: what was asked for and what came out of its measured window (warm-up excluded); Failed,
/// LateStarts and Paid count warm-up arrivals too.
/// </summary>
public sealed record StepResult(double TargetRate, int Arrivals, int Completed, int Failed, int LateStarts, double MaxLagMs,
    double AchievedRate, double P50Ms, double P95Ms, double P99Ms, IReadOnlyDictionary<string, int> Errors, int Paid = 0)
{
    /// <summary>The step could not keep up: it finished well under its arrival rate, or its tail ran into seconds.</summary>
    public bool Saturated => AchievedRate < 0.8 * TargetRate || P99Ms > 2_000;
}

public static class Knee
{
    /// <summary>The first rate (in ladder order) whose p99 passes <paramref name="p99LimitMs"/>; null if none does.</summary>
    public static double? Find(IEnumerable<StepResult> steps, double p99LimitMs) =>
        steps.FirstOrDefault(s => s.P99Ms > p99LimitMs)?.TargetRate;
}

/// <summary>
/// Fixed-arrival-rate load: arrival i of a step is due at i / rate seconds after the step starts, whether or not
/// earlier ones have finished (open loop), so a slow platform meets a growing queue as it would in December. Each
/// latency runs from the arrival's due time, not from when it actually started, so a late start is charged to the
/// platform rather than hidden (no coordinated omission); starts more than <see cref="LateAfter"/> behind are counted.
/// </summary>
public static class OpenLoop
{
    public static readonly TimeSpan LateAfter = TimeSpan.FromMilliseconds(10);

    /// <summary>How many arrivals a step of <paramref name="rate"/> per second makes over warm-up plus duration.</summary>
    public static int Arrivals(double rate, TimeSpan warmup, TimeSpan duration) =>
        (int)Math.Ceiling(rate * (warmup + duration).TotalSeconds);

    /// <summary>Arrival i's due time from the step's start.</summary>
    public static TimeSpan DueAt(int i, double rate) => TimeSpan.FromSeconds(i / rate);

    public static async Task<StepResult> RunStepAsync(double rate, TimeSpan warmup, TimeSpan duration, Func<int, CancellationToken, Task> operation,
        TimeSpan callTimeout, CancellationToken ct)
    {
        var count = Arrivals(rate, warmup, duration);
        var warmupArrivals = Arrivals(rate, warmup, TimeSpan.Zero);
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentDictionary<string, int>();
        int failed = 0, late = 0, paid = 0;
        var maxLag = TimeSpan.Zero;
        long lastCompletion = 0;
        var start = Stopwatch.GetTimestamp();
        var tasks = new List<Task>(count);
        for (var i = 0; i < count && !ct.IsCancellationRequested; i++)
        {
            var due = DueAt(i, rate);
            var wait = due - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, ct);
            var lag = Stopwatch.GetElapsedTime(start) - due;
            if (lag > maxLag) maxLag = lag;
            if (lag > LateAfter) late++;
            var index = i;
            var measured = i >= warmupArrivals;
            tasks.Add(Task.Run(async () =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(callTimeout);
                try
                {
                    await operation(index, timeout.Token);
                    var done = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref paid);
                    if (!measured) return;
                    latencies.Add((Stopwatch.GetElapsedTime(start, done) - due).TotalMilliseconds);
                    InterlockedMax(ref lastCompletion, done);
                }
                catch (Exception ex) when (ex is RpcException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    var key = ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : "timed out";
                    errors.AddOrUpdate(key, 1, (_, n) => n + 1);
                }
            }, CancellationToken.None));
        }
        await Task.WhenAll(tasks);

        var sorted = latencies.OrderBy(x => x).ToArray();
        var window = lastCompletion == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(start, lastCompletion) - warmup;
        var achieved = window > TimeSpan.Zero ? sorted.Length / window.TotalSeconds : 0;
        return new StepResult(rate, count - warmupArrivals, sorted.Length, failed, late, maxLag.TotalMilliseconds, achieved,
            Percentiles.NearestRank(sorted, 0.50), Percentiles.NearestRank(sorted, 0.95), Percentiles.NearestRank(sorted, 0.99),
            new Dictionary<string, int>(errors), paid);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    public static string Header =>
        $"  {"rate/s",7} {"arrivals",8} {"ok",6} {"failed",6} {"late",5} {"achieved/s",10} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"CPU-ms/pay",10}";

    public static string Row(StepResult s, double? cpuMsPerPayment) =>
        $"  {s.TargetRate,7:0.#} {s.Arrivals,8} {s.Completed,6} {s.Failed,6} {s.LateStarts,5} {s.AchievedRate,10:F1} {s.P50Ms,8:F1} {s.P95Ms,8:F1} {s.P99Ms,8:F1} " +
        $"{(cpuMsPerPayment is { } c ? c.ToString("F1") : "-"),10}" +
        (s.Errors.Count == 0 ? "" : "  errors: " + string.Join("; ", s.Errors.Select(e => $"{e.Value}× {e.Key}")));
}
