using System.Net;
using System.Net.Sockets;

namespace Medins.Platform.Testing;

/// <summary>
/// Loopback ports for the servers and processes tests start, without the race of "bind port 0, close, hand the
/// number on". That number comes from the kernel's ephemeral range, from which the kernel also picks the local
/// port of every outgoing connection and every other bind to port 0, so while test assemblies run in parallel
/// (each with its database and HTTP connections) the port is often taken again before the child binds it.
///
/// Why not let each child bind port 0 and report what it got: the platform's processes are configured with each
/// other's addresses (event subscribers, gRPC upstreams, the gateway's routes) before they start, and the cycle
/// (every service subscribes to the others) cannot be ordered. So instead the port is chosen where nothing else
/// can take it by accident: below the ephemeral range, which the kernel never assigns on its own; and every test
/// process on the machine takes an exclusive lock file per port (in the temp folder, held until the process
/// exits), so two test processes never pick the same one, and a process restarted by a test gets its port back.
/// A port some unrelated program listens on is skipped by a test bind; the end-to-end harness still retries a
/// start that failed with "address already in use", for a program that binds one later.
/// Linked into Gateway.Tests as source, hence internal.
/// </summary>
internal static class TestPorts
{
    private const int Lowest = 20000;
    private static readonly object Gate = new();
    private static readonly List<FileStream> Held = [];
    private static readonly string LockFolder = Path.Combine(Path.GetTempPath(), "medins-test-ports");

    /// <summary>A port no one listens on now, reserved for this process until it exits.</summary>
    public static int Reserve()
    {
        var (first, last) = Range();
        if (last - first < 100) return Ephemeral();
        Directory.CreateDirectory(LockFolder);
        var span = last - first + 1;
        var start = Random.Shared.Next(span);
        lock (Gate)
        {
            for (var i = 0; i < span; i++)
            {
                var port = first + (start + i) % span;
                var held = TryLock(port);
                if (held is null) continue;
                if (!CanBind(port))
                {
                    held.Dispose();
                    continue;
                }
                Held.Add(held);
                return port;
            }
        }
        throw new InvalidOperationException($"No free loopback port between {first} and {last}.");
    }

    /// <summary>[20000, start of the ephemeral range).</summary>
    private static (int First, int Last) Range()
    {
        var ephemeralStart = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'],
                StringSplitOptions.RemoveEmptyEntries);
            if (text.Length >= 1 && int.TryParse(text[0], out var start)) ephemeralStart = start;
        }
        catch (IOException)
        {
            // Not Linux: keep the common default.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (Lowest, ephemeralStart - 1);
    }

    private static FileStream? TryLock(int port)
    {
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: other test processes cannot open it.
            return new FileStream(Path.Combine(LockFolder, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite,
                FileShare.None, bufferSize: 1);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The platform's processes listen on every address (IPv6 any, dual mode), so test that.</summary>
    private static bool CanBind(int port)
    {
        try
        {
            using var socket = Socket.OSSupportsIPv6
                ? new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true }
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, port));
            socket.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>No room below the ephemeral range on this machine: the old way, racy but better than nothing.</summary>
    private static int Ephemeral()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
