using Medins.IdentityRegistry.Domain;
using Npgsql;

namespace Medins.IdentityRegistry.Data;

public sealed record LedgerRow(ResidentRow Resident, string[] Categories, string? RefusalReason, string? RefusalSignedBy);

public sealed record DuplicateRegistrationRow(byte[] NationalIdHash, string TenantId, Guid ResidentId, string VillageCode, string Name,
    DateTimeOffset CreatedAt, byte[] NationalIdEncrypted);

public static class LedgerQueries
{
    private const string EnrolledIn = """
        EXISTS (SELECT 1 FROM enrolments e WHERE e.tenant_id = r.tenant_id AND e.resident_id = r.resident_id
                AND e.coverage_year = {0} AND e.status = 'enrolled')
        """;

    // Enrolled this year, or excused from it by a refund whose reason means she is not expected to enrol (the
    // enrolment row says so; RefundReasons decides it from the reason's meaning).
    private const string AccountedFor = """
        EXISTS (SELECT 1 FROM enrolments e WHERE e.tenant_id = r.tenant_id AND e.resident_id = r.resident_id
                AND e.coverage_year = $5 AND (e.status = 'enrolled' OR e.excused_from_enrolment))
        """;

    private const string CurrentIdentity = """
        c.tenant_id = r.tenant_id AND c.resident_id = r.resident_id AND c.revoked_at IS NULL
        AND c.valid_from <= $6 AND (c.valid_to IS NULL OR c.valid_to >= $6)
        """;

    // Each ledger's own condition; every ledger leaves out the deregistered and the suspended (deregistered people leave
    // the count of who should enrol, seed 002 二（二）; suspended enrolment, seed 004 二（五）3). Fixed text only: nothing
    // here comes from a request. The resident population (常住人口, seed 003 六（二）) is everyone who lives here:
    // those registered here (seed 003 一（一）) as well as those registered elsewhere (一（二）); the registry knows
    // where people live only by registration, so nobody registered here is left out of it.
    private static string Condition(LedgerKind ledger) => ledger switch
    {
        LedgerKind.RegisteredNotEnrolled => "r.registration_type = 'household_registered' AND NOT " + AccountedFor,
        LedgerKind.ResidentPopulationNotEnrolled => "NOT " + AccountedFor,
        LedgerKind.EnrolledLastYearNotThisYear => string.Format(EnrolledIn, "$5 - 1") + " AND NOT " + AccountedFor,
        // The walk itself goes through current identities only.
        LedgerKind.SpecialIdentitiesNotEnrolled => "NOT " + AccountedFor,
        LedgerKind.Refused => "f.resident_id IS NOT NULL AND NOT " + AccountedFor,
        _ => throw new ArgumentOutOfRangeException(nameof(ledger)),
    };

    /// <summary>One page in (village, resident id) order after the given key, optionally of one village.</summary>
    public static async Task<List<LedgerRow>> PageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, LedgerKind ledger,
        int coverageYear, string villageCode, string afterVillage, Guid afterId, DateOnly today, int limit, CancellationToken ct)
    {
        // The special-identities ledger is sparse: it walks the current identities (in village order) instead of
        // every resident. DISTINCT ON keeps one line for a person holding several identities.
        var walk = ledger == LedgerKind.SpecialIdentitiesNotEnrolled
            ? """
              SELECT DISTINCT ON (ci.village_code, ci.resident_id) {0}
              FROM certified_identities ci
              JOIN residents r ON r.tenant_id = ci.tenant_id AND r.resident_id = ci.resident_id
              LEFT JOIN refusals f ON f.tenant_id = r.tenant_id AND f.resident_id = r.resident_id AND f.coverage_year = $5
              WHERE ci.tenant_id = $1 AND ci.revoked_at IS NULL AND ci.valid_from <= $6 AND (ci.valid_to IS NULL OR ci.valid_to >= $6)
                AND ($2 = '' OR ci.village_code = $2) AND (ci.village_code, ci.resident_id) > ($3, $4)
                AND {1}
              ORDER BY ci.village_code, ci.resident_id
              LIMIT $7
              """
            : """
              SELECT {0}
              FROM residents r
              LEFT JOIN refusals f ON f.tenant_id = r.tenant_id AND f.resident_id = r.resident_id AND f.coverage_year = $5
              WHERE r.tenant_id = $1 AND ($2 = '' OR r.village_code = $2) AND (r.village_code, r.resident_id) > ($3, $4)
                AND {1}
              ORDER BY r.village_code, r.resident_id
              LIMIT $7
              """;
        var columns = $"""
            {ResidentQueries.ColumnsOf("r")},
            ARRAY(SELECT c.category FROM certified_identities c WHERE {CurrentIdentity} ORDER BY c.category),
            f.reason, f.signed_by
            """;
        // Deregistered (death, moved away) or suspended (army, prison, employee or other-region insurance) from a date
        // on or before today: not expected to enrol.
        var conditions = $"""
            (r.deregistered_on IS NULL OR r.deregistered_on > $6)
            AND (r.suspended_on IS NULL OR r.suspended_on > $6)
            AND {Condition(ledger)}
            """;
        await using var cmd = new NpgsqlCommand(string.Format(walk, columns, conditions), conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = villageCode });
        cmd.Parameters.Add(new() { Value = afterVillage });
        cmd.Parameters.Add(new() { Value = afterId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = today });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<LedgerRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            const int own = ResidentQueries.ColumnCount;
            rows.Add(new LedgerRow(ResidentQueries.Read(reader), reader.GetFieldValue<string[]>(own),
                reader.IsDBNull(own + 1) ? null : reader.GetString(own + 1), reader.IsDBNull(own + 2) ? null : reader.GetString(own + 2)));
        }
        return rows;
    }

    public static async Task UpsertRefusalAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        int coverageYear, string reason, string signedBy, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO refusals (tenant_id, resident_id, coverage_year, reason, signed_by, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, resident_id, coverage_year) DO UPDATE SET
              reason = excluded.reason, signed_by = excluded.signed_by, recorded_at = excluded.recorded_at
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = reason });
        cmd.Parameters.Add(new() { Value = signedBy });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Registrations of people registered in more than one tenant, for up to <paramref name="limit"/> people after
    /// <paramref name="afterHash"/> in hash order. City scope only: it reads across tenants.
    /// </summary>
    public static async Task<List<DuplicateRegistrationRow>> DuplicatesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, byte[] afterHash,
        int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT r.national_id_hash, r.tenant_id, r.resident_id, r.village_code, r.name, r.created_at, r.national_id_encrypted
            FROM residents r
            WHERE r.national_id_hash IN (
              SELECT national_id_hash FROM residents WHERE national_id_hash > $1
              GROUP BY national_id_hash HAVING count(*) > 1
              ORDER BY national_id_hash LIMIT $2)
            ORDER BY r.national_id_hash, r.tenant_id
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = afterHash });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<DuplicateRegistrationRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new DuplicateRegistrationRow((byte[])reader[0], reader.GetString(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), (byte[])reader[6]));
        return rows;
    }
}
