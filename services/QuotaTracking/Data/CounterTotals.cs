using Medins.Platform.Hosting.Data;
using Medins.QuotaTracking.Domain;
using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>
/// The counter deltas of a batch of events, summed per row and written once per row at the end, rows in key order:
/// a village's counter row is updated once per batch instead of once per event, and two batches lock shared rows in
/// the same order, so they queue rather than deadlock. Sums are exact: every counter write is a relative upsert.
/// </summary>
public sealed class CounterTotals
{
    private readonly Dictionary<(string Tenant, int Year, string Village), CountDelta> _villages = [];
    private readonly Dictionary<(string Tenant, int Year, string Village, string Dimension, string Value), CountDelta> _breakdowns = [];
    private readonly Dictionary<(string Tenant, int Year, string Village, string Fund, string Category), (long People, long AmountFen, string Description)> _lines = [];
    private readonly Dictionary<(string Tenant, int Year, string Village, string Fund), long> _funds = [];
    private DateTimeOffset _now;

    public bool IsEmpty => _villages.Count == 0 && _breakdowns.Count == 0 && _lines.Count == 0 && _funds.Count == 0;

    public void Village(string tenantId, int year, string village, CountDelta delta, DateTimeOffset now)
    {
        Touch(now);
        _villages[(tenantId, year, village)] = Plus(_villages.GetValueOrDefault((tenantId, year, village)), delta);
    }

    public void Breakdown(string tenantId, int year, string village, string dimension, string value, CountDelta delta, DateTimeOffset now)
    {
        Touch(now);
        var key = (tenantId, year, village, dimension, value);
        _breakdowns[key] = Plus(_breakdowns.GetValueOrDefault(key), delta);
    }

    public void Line(string tenantId, int year, string village, string fund, string category, long people, long amountFen, string description,
        DateTimeOffset now)
    {
        Touch(now);
        var key = (tenantId, year, village, fund, category);
        var known = _lines.GetValueOrDefault(key, (0, 0, ""));
        // As the single upsert does: an empty description keeps the one before.
        _lines[key] = (known.People + people, known.AmountFen + amountFen, description.Length > 0 ? description : known.Description);
    }

    public void Fund(string tenantId, int year, string village, string fund, long people, DateTimeOffset now)
    {
        Touch(now);
        _funds[(tenantId, year, village, fund)] = _funds.GetValueOrDefault((tenantId, year, village, fund)) + people;
    }

