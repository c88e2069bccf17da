using Npgsql;

namespace Medins.QuotaTracking.Data;

public enum RollupLevel { Township, County, City }

/// <summary>Counters and targets summed over a township, county or city (tenant empty for the city).</summary>
public sealed record DivisionRow(string TenantId, string Code, string Name, Counts Counts, long Base, long Task, long Reduced,
    int VillageCount, int VillagesWithoutTarget)
{
    /// <summary>The division's rate counts the people of villages with a target against their bases, so a village
    /// without a target cannot inflate it.</summary>
    public long EnrolledInTargetedVillages { get; init; }

    public Domain.Rate? EnrolmentRate => Domain.Rate.Of(EnrolledInTargetedVillages, Base - Reduced);

    public Domain.Rate? TaskCompletion => Domain.Rate.Of(EnrolledInTargetedVillages, Task - Reduced);
}

/// <summary>
/// Rolls village counters up the division tree. The work is one pass over the villages in scope (bounded by the
/// division tables), never over events; villages missing from the tree are summed under an empty code.
/// </summary>
public static class DivisionQueries
{
    /// <param name="tenantId">The tenant whose villages are summed, or empty for every tenant (city scope).</param>
    public static async Task<List<DivisionRow>> RollupAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, RollupLevel level, (string Tenant, string Code) after, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(SqlFor(level), conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = coverageYear });
        cmd.Parameters.Add(new() { Value = after.Tenant });
        cmd.Parameters.Add(new() { Value = after.Code });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<DivisionRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new DivisionRow(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                new Counts(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7),
                    reader.GetInt64(8), reader.GetInt64(9)),
                reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetInt32(13), reader.GetInt32(14))
            {
                EnrolledInTargetedVillages = reader.GetInt64(15),
            });
        return rows;
    }

    /// <summary>The roll-up for a level ($1 tenant or '', $2 year, $3/$4 the last key returned, $5 limit).</summary>
    internal static string SqlFor(RollupLevel level)
    {
        // The city level spans tenants, so its rows carry no tenant.
        var (groupTenant, groupCode, groupName) = level switch
        {
            RollupLevel.Township => ("v.tenant_id", "coalesce(tw.code, '')", "coalesce(tw.name, '')"),
            RollupLevel.County => ("v.tenant_id", "coalesce(co.code, '')", "coalesce(co.name, '')"),
            RollupLevel.City => ("''", "coalesce(ci.code, '')", "coalesce(ci.name, '')"),
            _ => throw new ArgumentOutOfRangeException(nameof(level)),
        };
                // One hash full join of targets and counters, and the division table read once: the row-level-security filter
        // makes the planner expect few rows, and per-village index probes are what a city of villages cannot afford.
        return $"""
            WITH t AS (SELECT * FROM village_targets WHERE ($1 = '' OR tenant_id = $1) AND coverage_year = $2),
            c AS (SELECT * FROM village_counters WHERE ($1 = '' OR tenant_id = $1) AND coverage_year = $2),
            v AS (
              SELECT coalesce(t.tenant_id, c.tenant_id) AS tenant_id, coalesce(t.village_code, c.village_code) AS village_code,
                     c.enrolled_count, c.paid_count, c.zero_contribution_count, c.refunded_count, c.collected_amount_fen,
                     c.differential_refund_count, c.subsidy_amount_fen,
                     t.village_code IS NOT NULL AS has_target, t.base, t.task, t.reduced_count
              FROM t FULL JOIN c ON c.tenant_id = t.tenant_id AND c.village_code = t.village_code),
            d AS MATERIALIZED (SELECT tenant_id, code, name, parent_code FROM divisions WHERE $1 = '' OR tenant_id IN ($1, 'city')),
            grouped AS (
              SELECT {groupTenant} AS tenant_id, {groupCode} AS code, {groupName} AS name,
                     coalesce(sum(v.enrolled_count), 0)::bigint AS enrolled, coalesce(sum(v.paid_count), 0)::bigint AS paid,
                     coalesce(sum(v.zero_contribution_count), 0)::bigint AS zero, coalesce(sum(v.refunded_count), 0)::bigint AS refunded,
                     coalesce(sum(v.collected_amount_fen), 0)::bigint AS collected,
                     coalesce(sum(v.differential_refund_count), 0)::bigint AS differential,
                     coalesce(sum(v.subsidy_amount_fen), 0)::bigint AS subsidy,
                     coalesce(sum(v.base), 0)::bigint AS base, coalesce(sum(v.task), 0)::bigint AS task,
                     coalesce(sum(v.reduced_count), 0)::bigint AS reduced,
                     count(*)::int AS villages, (count(*) FILTER (WHERE NOT v.has_target))::int AS untargeted,
                     -- Enrolled people of villages with a target: the numerator of the division's rate.
                     coalesce(sum(v.enrolled_count) FILTER (WHERE v.has_target), 0)::bigint AS enrolled_targeted
              FROM v
              LEFT JOIN d vd ON vd.tenant_id = v.tenant_id AND vd.code = v.village_code
              LEFT JOIN d tw ON tw.tenant_id = v.tenant_id AND tw.code = vd.parent_code
              LEFT JOIN d co ON co.tenant_id = v.tenant_id AND co.code = tw.parent_code
              LEFT JOIN d ci ON ci.tenant_id = 'city' AND ci.code = co.parent_code
              GROUP BY 1, 2, 3)
            SELECT tenant_id, code, name, enrolled, paid, zero, refunded, collected, differential, subsidy, base, task, reduced,
                   villages, untargeted, enrolled_targeted
            FROM grouped
            WHERE (tenant_id, code) > ($3, $4)
            ORDER BY tenant_id, code
            LIMIT $5
            """;
    }
}
