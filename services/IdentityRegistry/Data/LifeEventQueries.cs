using Medins.IdentityRegistry.Domain;
using Npgsql;

namespace Medins.IdentityRegistry.Data;

public sealed record LifeEventRow(Guid LifeEventId, Guid ResidentId, LifeEventKind Kind, DateOnly OccurredOn,
    string EvidenceReference, DateTimeOffset RecordedAt);

public static class LifeEventQueries
{
    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, LifeEventRow row, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO life_events (tenant_id, life_event_id, resident_id, kind, occurred_on, evidence_reference, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = row.LifeEventId });
        cmd.Parameters.Add(new() { Value = row.ResidentId });
        cmd.Parameters.Add(new() { Value = LifeEvents.Code(row.Kind) });
        cmd.Parameters.Add(new() { Value = row.OccurredOn });
        cmd.Parameters.Add(new() { Value = row.EvidenceReference });
        cmd.Parameters.Add(new() { Value = row.RecordedAt });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<List<LifeEventRow>> ListForAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid residentId, CancellationToken ct) =>
        [.. (await ListForManyAsync(conn, tx, tenantId, [residentId], ct))[residentId]];

    /// <summary>The life events of many residents, each one's oldest first, in one query.</summary>
    public static async Task<ILookup<Guid, LifeEventRow>> ListForManyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyCollection<Guid> residentIds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT life_event_id, resident_id, kind, occurred_on, evidence_reference, recorded_at FROM life_events
            WHERE tenant_id = $1 AND resident_id = ANY($2) ORDER BY resident_id, occurred_on, recorded_at
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentIds.ToArray() });
        var rows = new List<LifeEventRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new LifeEventRow(reader.GetGuid(0), reader.GetGuid(1), LifeEvents.Parse(reader.GetString(2)),
                reader.GetFieldValue<DateOnly>(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        return rows.ToLookup(r => r.ResidentId);
    }

    public static async Task DeregisterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        DateOnly on, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE residents SET deregistered_on = $3 WHERE tenant_id = $1 AND resident_id = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = on });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Stores the suspension her events leave standing (null: none).</summary>
    public static async Task SetSuspensionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid residentId,
        Suspension? suspension, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "UPDATE residents SET suspended_on = $3, suspended_by = $4 WHERE tenant_id = $1 AND resident_id = $2", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = residentId });
        cmd.Parameters.Add(new() { Value = (object?)suspension?.Since ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
        cmd.Parameters.Add(new()
        {
            Value = suspension is null ? DBNull.Value : LifeEvents.Code(suspension.Reason), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
        });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
