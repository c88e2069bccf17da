using Npgsql;

namespace Medins.IdentityRegistry.Data;

public sealed record HouseholdRow(string HouseholdNumber, string VillageCode, int BookletMemberCount);

public static class HouseholdQueries
{
    public static async Task UpsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, HouseholdRow row,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO households (tenant_id, household_number, village_code, booklet_member_count, updated_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id, household_number) DO UPDATE SET
              village_code = excluded.village_code, booklet_member_count = excluded.booklet_member_count, updated_at = excluded.updated_at
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = row.HouseholdNumber });
        cmd.Parameters.Add(new() { Value = row.VillageCode });
        cmd.Parameters.Add(new() { Value = row.BookletMemberCount });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<HouseholdRow?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string householdNumber, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT household_number, village_code, booklet_member_count FROM households WHERE tenant_id = $1 AND household_number = $2",
            conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = householdNumber });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new HouseholdRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2)) : null;
    }
}
