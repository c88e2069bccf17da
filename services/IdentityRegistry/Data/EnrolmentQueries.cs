using System.Text.Json;
using Medins.IdentityRegistry.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Medins.IdentityRegistry.Data;

public sealed record EnrolmentRow(Guid ResidentId, int CoverageYear, EnrolmentState State, DateTimeOffset UpdatedAt);

public static class EnrolmentQueries
{
    private const string Columns = """
        resident_id, coverage_year, status, order_id, personal_amount_fen, benefit_start, benefit_end, updated_at,
        refund_reason, excused_from_enrolment, subsidy_lines
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<EnrolmentState?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid residentId, int coverageYear, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT {Columns}
            FROM enrolments WHERE tenant_id = $1 AND resident_id = $2 AND coverage_year = $3
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader).State : null;
    }

    public static async Task UpsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        int coverageYear, EnrolmentState state, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO enrolments (tenant_id, resident_id, coverage_year, status, order_id, personal_amount_fen,
                                    benefit_start, benefit_end, updated_at, refund_reason, excused_from_enrolment, subsidy_lines)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (tenant_id, resident_id, coverage_year) DO UPDATE SET
              status = excluded.status, order_id = excluded.order_id, personal_amount_fen = excluded.personal_amount_fen,
              benefit_start = excluded.benefit_start, benefit_end = excluded.benefit_end, updated_at = excluded.updated_at,
              refund_reason = excluded.refund_reason, excused_from_enrolment = excluded.excused_from_enrolment,
              subsidy_lines = excluded.subsidy_lines
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = StatusText(state.Status) });
        cmd.Parameters.Add(new() { Value = (object?)state.OrderId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = state.PersonalAmountFen });
        cmd.Parameters.Add(new() { Value = (object?)state.BenefitStart ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        cmd.Parameters.Add(new() { Value = (object?)state.BenefitEnd ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = (object?)state.RefundReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = state.ExcusedFromEnrolment });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(state.SubsidyLines.Lines, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A paid enrolment of a past year as the provincial roster states it (tier 0: not stated).</summary>
    public sealed record PriorEnrolment(Guid ResidentId, int CoverageYear, int Tier, long PaidAmountFen);

    /// <summary>The prior enrolments one import wrote in a village for a coverage year.</summary>
    public sealed record PriorVillageTotals(int CoverageYear, string VillageCode, long Enrolled, long Paid, long ZeroContribution,
        long CollectedFen);

    /// <summary>
    /// Records paid enrolments from the provincial roster of a past year in one statement: no order here, no benefit
    /// dates (the roster states none), the roster's tier and amount. Replaces only rows that are not an enrolment.
    /// </summary>
    public static async Task<List<PriorVillageTotals>> UpsertPriorAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyCollection<PriorEnrolment> rows, DateTimeOffset now, CancellationToken ct)
    {
        var totals = new List<PriorVillageTotals>();
        if (rows.Count == 0) return totals;
        // The rows the statement wrote, summed per year and village: what quota-tracking adds to last year's counters.
        await using var cmd = new NpgsqlCommand("""
            WITH written AS (
            INSERT INTO enrolments (tenant_id, resident_id, coverage_year, status, personal_amount_fen, updated_at, source, tier)
            SELECT $1, r.resident_id, r.coverage_year, 'enrolled', r.paid, $2, 'prior_roster', NULLIF(r.tier, 0)
            FROM unnest($3::uuid[], $4::int[], $5::smallint[], $6::bigint[]) AS r (resident_id, coverage_year, tier, paid)
            ON CONFLICT (tenant_id, resident_id, coverage_year) DO UPDATE SET
              status = 'enrolled', order_id = NULL, personal_amount_fen = excluded.personal_amount_fen, benefit_start = NULL,
              benefit_end = NULL, updated_at = excluded.updated_at, refund_reason = NULL, excused_from_enrolment = false,
              subsidy_lines = '[]', source = 'prior_roster', tier = excluded.tier
            WHERE enrolments.status IN ('not_enrolled', 'refused')
            RETURNING resident_id, coverage_year, personal_amount_fen)
            SELECT w.coverage_year, r.village_code, count(*), count(*) FILTER (WHERE w.personal_amount_fen > 0),
                   count(*) FILTER (WHERE w.personal_amount_fen = 0), coalesce(sum(w.personal_amount_fen), 0)::bigint
            FROM written w JOIN residents r ON r.tenant_id = $1 AND r.resident_id = w.resident_id
            GROUP BY w.coverage_year, r.village_code
            ORDER BY w.coverage_year, r.village_code COLLATE "C"
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = rows.Select(r => r.ResidentId).ToArray() });
        cmd.Parameters.Add(new() { Value = rows.Select(r => r.CoverageYear).ToArray() });
        cmd.Parameters.Add(new() { Value = rows.Select(r => (short)r.Tier).ToArray() });
        cmd.Parameters.Add(new() { Value = rows.Select(r => r.PaidAmountFen).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            totals.Add(new PriorVillageTotals(reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5)));
        return totals;
    }

    /// <summary>Every enrolment of the given residents, by coverage year.</summary>
    public static async Task<ILookup<Guid, EnrolmentRow>> ListForAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IReadOnlyCollection<Guid> residentIds, CancellationToken ct)
    {
        var rows = new List<EnrolmentRow>();
        if (residentIds.Count > 0)
        {
            await using var cmd = new NpgsqlCommand($"""
                SELECT {Columns}
                FROM enrolments WHERE tenant_id = $1 AND resident_id = ANY($2)
                ORDER BY resident_id, coverage_year
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = residentIds.ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        }
        return rows.ToLookup(r => r.ResidentId);
    }

    private static EnrolmentRow Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetInt32(1),
        new EnrolmentState(ParseStatus(r.GetString(2)), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateOnly>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateOnly>(6))
        {
            RefundReason = r.IsDBNull(8) ? null : r.GetString(8),
            ExcusedFromEnrolment = r.GetBoolean(9),
            SubsidyLines = new EnrolmentSubsidyLines(JsonSerializer.Deserialize<List<EnrolmentSubsidyLine>>(r.GetString(10), Json) ?? []),
        },
        r.GetFieldValue<DateTimeOffset>(7));

    private static string StatusText(EnrolmentStatus status) => status switch
    {
        EnrolmentStatus.NotEnrolled => "not_enrolled",
        EnrolmentStatus.Enrolled => "enrolled",
        EnrolmentStatus.Refunded => "refunded",
        EnrolmentStatus.Refused => "refused",
        EnrolmentStatus.RefundPending => "refund_pending",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    private static EnrolmentStatus ParseStatus(string text) => text switch
    {
        "not_enrolled" => EnrolmentStatus.NotEnrolled,
        "enrolled" => EnrolmentStatus.Enrolled,
        "refunded" => EnrolmentStatus.Refunded,
        "refused" => EnrolmentStatus.Refused,
        "refund_pending" => EnrolmentStatus.RefundPending,
        _ => throw new InvalidOperationException($"Unknown enrolment status '{text}'."),
    };
}
