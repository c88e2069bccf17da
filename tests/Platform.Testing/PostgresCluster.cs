using System.Diagnostics;
using Npgsql;

namespace Medins.Platform.Testing;

/// <summary>
/// A private PostgreSQL cluster on loopback, built with this machine's own binaries. `./platform test` starts one
/// and names it in MEDINS_TEST_PG (an owner connection string) so every test process shares it; a test run
/// without it (an IDE, a bare `dotnet test`) starts its own, stopped when the process exits.
/// </summary>
public sealed class PostgresCluster
{
    public const string OwnerPassword = "medins-test-owner";
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartOrAttachAsync);

    public string OwnerConnectionString { get; }

    private PostgresCluster(string ownerConnectionString) => OwnerConnectionString = ownerConnectionString;

    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    private static async Task<PostgresCluster> StartOrAttachAsync()
    {
        var given = Environment.GetEnvironmentVariable("MEDINS_TEST_PG");
        if (!string.IsNullOrWhiteSpace(given)) return new PostgresCluster(given);

        var bin = FindBinaries();
        var root = Path.Combine(Path.GetTempPath(), "medins-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var passwordFile = Path.Combine(root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, OwnerPassword);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await Run("chown", $"-R postgres:postgres {root}");

        await RunPostgresTool(asRoot, Path.Combine(bin, "initdb"),
            $"-D {data} -U postgres --auth=scram-sha-256 --pwfile={passwordFile} -E UTF8 --locale=C.UTF-8 --no-sync");
        var port = FreePort();
        await RunPostgresTool(asRoot, Path.Combine(bin, "pg_ctl"),
            $"-D {data} -l {Path.Combine(root, "postgres.log")} -w -t 60 -o \"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400\" start");

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunPostgresTool(asRoot, Path.Combine(bin, "pg_ctl"), $"-D {data} -m immediate stop").GetAwaiter().GetResult();
                Directory.Delete(root, recursive: true);
            }
            catch (Exception)
            {
                // Best effort: the temporary folder is all that is left behind.
            }
        };
        return new PostgresCluster($"Host=127.0.0.1;Port={port};Username=postgres;Password={OwnerPassword};Database=postgres");
    }

    /// <summary>The folder with initdb and pg_ctl: MEDINS_PG_BIN, else the newest under /usr/lib/postgresql.</summary>
    public static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("MEDINS_PG_BIN");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        const string debianRoot = "/usr/lib/postgresql";
        var newest = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot).Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return newest ?? throw new InvalidOperationException("PostgreSQL server binaries not found: install postgresql or set MEDINS_PG_BIN.");
    }

    private static Task RunPostgresTool(bool asRoot, string tool, string arguments) =>
        // PostgreSQL refuses to run as root, so a root test run starts it as the postgres user.
        asRoot ? Run("runuser", $"-u postgres -- {tool} {arguments}") : Run(tool, arguments);

    private static async Task Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }

    /// <summary>A loopback port reserved for this test process (see <see cref="TestPorts"/>: no race with other ones).</summary>
    public static int FreePort() => TestPorts.Reserve();

    internal NpgsqlDataSource OwnerDataSource(string database) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(OwnerConnectionString) { Database = database, Pooling = false }.ConnectionString);
}
