using Medins.Platform.Hosting.Data;

namespace Medins.Platform.Hosting;

/// <summary>A service's identity: its Dapr app id, its PostgreSQL schema and the migrations that schema needs.</summary>
public sealed record PlatformServiceInfo(string Name, string Schema, IReadOnlyList<Migration> Migrations)
{
    public int ExpectedMigrationVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;
}
