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
    Suspension? Suspension = null, PersonGroupFacts? PersonGroup = null, int DisabilityGrade = 0);

/// <summary>Her membership of a policy's person group, with its evidence (students: school, admission, school-year scheme).</summary>
public sealed record PersonGroupFacts(string Group, string? School, DateOnly? AdmittedOn, bool SchoolYearScheme, string? Evidence,
    DateTimeOffset RecordedAt);

public static class ResidentQueries
{
    private const string Columns = """
        tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name, village_code,
        household_number, registration_type, phone_encrypted, created_at, relationship, deregistered_on, suspended_on, suspended_by,
        person_group, person_group_school, person_group_admitted_on, person_group_school_year_scheme, person_group_evidence,
        person_group_recorded_at, disability_grade
        """;

    /// <summary>How many columns <see cref="Read"/> reads: a query's own columns after them start here.</summary>
    public const int ColumnCount = 23;

    /// <summary>Inserts unless the person is already registered in the tenant; returns whether it inserted.</summary>
    public static async Task<bool> TryInsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ResidentRow row, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO residents ({Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
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
        r.IsDBNull(first + 14) ? null : new Suspension(r.GetFieldValue<DateOnly>(first + 14), LifeEvents.Parse(r.GetString(first + 15))),
        r.IsDBNull(first + 16) ? null : new PersonGroupFacts(r.GetString(first + 16), r.IsDBNull(first + 17) ? null : r.GetString(first + 17),
            r.IsDBNull(first + 18) ? null : r.GetFieldValue<DateOnly>(first + 18), !r.IsDBNull(first + 19) && r.GetBoolean(first + 19),
            r.IsDBNull(first + 20) ? null : r.GetString(first + 20), r.GetFieldValue<DateTimeOffset>(first + 21)),
        r.IsDBNull(first + 22) ? 0 : r.GetInt16(first + 22));

    /// <summary>Records her person group (null: none) with its evidence.</summary>
    public static async Task SetPersonGroupAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        PersonGroupFacts? group, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE residents SET person_group = $3, person_group_school = $4, person_group_admitted_on = $5,
              person_group_school_year_scheme = $6, person_group_evidence = $7, person_group_recorded_at = $8
            WHERE tenant_id = $1 AND resident_id = $2
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = (object?)group?.Group ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)group?.School ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)group?.AdmittedOn ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
        cmd.Parameters.Add(new() { Value = group is null ? DBNull.Value : group.SchoolYearScheme, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
        cmd.Parameters.Add(new() { Value = (object?)group?.Evidence ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)group?.RecordedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records the grade of her disability certificate (0: none) and its evidence.</summary>
    public static async Task SetDisabilityGradeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        int grade, string? evidence, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE residents SET disability_grade = $3, disability_evidence = $4 WHERE tenant_id = $1 AND resident_id = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = grade == 0 ? DBNull.Value : (short)grade, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Smallint });
        cmd.Parameters.Add(new() { Value = grade == 0 ? DBNull.Value : (object?)evidence ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The registered residents among these lookup hashes, locked in resident id order (one writer at a time per person).</summary>
    public static async Task<Dictionary<string, Guid>> LockByLookupHashesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IReadOnlyCollection<byte[]> hashes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT national_id_hash, resident_id FROM residents
            WHERE tenant_id = $1 AND national_id_hash = ANY($2)
            ORDER BY resident_id
            FOR NO KEY UPDATE
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = hashes.ToArray() });
        var found = new Dictionary<string, Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found[Convert.ToHexString((byte[])reader[0])] = reader.GetGuid(1);
        return found;
    }

    /// <summary>The resident columns <see cref="Read"/> expects, each prefixed with <paramref name="alias"/>.</summary>
    public static string ColumnsOf(string alias) =>
        string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries).Select(c => $"{alias}.{c}"));

    private static string SexText(Sex sex) => sex == Sex.Male ? "male" : "female";
}
