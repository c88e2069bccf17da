using Npgsql;

namespace Medins.IdentityRegistry.Data;

/// <summary>A division as stored; <see cref="Level"/> is <c>city</c>, <c>county</c>, <c>township</c> or <c>village</c>.</summary>
public sealed record DivisionRow(string TenantId, string Code, string Name, string Level, string? ParentCode);

public static class DivisionQueries
{
    /// <summary>The tenant id of the city's own rows (the level above every tenant).</summary>
    public const string CityTenant = "city";

    public static async Task<bool> IsVillageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string code,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT 1 FROM divisions WHERE tenant_id = $1 AND code = $2 AND level = 'village'", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = code });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>
    /// One page in (tenant, code) order after <paramref name="afterTenant"/>/<paramref name="afterCode"/>; a null
    /// <paramref name="tenantId"/> spans every tenant the transaction may see.
    /// </summary>
    public static async Task<List<DivisionRow>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string? tenantId,
        string parentCode, string afterTenant, string afterCode, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT tenant_id, code, name, level, parent_code FROM divisions
            WHERE ($1::text IS NULL OR tenant_id = $1)
              AND ($2 = '' OR parent_code = $2)
              AND (tenant_id, code) > ($3, $4)
            ORDER BY tenant_id, code
            LIMIT $5
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = parentCode });
        cmd.Parameters.Add(new() { Value = afterTenant });
        cmd.Parameters.Add(new() { Value = afterCode });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<DivisionRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new DivisionRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        return rows;
    }

    /// <summary>The tenant's villages with their registered population (null where none is recorded), in code order.</summary>
    public static async Task<List<(string Code, int? RegisteredPopulation)>> VillagesWithPopulationAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT code, registered_population FROM divisions WHERE tenant_id = $1 AND level = 'village' ORDER BY code", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        var villages = new List<(string, int?)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) villages.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1)));
        return villages;
    }
}
