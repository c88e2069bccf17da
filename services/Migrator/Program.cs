using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Medins.Migrator;

public static class MigratorProgram
{
    /// <summary>
    /// Configuration: ConnectionStrings:Owner (a role that owns the schemas), Migrator:AppRolePassword (the
    /// services' login roles), Migrator:DemoCity=true to load the demo city, Migrator:CityData=<path> to load a city
    /// release's tenants, divisions, targets and policies (the Helm chart's city.json). Environment variables and
    /// --key=value arguments set them. <c>dead-letters ...</c> lists or replays dead letters instead (DeadLetterCommand).
    /// </summary>
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
        var appPassword = config["Migrator:AppRolePassword"];
        if (string.IsNullOrWhiteSpace(ownerConnection) || string.IsNullOrWhiteSpace(appPassword))
        {
            await Console.Error.WriteLineAsync("Set ConnectionStrings__Owner and Migrator__AppRolePassword.");
            return 2;
        }

        await using var owner = NpgsqlDataSource.Create(ownerConnection);
        try
        {
            await PlatformMigrator.MigrateAsync(owner, appPassword, config.GetValue("Migrator:DemoCity", false),
                TimeProvider.System, Console.Out);
            if (config["Migrator:CityData"] is { Length: > 0 } cityDataPath)
                await CityData.LoadAsync(owner, CityData.Parse(await File.ReadAllTextAsync(cityDataPath)),
                    typeof(PlatformMigrator).Assembly, TimeProvider.System, Console.Out);
            return 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or FormatException or System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync($"Migration failed: {ex.Message}");
            return 1;
        }
    }
}
