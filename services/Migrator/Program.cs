using Medins.Migrator;
using Microsoft.Extensions.Configuration;
using Npgsql;

// Configuration: ConnectionStrings:Owner (a role that owns the schemas), Migrator:AppRolePassword (the services'
// login roles), Migrator:DemoCity=true to load the demo city. Environment variables and --key=value override.
var config = new ConfigurationBuilder()
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var ownerConnection = config.GetConnectionString("Owner");
var appPassword = config["Migrator:AppRolePassword"];
if (string.IsNullOrWhiteSpace(ownerConnection) || string.IsNullOrWhiteSpace(appPassword))
{
    Console.Error.WriteLine("Set ConnectionStrings__Owner and Migrator__AppRolePassword.");
    return 2;
}

await using var owner = NpgsqlDataSource.Create(ownerConnection);
try
{
    await PlatformMigrator.MigrateAsync(owner, appPassword, config.GetValue("Migrator:DemoCity", false),
        TimeProvider.System, Console.Out);
    return 0;
}
catch (NpgsqlException ex)
{
    Console.Error.WriteLine($"Migration failed: {ex.Message}");
    return 1;
}
