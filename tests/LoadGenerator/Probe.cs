namespace Medins.LoadGenerator;

/// <summary>
/// What the platform spent over a window: CPU of each watched process tree (from /proc; the script passes the
/// pids) and, given the owner's connection, PostgreSQL's transactions and sequential-scan counters.
/// </summary>
public sealed class Probe(IReadOnlyList<(string Name, int Pid)> watched, string? ownerConnection)
{
    public sealed record Mark(CpuSample Cpu, PgSample? Pg);

    public static IReadOnlyList<(string Name, int Pid)> ParsePids(string? spec) =>
        string.IsNullOrWhiteSpace(spec)
            ? []
            : spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(pair => pair.Split('=', 2))
                .Select(kv => kv.Length == 2 && int.TryParse(kv[1], out var pid) && pid > 0
                    ? (kv[0], pid)
                    : throw new ArgumentException($"--pids expects name=pid,...; got '{string.Join('=', kv)}'"))
                .ToList();

    public async Task<Mark> MarkAsync(CancellationToken ct)
    {
        // The database sample waits for statistics to flush, so it is taken first and the CPU sample right after.
        var pg = ownerConnection is null ? null : await PgSample.TakeAsync(ownerConnection, ct);
        return new Mark(CpuSample.Take(watched), pg);
    }

    public double? CpuMsPerPayment(Mark start, Mark end, int payments) =>
        watched.Count == 0 || payments == 0
            ? null
            : CpuReport.Rows(start.Cpu, end.Cpu, payments, ProcessCpu.TicksPerSecond).Single(r => r.Name == "all of the above").MsPerPayment;

    public string Report(Mark start, Mark end, int payments)
    {
        var parts = new List<string>();
        if (watched.Count > 0) parts.Add(CpuReport.Table(start.Cpu, end.Cpu, payments, ProcessCpu.TicksPerSecond));
        if (start.Pg is { } a && end.Pg is { } b) parts.Add(PgReport.Summary(a, b, payments));
        return string.Join('\n', parts);
    }
}
