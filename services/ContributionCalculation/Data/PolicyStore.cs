using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.ContributionCalculation.Data;

/// <summary>A published policy version; <see cref="DocumentText"/> is null when a listing left the document out.</summary>
public sealed record PolicyRow(
    string TenantId,
    int CoverageYear,
    int Version,
    string PolicyId,
    DateOnly EffectiveFrom,
    DateTimeOffset PublishedAt,
    string PublishedBy,
    IReadOnlyList<string> AppliesTo,
    string? DocumentText);

/// <summary>Which version prices a day: <see cref="InForce"/> is false when no version has taken effect yet and
/// this is the first one that will.</summary>
public sealed record PolicyVersionRef(string PolicyId, int Version, DateOnly EffectiveFrom, bool InForce);

/// <summary>The SQL of published policy versions; every call runs in a tenant (or audited city-scope) transaction.</summary>
public static class PolicyStore
{
    private const string Columns = """
        tenant_id, coverage_year, version, policy_id, effective_from, published_at, published_by, applies_to
        """;

    /// <summary>Policy ids name the tenant, year and version, so a payment's stored policy id alone identifies its rules.</summary>
    public static string PolicyIdOf(string tenantId, int coverageYear, int version) => $"{tenantId}-{coverageYear}-v{version}";

    /// <summary>
    /// The highest version whose effective_from is on or before <paramref name="day"/>; when none has taken effect,
    /// the version that will first (so the caller can say from when); null when the year has no policy at all.
    /// </summary>
    public static async Task<PolicyVersionRef?> FindForDayAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, DateOnly day, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT policy_id, version, effective_from, effective_from <= $3 AS in_force FROM policies
            WHERE tenant_id = $1 AND coverage_year = $2
            ORDER BY in_force DESC, CASE WHEN effective_from <= $3 THEN version END DESC NULLS LAST, effective_from, version DESC
            LIMIT 1
            """, tenantId, coverageYear, day);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new PolicyVersionRef(reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<DateOnly>(2), reader.GetBoolean(3));
    }

    public static async Task<string?> GetDocumentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, int version, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx,
            "SELECT document_text FROM policies WHERE tenant_id = $1 AND coverage_year = $2 AND version = $3",
            tenantId, coverageYear, version);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    public static async Task<PolicyRow?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, int version, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {Columns}, document_text FROM policies WHERE tenant_id = $1 AND coverage_year = $2 AND version = $3
            """, tenantId, coverageYear, version);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader, withDocument: true) : null;
    }

    /// <summary>
    /// Serialises publishing for one tenant and year until the transaction ends, so two concurrent publishes get
    /// consecutive versions rather than a key conflict.
    /// </summary>
    public static async Task<int> LockNextVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        int coverageYear, CancellationToken ct)
    {
        await using (var lockCmd = Sql.Command(conn, tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                         $"contribution_calculation|policies|{tenantId}|{coverageYear}"))
            await lockCmd.ExecuteNonQueryAsync(ct);
        await using var cmd = Sql.Command(conn, tx,
            "SELECT coalesce(max(version), 0) + 1 FROM policies WHERE tenant_id = $1 AND coverage_year = $2",
            tenantId, coverageYear);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <param name="documentJson">The document's content as plain JSON (comments removed) for the jsonb column.</param>
    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PolicyRow row, string documentJson,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO policies (tenant_id, coverage_year, version, policy_id, document, published_at,
              effective_from, document_text, published_by, applies_to)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            row.TenantId, row.CoverageYear, row.Version, row.PolicyId,
            Sql.Typed(documentJson, NpgsqlDbType.Jsonb),
            row.PublishedAt, row.EffectiveFrom, row.DocumentText!, row.PublishedBy, row.AppliesTo.ToArray());
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// One page in (tenant, year, version) order after the given key; a null <paramref name="tenantId"/> spans every
    /// tenant the transaction may see, a null <paramref name="coverageYear"/> every year.
    /// </summary>
    public static async Task<List<PolicyRow>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string? tenantId,
        int? coverageYear, (string TenantId, int CoverageYear, int Version) after, int limit, bool withDocument,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {Columns}{(withDocument ? ", document_text" : "")} FROM policies
            WHERE ($1::text IS NULL OR tenant_id = $1)
              AND ($2::int IS NULL OR coverage_year = $2)
              AND (tenant_id, coverage_year, version) > ($3, $4, $5)
            ORDER BY tenant_id, coverage_year, version
            LIMIT $6
            """,
            Sql.Typed(tenantId, NpgsqlDbType.Text), Sql.Typed(coverageYear, NpgsqlDbType.Integer),
            after.TenantId, after.CoverageYear, after.Version, limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<PolicyRow>();
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader, withDocument));
        return rows;
    }

    private static PolicyRow Read(NpgsqlDataReader reader, bool withDocument) => new(
        TenantId: reader.GetString(0),
        CoverageYear: reader.GetInt32(1),
        Version: reader.GetInt32(2),
        PolicyId: reader.GetString(3),
        EffectiveFrom: reader.GetFieldValue<DateOnly>(4),
        PublishedAt: reader.GetFieldValue<DateTimeOffset>(5),
        PublishedBy: reader.GetString(6),
        AppliesTo: reader.GetFieldValue<string[]>(7),
        DocumentText: withDocument ? reader.GetString(8) : null);
}
