using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Medins.Platform.Testing;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// A real Prometheus (Debian's package, as `./platform up` runs it) scraping the running platform's metrics ports
/// every second, with the labels the chart's ServiceMonitor gives in a cluster (job and app_id per component, the
/// release namespace), so the dashboard's queries read here what they read in production.
/// </summary>
public sealed class LocalPrometheus : IAsyncDisposable
{
    public const string Namespace = "medins-e2e";

    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private LocalPrometheus(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <param name="targets">app id → metrics address (http://127.0.0.1:port).</param>
    public static async Task<LocalPrometheus> StartAsync(IReadOnlyDictionary<string, string> targets)
    {
        var binary = FindOnPath("prometheus") ?? throw new InvalidOperationException(
            "prometheus is not installed: the test command installs Debian's prometheus package (tests/Charts.Tests/run.sh).");
        var folder = Directory.CreateTempSubdirectory("medins-e2e-prometheus-").FullName;
        var port = PostgresCluster.FreePort();
        var config = new List<string>
        {
            "global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "  evaluation_interval: 1s", "scrape_configs:",
        };
        foreach (var (appId, address) in targets)
        {
            config.Add($"  - job_name: {appId}");
            config.Add("    static_configs:");
            config.Add($"      - targets: [\"{new Uri(address).Authority}\"]");
            config.Add($"        labels: {{app_id: {appId}, namespace: {Namespace}, city: e2e-city}}");
        }
        await File.WriteAllLinesAsync(Path.Combine(folder, "prometheus.yml"), config);

        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                $"--config.file={Path.Combine(folder, "prometheus.yml")}",
                $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var prometheus = new LocalPrometheus(process, folder, port);
        await prometheus.WaitReadyAsync();
        return prometheus;
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}");
            try
            {
                if ((await _http.GetAsync("/-/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("prometheus was not ready within 60 s");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until every target is up and has been scraped at least <paramref name="scrapes"/> times.</summary>
    public async Task WaitScrapedAsync(int targets, int scrapes, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var up = await QueryAsync($"count(up{{namespace=\"{Namespace}\"}} == 1)");
            var fewest = await QueryAsync($"min(count_over_time(up{{namespace=\"{Namespace}\"}}[5m]))");
            if (up.Series is [{ Value: var count }] && count >= targets && fewest.Series is [{ Value: var seen }] && seen >= scrapes) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Prometheus did not scrape all {targets} targets {scrapes} times: {await TargetsAsync()}");
            await Task.Delay(500);
        }
    }

    public async Task<string> TargetsAsync() => await _http.GetStringAsync("/api/v1/targets");

    /// <summary>An instant query: its series (labels and value) or the error Prometheus gave.</summary>
    public async Task<QueryResult> QueryAsync(string expression)
    {
        using var response = await _http.PostAsync("/api/v1/query",
            new FormUrlEncodedContent([new KeyValuePair<string, string>("query", expression)]));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
            return new QueryResult([], $"{body.GetProperty("errorType").GetString()}: {body.GetProperty("error").GetString()}");
        var data = body.GetProperty("data");
        var series = new List<Series>();
        if (data.GetProperty("resultType").GetString() is "vector" or "matrix")
        {
            foreach (var item in data.GetProperty("result").EnumerateArray())
            {
                var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                var value = item.TryGetProperty("value", out var sample) ? ParseValue(sample[1].GetString()) : double.NaN;
                series.Add(new Series(labels, value));
            }
        }
        else
        {
            series.Add(new Series(new Dictionary<string, string>(), ParseValue(data.GetProperty("result")[1].GetString())));
        }
        return new QueryResult(series, null);
    }

    /// <summary>The values of a label among the series a selector matches (Grafana's label_values).</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string selector)
    {
        var body = await _http.GetFromJsonAsync<JsonElement>($"/api/v1/label/{label}/values?match[]={Uri.EscapeDataString(selector)}");
        return body.GetProperty("data").EnumerateArray().Select(v => v.GetString() ?? "").ToList();
    }

    private static double ParseValue(string? text) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : double.NaN;

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    public sealed record Series(IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record QueryResult(IReadOnlyList<Series> Series, string? Error);
}
