using Medins.IdentityRegistry.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Medins.IdentityRegistry.Data;

public sealed record CertifiedIdentityRow(string TenantId, Guid IdentityId, Guid ResidentId, string Category, string? LocalCode,
    Department Department, DateOnly ValidFrom, DateOnly? ValidTo, int? ImportStep, Guid? BatchId, DateTimeOffset CertifiedAt,
    DateTimeOffset? RevokedAt, string? RevokeReason, string VillageCode = "");

public static class IdentityQueries
{
    private const string Columns = """
        tenant_id, identity_id, resident_id, category, local_code, department, valid_from, valid_to, import_step, batch_id,
        certified_at, revoked_at, revoke_reason, village_code
        """;

    public static async Task<Dictionary<string, IdentityCode>> VocabularyAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT local_code, category, department, import_step FROM identity_codes WHERE tenant_id = $1", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        var codes = new Dictionary<string, IdentityCode>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            codes[reader.GetString(0)] = new IdentityCode(reader.GetString(0), reader.GetString(1),
                Departments.Parse(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetInt32(3));
        return codes;
    }

    /// <summary>Resident ids and villages by lookup hash (hex), for the hashes registered in the tenant.</summary>
    public static async Task<Dictionary<string, (Guid ResidentId, string VillageCode)>> ResidentsByHashAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IReadOnlyCollection<byte[]> hashes, CancellationToken ct)
    {
        var found = new Dictionary<string, (Guid, string)>();
        if (hashes.Count == 0) return found;
        await using var cmd = new NpgsqlCommand(
            "SELECT national_id_hash, resident_id, village_code FROM residents WHERE tenant_id = $1 AND national_id_hash = ANY($2)", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = hashes.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found[Convert.ToHexString((byte[])reader[0])] = (reader.GetGuid(1), reader.GetString(2));
        return found;
    }

    /// <summary>The unrevoked identities of the given residents (within validity or not).</summary>
    public static async Task<List<CertifiedIdentityRow>> UnrevokedForAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IReadOnlyCollection<Guid> residentIds, CancellationToken ct)
    {
        var rows = new List<CertifiedIdentityRow>();
        if (residentIds.Count == 0) return rows;
        await using var cmd = new NpgsqlCommand($"""
            SELECT {Columns} FROM certified_identities
            WHERE tenant_id = $1 AND resident_id = ANY($2) AND revoked_at IS NULL
            ORDER BY resident_id, import_step NULLS FIRST, category
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentIds.ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return rows;
    }

    public static async Task<CertifiedIdentityRow?> GetForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid identityId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {Columns} FROM certified_identities WHERE tenant_id = $1 AND identity_id = $2 FOR UPDATE", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = identityId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public static async Task InsertBatchAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid batchId,
        string source, int certified, int unchanged, int rejected, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO identity_import_batches (tenant_id, batch_id, source, certified_count, unchanged_count, rejected_count, imported_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = batchId });
        cmd.Parameters.Add(new() { Value = source });
        cmd.Parameters.Add(new() { Value = certified });
        cmd.Parameters.Add(new() { Value = unchanged });
        cmd.Parameters.Add(new() { Value = rejected });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CertifiedIdentityRow row, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO certified_identities ({Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, $12)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = row.TenantId });
        cmd.Parameters.Add(new() { Value = row.IdentityId });
        cmd.Parameters.Add(new() { Value = row.ResidentId });
        cmd.Parameters.Add(new() { Value = row.Category });
        cmd.Parameters.Add(new() { Value = (object?)row.LocalCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = Departments.Code(row.Department) });
        cmd.Parameters.Add(new() { Value = row.ValidFrom });
        cmd.Parameters.Add(new() { Value = (object?)row.ValidTo ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        cmd.Parameters.Add(new() { Value = (object?)row.ImportStep ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = (object?)row.BatchId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new() { Value = row.CertifiedAt });
        cmd.Parameters.Add(new() { Value = row.VillageCode });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task RevokeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid identityId,
        string reason, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE certified_identities SET revoked_at = $3, revoke_reason = $4
            WHERE tenant_id = $1 AND identity_id = $2 AND revoked_at IS NULL
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = identityId });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static CertifiedIdentityRow Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        Departments.Parse(r.GetString(5)), r.GetFieldValue<DateOnly>(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7),
        r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetGuid(9), r.GetFieldValue<DateTimeOffset>(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetString(12), r.GetString(13));
}
