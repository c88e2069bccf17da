using Npgsql;

namespace Medins.Platform.Hosting.Data;

/// <summary>
/// Opens transactions in which PostgreSQL's row-level security sees exactly one tenant, the audited city scope
/// (read-only across tenants) or the system scope (infrastructure such as the outbox relay).
/// </summary>
public sealed class PlatformDatabase(NpgsqlDataSource dataSource, TimeProvider time)
{
    public NpgsqlDataSource DataSource => dataSource;

    public Task<T> InTenantAsync<T>(string tenantId, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return RunAsync(tenantId, "tenant", work, ct);
    }

    /// <summary>Reads across every tenant of the city; each use is recorded with who and why.</summary>
    public Task<T> InCityScopeAsync<T>(string actor, string operation, string reason,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        RunAsync("", "city", async (conn, tx) =>
        {
            await using (var audit = new NpgsqlCommand(
                "INSERT INTO city_scope_audit (actor, operation, reason, at) VALUES ($1, $2, $3, $4)", conn, tx))
            {
                audit.Parameters.Add(new() { Value = actor });
                audit.Parameters.Add(new() { Value = operation });
                audit.Parameters.Add(new() { Value = reason });
                audit.Parameters.Add(new() { Value = time.UtcNow() });
                await audit.ExecuteNonQueryAsync(ct);
            }
            return await work(conn, tx);
        }, ct);

    /// <summary>For platform infrastructure only (outbox relay, metrics): sees and writes every tenant's rows.</summary>
    public Task<T> InSystemScopeAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        RunAsync("", "system", work, ct);

    /// <summary>
    /// The statement that puts a batch run without an explicit transaction (one implicit transaction) in a tenant,
    /// for a read that needs no transaction of its own.
    /// </summary>
    public static NpgsqlBatchCommand TenantSettingCommand(string tenantId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        var set = new NpgsqlBatchCommand("SELECT set_config('medins.tenant_id', $1, true), set_config('medins.scope', 'tenant', true)");
        set.Parameters.Add(new() { Value = tenantId });
        return set;
    }

    private async Task<T> RunAsync<T>(string tenantId, string scope,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        // Set inside this async method, the mark is gone again for its caller once the transaction ends.
        RemoteCallGuard.MarkTransactionOpen();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand(
            "SELECT set_config('medins.tenant_id', $1, true), set_config('medins.scope', $2, true), set_config('plan_cache_mode', $3, true)",
            conn, tx))
        {
            set.Parameters.Add(new() { Value = tenantId });
            set.Parameters.Add(new() { Value = scope });
            // Statements are prepared (see PlatformHostingExtensions.BuildDataSource). The system scope works the relay's
            // queue tables, which swing between empty and thousands of rows at a peak: a generic plan made while one
            // was empty would seq-scan it once it backs up, so those are planned from the tables' size each time.
            set.Parameters.Add(new() { Value = scope == "system" ? "force_custom_plan" : "auto" });
            await set.ExecuteNonQueryAsync(ct);
        }
        var result = await work(conn, tx);
        await tx.CommitAsync(ct);
        return result;
    }
}
