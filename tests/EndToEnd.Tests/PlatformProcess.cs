using System.Diagnostics;
using System.Text;

namespace Medins.EndToEnd.Tests;

/// <summary>One real platform process (`dotnet X.dll` from the build output), which a test can kill at any moment.</summary>
public sealed class PlatformProcess(string appId, string assemblyPath, int grpcPort, int httpPort,
    IReadOnlyDictionary<string, string> environment, int? metricsPort = null) : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly StringBuilder _output = new();
    private Process? _process;

    public string AppId => appId;
    public int GrpcPort => grpcPort;
    public int HttpPort => httpPort;
    /// <summary>Where /metrics is served (and nothing but /metrics, /healthz, /readyz), when the process has its own port for it.</summary>
    public string? MetricsAddress => metricsPort is { } port ? $"http://127.0.0.1:{port}" : null;
    public string GrpcAddress => $"http://127.0.0.1:{grpcPort}";
    public string HttpAddress => $"http://127.0.0.1:{httpPort}";
    public bool IsRunning => _process is { HasExited: false };

    public void Start(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{assemblyPath}\"")
        {
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["Platform__GrpcPort"] = grpcPort.ToString();
        info.Environment["Platform__HttpPort"] = httpPort.ToString();
        if (metricsPort is { } metrics) info.Environment["Platform__MetricsPort"] = metrics.ToString();
        foreach (var (key, value) in environment) info.Environment[key] = value;
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>()) info.Environment[key] = value;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is null || _process.HasExited)
                throw new InvalidOperationException($"{appId} exited ({_process?.ExitCode}):\n{Output}");
            try
            {
                using var response = await Http.GetAsync($"{HttpAddress}/readyz");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{appId} not ready after {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: no graceful shutdown, no chance to flush anything, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    /// <summary>SIGSTOP: the process stays, its sockets accept connections, but it answers nothing (a hung consumer).</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT: a paused process carries on where it stopped.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        if (_process is null || _process.HasExited) return;
        using var kill = Process.Start("kill", $"-{signal} {_process.Id}")!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed ({kill.ExitCode})");
    }
}
