using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Medins.Platform.Hosting.Data;

/// <summary>Ready when the database answers and the service's schema carries every migration it was built with.</summary>
public sealed class DatabaseReadyCheck(NpgsqlDataSource dataSource, PlatformServiceInfo service) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            var version = await MigrationRunner.CurrentVersionAsync(conn, service.Schema, ct);
            // Every version, not only the highest: platform migrations (9001 up) sort above the service's own.
            var missing = await MigrationRunner.MissingVersionsAsync(conn, service.Schema, service.Migrations.Select(m => m.Version), ct);
            return missing.Count == 0
                ? HealthCheckResult.Healthy($"schema {service.Schema} at {version}")
                : HealthCheckResult.Unhealthy($"schema {service.Schema} lacks {string.Join(", ", missing.Select(v => v.ToString("D4")))}: run the migrator");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("database unreachable: " + ex.Message);
        }
    }
}
