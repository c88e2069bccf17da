using System.Runtime.InteropServices;

namespace Medins.LoadGenerator;

/// <summary>The CPU fields of one line of <c>/proc/PID/stat</c>, in clock ticks.</summary>
public readonly record struct ProcStat(int Pid, int ParentPid, long UTime, long STime, long CUTime, long CSTime)
{
    /// <summary>
    /// Parses a stat line. The command name (field 2) is in parentheses and may itself hold spaces or ')', so the
    /// fields are counted from the last ')'; null if the line is not a stat line.
    /// </summary>
    public static ProcStat? Parse(string line)
    {
        var close = line.LastIndexOf(')');
        var space = line.IndexOf(' ');
        if (close < 0 || space <= 0 || !int.TryParse(line.AsSpan(0, space), out var pid)) return null;
        // After ')': state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10) cminflt(11) majflt(12)
        // cmajflt(13) utime(14) stime(15) cutime(16) cstime(17).
        var rest = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length < 15) return null;
        return int.TryParse(rest[1], out var ppid) && long.TryParse(rest[11], out var utime) && long.TryParse(rest[12], out var stime)
               && long.TryParse(rest[13], out var cutime) && long.TryParse(rest[14], out var cstime)
            ? new ProcStat(pid, ppid, utime, stime, cutime, cstime)
            : null;
    }
}

/// <summary>
/// CPU used by process trees, from /proc. A tree's total is the sum over its live processes of their own and their
/// reaped children's time (utime+stime+cutime+cstime): a child that exits moves its time into its parent's cutime,
/// so the total neither loses nor counts twice a PostgreSQL backend that ends during the window.
/// </summary>
public static class ProcessCpu
{
    /// <summary>Ticks used by the tree under <paramref name="root"/> (the root included), from a snapshot of every process.</summary>
    public static long TreeTicks(IReadOnlyCollection<ProcStat> all, int root)
    {
        var children = all.ToLookup(p => p.ParentPid);
        var byPid = all.ToDictionary(p => p.Pid);
        if (!byPid.ContainsKey(root)) return 0;
        long total = 0;
        var pending = new Stack<int>([root]);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            var p = byPid[pid];
            total += p.UTime + p.STime + p.CUTime + p.CSTime;
            foreach (var child in children[pid]) pending.Push(child.Pid);
        }
        return total;
    }

    /// <summary>Every process's stat line now (processes that vanish while being read are skipped).</summary>
    public static List<ProcStat> Snapshot()
    {
        var result = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            try
            {
                if (ProcStat.Parse(File.ReadAllText(Path.Combine(dir, "stat"))) is { } stat) result.Add(stat);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return result;
    }

    /// <summary>The machine's busy and total ticks summed over every CPU (first line of /proc/stat).</summary>
    public static (long Busy, long Total) MachineTicks(string procStatFirstLine)
    {
        // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
        var f = procStatFirstLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        var total = f.Sum();
        return (total - f[3] - (f.Length > 4 ? f[4] : 0), total);
    }

    public static (long Busy, long Total) MachineTicks() =>
        MachineTicks(File.ReadLines("/proc/stat").First());

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    /// <summary>Clock ticks per second (sysconf _SC_CLK_TCK, 2 on Linux); 100 where it cannot be asked.</summary>
    public static long TicksPerSecond
    {
        get
        {
            try { return SysConf(2) is > 0 and var hz ? hz : 100; }
            catch (DllNotFoundException) { return 100; }
            catch (EntryPointNotFoundException) { return 100; }
        }
    }
}

/// <summary>One reading of every watched process tree, the load generator itself and the whole machine.</summary>
public sealed record CpuSample(IReadOnlyDictionary<string, long> TreeTicks, TimeSpan Self, long MachineBusy, long MachineTotal, long Timestamp)
{
    public static CpuSample Take(IReadOnlyList<(string Name, int Pid)> watched)
    {
        var all = ProcessCpu.Snapshot();
        var machine = ProcessCpu.MachineTicks();
        return new CpuSample(watched.ToDictionary(w => w.Name, w => ProcessCpu.TreeTicks(all, w.Pid)),
            System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime, machine.Busy, machine.Total,
            System.Diagnostics.Stopwatch.GetTimestamp());
    }
}

/// <summary>CPU-ms per payment by process between two samples, as a table.</summary>
public static class CpuReport
{
    public static IReadOnlyList<(string Name, double CpuSeconds, double MsPerPayment)> Rows(CpuSample start, CpuSample end, int payments,
        long ticksPerSecond)
    {
        var rows = new List<(string, double, double)>();
        double Per(double seconds) => payments == 0 ? 0 : seconds * 1000 / payments;
        foreach (var (name, ticks) in end.TreeTicks)
        {
            var seconds = (double)(ticks - start.TreeTicks.GetValueOrDefault(name)) / ticksPerSecond;
            rows.Add((name, seconds, Per(seconds)));
        }
        var ours = rows.Sum(r => r.Item2);
        rows.Add(("all of the above", ours, Per(ours)));
        var self = (end.Self - start.Self).TotalSeconds;
        rows.Add(("load generator", self, Per(self)));
        var machine = (double)(end.MachineBusy - start.MachineBusy) / ticksPerSecond;
        rows.Add(("rest of the machine", Math.Max(0, machine - ours - self), Per(Math.Max(0, machine - ours - self))));
        return rows;
    }

    public static string Table(CpuSample start, CpuSample end, int payments, long ticksPerSecond)
    {
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        var busy = (double)(end.MachineBusy - start.MachineBusy) / Math.Max(1, end.MachineTotal - start.MachineTotal);
        var lines = new List<string>
        {
            $"CPU per paid contribution ({payments} payments, {wall:F1} s window, machine {busy:P0} busy):",
            $"  {"process",-26} {"CPU-s",8} {"CPU-ms/payment",15}",
        };
        lines.AddRange(Rows(start, end, payments, ticksPerSecond).Select(r => $"  {r.Name,-26} {r.CpuSeconds,8:F1} {r.MsPerPayment,15:F1}"));
        return string.Join('\n', lines);
    }
}