    /// <summary>One statement per counter table (village rows first, as a single event locks them), rows in key order.</summary>
    public async Task FlushAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        if (IsEmpty) return;
        await using var batch = new NpgsqlBatch(conn, tx);
        if (_villages.Count > 0)
        {
            var rows = _villages.ToList();
            batch.BatchCommands.Add(Sql.BatchCommand("""
                INSERT INTO village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count, zero_contribution_count,
                  refunded_count, collected_amount_fen, differential_refund_count, subsidy_amount_fen, updated_at)
                SELECT t, y, v, e, p, z, r, c, d, s, $11
                FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
                            $9::bigint[], $10::bigint[]) AS u(t, y, v, e, p, z, r, c, d, s)
                ORDER BY t COLLATE "C", y, v COLLATE "C"
                ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET
                  enrolled_count = village_counters.enrolled_count + EXCLUDED.enrolled_count,
                  paid_count = village_counters.paid_count + EXCLUDED.paid_count,
                  zero_contribution_count = village_counters.zero_contribution_count + EXCLUDED.zero_contribution_count,
                  refunded_count = village_counters.refunded_count + EXCLUDED.refunded_count,
                  collected_amount_fen = village_counters.collected_amount_fen + EXCLUDED.collected_amount_fen,
                  differential_refund_count = village_counters.differential_refund_count + EXCLUDED.differential_refund_count,
                  subsidy_amount_fen = village_counters.subsidy_amount_fen + EXCLUDED.subsidy_amount_fen,
                  updated_at = EXCLUDED.updated_at
                """,
                Column(rows, r => r.Key.Tenant), Column(rows, r => r.Key.Year), Column(rows, r => r.Key.Village),
                Column(rows, r => r.Value.Enrolled), Column(rows, r => r.Value.Paid), Column(rows, r => r.Value.ZeroContribution),
                Column(rows, r => r.Value.Refunded), Column(rows, r => r.Value.CollectedFen), Column(rows, r => r.Value.DifferentialRefunds),
                Column(rows, r => r.Value.SubsidyFen), _now));
        }
        if (_breakdowns.Count > 0)
        {
            var rows = _breakdowns.ToList();
            batch.BatchCommands.Add(Sql.BatchCommand("""
                INSERT INTO village_breakdown_counters (tenant_id, coverage_year, village_code, dimension, value, enrolled_count,
                  paid_count, zero_contribution_count, refunded_count, collected_amount_fen, updated_at)
                SELECT t, y, v, dim, val, e, p, z, r, c, $11
                FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
                            $9::bigint[], $10::bigint[]) AS u(t, y, v, dim, val, e, p, z, r, c)
                ORDER BY t COLLATE "C", y, v COLLATE "C", dim COLLATE "C", val COLLATE "C"
                ON CONFLICT (tenant_id, coverage_year, village_code, dimension, value) DO UPDATE SET
                  enrolled_count = village_breakdown_counters.enrolled_count + EXCLUDED.enrolled_count,
                  paid_count = village_breakdown_counters.paid_count + EXCLUDED.paid_count,
                  zero_contribution_count = village_breakdown_counters.zero_contribution_count + EXCLUDED.zero_contribution_count,
                  refunded_count = village_breakdown_counters.refunded_count + EXCLUDED.refunded_count,
                  collected_amount_fen = village_breakdown_counters.collected_amount_fen + EXCLUDED.collected_amount_fen,
                  updated_at = EXCLUDED.updated_at
                """,
                Column(rows, r => r.Key.Tenant), Column(rows, r => r.Key.Year), Column(rows, r => r.Key.Village),
                Column(rows, r => r.Key.Dimension), Column(rows, r => r.Key.Value),
                Column(rows, r => r.Value.Enrolled), Column(rows, r => r.Value.Paid), Column(rows, r => r.Value.ZeroContribution),
                Column(rows, r => r.Value.Refunded), Column(rows, r => r.Value.CollectedFen), _now));
        }
        if (_lines.Count > 0)
        {
            var rows = _lines.ToList();
            batch.BatchCommands.Add(Sql.BatchCommand("""
                INSERT INTO settlement_counters (tenant_id, coverage_year, village_code, funding_source, category, people_count,
                  amount_fen, description, updated_at)
                SELECT t, y, v, f, c, p, a, d, $9
                FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])
                  AS u(t, y, v, f, c, p, a, d)
                ORDER BY t COLLATE "C", y, v COLLATE "C", f COLLATE "C", c COLLATE "C"
                ON CONFLICT (tenant_id, coverage_year, village_code, funding_source, category) DO UPDATE SET
                  people_count = settlement_counters.people_count + EXCLUDED.people_count,
                  amount_fen = settlement_counters.amount_fen + EXCLUDED.amount_fen,
                  description = CASE WHEN EXCLUDED.description = '' THEN settlement_counters.description ELSE EXCLUDED.description END,
                  updated_at = EXCLUDED.updated_at
                """,
                Column(rows, r => r.Key.Tenant), Column(rows, r => r.Key.Year), Column(rows, r => r.Key.Village),
                Column(rows, r => r.Key.Fund), Column(rows, r => r.Key.Category),
                Column(rows, r => r.Value.People), Column(rows, r => r.Value.AmountFen), Column(rows, r => r.Value.Description), _now));
        }
        if (_funds.Count > 0)
        {
            var rows = _funds.ToList();
            batch.BatchCommands.Add(Sql.BatchCommand("""
                INSERT INTO settlement_fund_counters (tenant_id, coverage_year, village_code, funding_source, people_count, updated_at)
                SELECT t, y, v, f, p, $6 FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[]) AS u(t, y, v, f, p)
                ORDER BY t COLLATE "C", y, v COLLATE "C", f COLLATE "C"
                ON CONFLICT (tenant_id, coverage_year, village_code, funding_source) DO UPDATE SET
                  people_count = settlement_fund_counters.people_count + EXCLUDED.people_count, updated_at = EXCLUDED.updated_at
                """,
                Column(rows, r => r.Key.Tenant), Column(rows, r => r.Key.Year), Column(rows, r => r.Key.Village),
                Column(rows, r => r.Key.Fund), Column(rows, r => r.Value), _now));
        }
        await batch.ExecuteNonQueryAsync(ct);
        _villages.Clear();
        _breakdowns.Clear();
        _lines.Clear();
        _funds.Clear();
    }

    private void Touch(DateTimeOffset now)
    {
        if (now > _now) _now = now;
    }

    private static CountDelta Plus(CountDelta? a, CountDelta b) => a is null ? b : new(a.Enrolled + b.Enrolled, a.Paid + b.Paid,
        a.ZeroContribution + b.ZeroContribution, a.Refunded + b.Refunded, a.CollectedFen + b.CollectedFen,
        a.DifferentialRefunds + b.DifferentialRefunds, a.SubsidyFen + b.SubsidyFen);

    private static TValue[] Column<TKey, TRow, TValue>(List<KeyValuePair<TKey, TRow>> rows, Func<KeyValuePair<TKey, TRow>, TValue> pick) =>
        [.. rows.Select(pick)];
}
