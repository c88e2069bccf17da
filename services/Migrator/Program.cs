using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Medins.Migrator;

public static class MigratorProgram
{
    /// <summary>The exit code of refused city data (a tenant without rules or policy, a deletion, an edited published policy).</summary>
    public const int RefusedExitCode = 3;

    /// <summary>
    /// Configuration: ConnectionStrings:Owner (a role that owns the schemas), Migrator:AppRolePasswords:&lt;app-id&gt;
    /// (each service login role's own password; Migrator:AppRolePassword, one for all, is a development fallback for
    /// a service without its own), Migrator:DemoCity=true to load the demo city, Migrator:CityData=<path> to load a city
    /// release's tenants, divisions, targets, identity codes, quota rules and policies (the Helm chart's city.json).
    /// Environment variables and --key=value arguments set them. <c>dead-letters ...</c> lists or replays dead letters instead (DeadLetterCommand).
    /// </summary>
    /// <summary>Loads the city data file; 0, or <see cref="RefusedExitCode"/> with every reason on <paramref name="error"/>.</summary>
    public static async Task<int> LoadCityDataAsync(NpgsqlDataSource owner, string path, TimeProvider time, TextWriter log,
        TextWriter error, CancellationToken ct = default)
    {
        try
        {
            await CityData.LoadAsync(owner, CityData.Parse(await File.ReadAllTextAsync(path, ct)), typeof(PlatformMigrator).Assembly,
                time, log, ct);
            return 0;
        }
        catch (CityDataRefusedException ex)
        {
            // Retrying cannot help: the chart's Job fails at once on this exit code (podFailurePolicy).
            await error.WriteLineAsync($"Migration refused: {ex.Message}");
            return RefusedExitCode;
        }
    }

    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == DeadLetterCommand.Name)
        {
            var connection = Environment.GetEnvironmentVariable("ConnectionStrings__Owner");
            if (string.IsNullOrWhiteSpace(connection))
            {
                await Console.Error.WriteLineAsync("Set ConnectionStrings__Owner.");
                return 2;
            }
            return await DeadLetterCommand.RunAsync(connection, args[1..], Console.Out, Console.Error);
        }

        // The local run's signing keys and database passwords (KeysCommand).
        if (args.Length > 0 && args[0] == KeysCommand.Name)
            return KeysCommand.Run(args[1..], TimeProvider.System, Console.Out, Console.Error);

        var config = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        var ownerConnection = config.GetConnectionString("Owner");
        var appPasswords = PlatformMigrator.ReadAppRolePasswords(config, out var shared, out var missing);
        if (string.IsNullOrWhiteSpace(ownerConnection) || missing.Count > 0)
        {
            await Console.Error.WriteLineAsync("Set ConnectionStrings__Owner and, for each service, Migrator__AppRolePasswords__<app-id>"
                + (missing.Count > 0 ? $" (missing: {string.Join(", ", missing)})." : "."));
            return 2;
        }
        if (shared.Count > 0)
            await Console.Error.WriteLineAsync(
                $"Warning: {string.Join(", ", shared)} share Migrator__AppRolePassword (development only): give each its own Migrator__AppRolePasswords__<app-id>.");

        await using var owner = NpgsqlDataSource.Create(ownerConnection);
        try
        {
            await PlatformMigrator.MigrateAsync(owner, appPasswords, config.GetValue("Migrator:DemoCity", false),
                TimeProvider.System, Console.Out);
            return config["Migrator:CityData"] is { Length: > 0 } cityDataPath
                ? await LoadCityDataAsync(owner, cityDataPath, TimeProvider.System, Console.Out, Console.Error)
                : 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or FormatException or System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync($"Migration failed: {ex.Message}");
            return 1;
        }
    }
}
