using Npgsql;

namespace Medins.Platform.Hosting.Data;

/// <summary>
/// Applies numbered migrations to one service schema as the owner, and gives the service's login role access
/// to the tables without owning them (so row-level security applies to it).
/// </summary>
public static class MigrationRunner
{
    public static async Task<int> ApplyAsync(NpgsqlDataSource owner, string schema, string appRole, string appRolePassword,
        IReadOnlyList<Migration> migrations, TimeProvider time, CancellationToken ct = default)
    {
        await using var conn = await owner.OpenConnectionAsync(ct);
        // One migrator at a time, whichever process or pod started it.
        await Execute(conn, "SELECT pg_advisory_lock(hashtext('medins-migrations'))", ct);
        try
        {
            await EnsureRoleAsync(conn, appRole, appRolePassword, schema, ct);
            await Execute(conn, $"CREATE SCHEMA IF NOT EXISTS {Quote(schema)}", ct);
            await Execute(conn, $"""
                CREATE TABLE IF NOT EXISTS {Quote(schema)}.schema_migrations (
                  version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)
                """, ct);

            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand($"SELECT version FROM {Quote(schema)}.schema_migrations", conn))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetInt32(0));

            var count = 0;
            foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await Execute(conn, $"SET LOCAL search_path TO {Quote(schema)}", ct);
                await Execute(conn, migration.Sql, ct);
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", conn))
                {
                    record.Parameters.Add(new() { Value = migration.Version });
                    record.Parameters.Add(new() { Value = migration.Name });
                    record.Parameters.Add(new() { Value = time.UtcNow() });
                    await record.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                count++;
            }

            await Execute(conn, $"""
                GRANT USAGE ON SCHEMA {Quote(schema)} TO {Quote(appRole)};
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {Quote(schema)} TO {Quote(appRole)};
                REVOKE INSERT, UPDATE, DELETE ON {Quote(schema)}.schema_migrations FROM {Quote(appRole)};
                GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {Quote(schema)} TO {Quote(appRole)};
                """, ct);
            return count;
        }
        finally
        {
            await Execute(conn, "SELECT pg_advisory_unlock(hashtext('medins-migrations'))", CancellationToken.None);
        }
    }

    private static async Task EnsureRoleAsync(NpgsqlConnection conn, string role, string password, string schema, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(password);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", conn);
        exists.Parameters.Add(new() { Value = role });
        var verb = await exists.ExecuteScalarAsync(ct) is null ? "CREATE" : "ALTER";
        // DDL takes no parameters: quote the password as a literal on the server side.
        await using var ddl = new NpgsqlCommand(
            $"SELECT format('{verb} ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', $1::text, $2::text)", conn);
        ddl.Parameters.Add(new() { Value = role });
        ddl.Parameters.Add(new() { Value = password });
        var sql = (string)(await ddl.ExecuteScalarAsync(ct))!;
        await Execute(conn, sql, ct);
        await Execute(conn, $"ALTER ROLE {Quote(role)} SET search_path TO {Quote(schema)}", ct);
    }

    /// <summary>Sets an existing login role's password (login roles belong to the cluster, not to one database).</summary>
    public static async Task SetRolePasswordAsync(NpgsqlDataSource owner, string role, string password, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(password);
        await using var conn = await owner.OpenConnectionAsync(ct);
        await using var ddl = new NpgsqlCommand("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", conn);
        ddl.Parameters.Add(new() { Value = role });
        ddl.Parameters.Add(new() { Value = password });
        await Execute(conn, (string)(await ddl.ExecuteScalarAsync(ct))!, ct);
    }

    /// <summary>The highest migration version applied to a schema, or 0.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlConnection conn, string schema, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Quote(schema)}.schema_migrations", conn);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The versions among <paramref name="expected"/> not yet applied to a schema.</summary>
    public static async Task<IReadOnlyList<int>> MissingVersionsAsync(NpgsqlConnection conn, string schema, IEnumerable<int> expected,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT v FROM unnest($1::int[]) AS v WHERE v NOT IN (SELECT version FROM {Quote(schema)}.schema_migrations) ORDER BY v", conn);
        cmd.Parameters.Add(new() { Value = expected.ToArray() });
        var missing = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) missing.Add(reader.GetInt32(0));
        return missing;
    }

    private static async Task Execute(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
