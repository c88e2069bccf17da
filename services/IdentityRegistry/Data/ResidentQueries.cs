using Medins.IdentityRegistry.Domain;
using Npgsql;

namespace Medins.IdentityRegistry.Data;

/// <summary>
/// A resident as stored: identifiers as ciphertext. <see cref="RegistrationType"/> is the stored text
/// (<c>household_registered</c>, <c>resident_from_elsewhere</c>, <c>student</c>, <c>residence_permit</c>).
/// </summary>
public sealed record ResidentRow(string TenantId, Guid ResidentId, byte[] NationalIdEncrypted, byte[] NationalIdHash,
    DateOnly BirthDate, Sex Sex, string Name, string VillageCode, string? HouseholdNumber, string RegistrationType,
    byte[]? PhoneEncrypted, DateTimeOffset CreatedAt, string? Relationship = null, DateOnly? DeregisteredOn = null,
    Suspension? Suspension = null);

public static class ResidentQueries
{
    private const string Columns = """
        tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name, village_code,
        household_number, registration_type, phone_encrypted, created_at, relationship, deregistered_on, suspended_on, suspended_by
        """;

    /// <summary>Inserts unless the person is already registered in the tenant; returns whether it inserted.</summary>
    public static async Task<bool> TryInsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResidentRow row, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO residents ({Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL)
            ON CONFLICT (tenant_id, national_id_hash) DO NOTHING
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = row.TenantId });
        cmd.Parameters.Add(new() { Value = row.ResidentId });
        cmd.Parameters.Add(new() { Value = row.NationalIdEncrypted });
        cmd.Parameters.Add(new() { Value = row.NationalIdHash });
        cmd.Parameters.Add(new() { Value = row.BirthDate });
        cmd.Parameters.Add(new() { Value = SexText(row.Sex) });
        cmd.Parameters.Add(new() { Value = row.Name });
        cmd.Parameters.Add(new() { Value = row.VillageCode });
        cmd.Parameters.Add(new() { Value = (object?)row.HouseholdNumber ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = row.RegistrationType });
        cmd.Parameters.Add(new() { Value = (object?)row.PhoneEncrypted ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new() { Value = row.CreatedAt });
        cmd.Parameters.Add(new() { Value = (object?)row.Relationship ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public static async Task<Guid?> FindByLookupHashAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        byte[] nationalIdHash, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT resident_id FROM residents WHERE tenant_id = $1 AND national_id_hash = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = nationalIdHash });
        return await cmd.ExecuteScalarAsync(ct) as Guid?;
    }

    public static async Task<ResidentRow?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid residentId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {Columns} FROM residents WHERE tenant_id = $1 AND resident_id = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>The residents of these ids the tenant holds, in no particular order.</summary>
    public static async Task<List<ResidentRow>> GetManyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyCollection<Guid> residentIds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {Columns} FROM residents WHERE tenant_id = $1 AND resident_id = ANY($2)", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentIds.ToArray() });
        var rows = new List<ResidentRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return rows;
    }

    /// <summary>Reads and locks one resident, so concurrent changes to her apply one after the other.</summary>
    public static async Task<ResidentRow?> GetForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid residentId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {Columns} FROM residents WHERE tenant_id = $1 AND resident_id = $2 FOR NO KEY UPDATE", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Locks the resident so concurrent payment events for her apply one after the other; false if unknown.</summary>
    public static async Task<bool> LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT 1 FROM residents WHERE tenant_id = $1 AND resident_id = $2 FOR NO KEY UPDATE", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>One page in resident id order after <paramref name="after"/>, optionally of one village.</summary>
    public static async Task<List<ResidentRow>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string villageCode, Guid after, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT {Columns} FROM residents
            WHERE tenant_id = $1 AND ($2 = '' OR village_code = $2) AND resident_id > $3
            ORDER BY resident_id
            LIMIT $4
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = villageCode });
        cmd.Parameters.Add(new() { Value = after });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<ResidentRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return rows;
    }

    /// <summary>The registered members of one household booklet, head first.</summary>
    public static async Task<List<ResidentRow>> ListByHouseholdAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string householdNumber, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT {Columns} FROM residents WHERE tenant_id = $1 AND household_number = $2
            ORDER BY relationship = 'head' DESC, birth_date, resident_id
            LIMIT 200
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = householdNumber });
        var rows = new List<ResidentRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return rows;
    }

    /// <summary>Reads the resident columns in <see cref="Columns"/> order, starting at column <paramref name="first"/>.</summary>
    public static ResidentRow Read(NpgsqlDataReader r, int first = 0) => new(
        r.GetString(first), r.GetGuid(first + 1), (byte[])r[first + 2], (byte[])r[first + 3], r.GetFieldValue<DateOnly>(first + 4),
        r.GetString(first + 5) == "male" ? Sex.Male : Sex.Female, r.GetString(first + 6), r.GetString(first + 7),
        r.IsDBNull(first + 8) ? null : r.GetString(first + 8), r.GetString(first + 9), r.IsDBNull(first + 10) ? null : (byte[])r[first + 10],
        r.GetFieldValue<DateTimeOffset>(first + 11), r.IsDBNull(first + 12) ? null : r.GetString(first + 12),
        r.IsDBNull(first + 13) ? null : r.GetFieldValue<DateOnly>(first + 13),
        r.IsDBNull(first + 14) ? null : new Suspension(r.GetFieldValue<DateOnly>(first + 14), LifeEvents.Parse(r.GetString(first + 15))));

    /// <summary>The resident columns <see cref="Read"/> expects, each prefixed with <paramref name="alias"/>.</summary>
    public static string ColumnsOf(string alias) =>
        string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries).Select(c => $"{alias}.{c}"));

    private static string SexText(Sex sex) => sex == Sex.Male ? "male" : "female";
}
