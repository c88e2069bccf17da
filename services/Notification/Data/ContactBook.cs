using Medins.Notification.Domain;
using Medins.Platform.Hosting.Data;
using Npgsql;

namespace Medins.Notification.Data;

public sealed record ContactPreferenceRow(string ResidentId, string OptOut, string WeChatOpenId, string Source, DateTimeOffset UpdateTime);

public sealed record OfficialRow(string OfficialId, string Name, string Role, string DivisionCode, string Phone,
    string WeChatOpenId, bool Active, DateTimeOffset UpdateTime);

/// <summary>Official roles as stored.</summary>
public static class OfficialRoles
{
    public const string VillageHead = "VILLAGE_HEAD";
    public const string TownshipLeader = "TOWNSHIP_LEADER";
}

/// <summary>What notification itself knows about the people it writes to: preferences, officials, quiet hours.</summary>
public static class ContactBook
{
    public static async Task<ContactPreferenceRow?> PreferenceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string residentId, CancellationToken ct) =>
        (await PreferencesAsync(conn, tx, tenantId, [residentId], ct)).GetValueOrDefault(residentId);

    /// <summary>Preferences of many residents at once (campaign previews and materialisation).</summary>
    public static async Task<Dictionary<string, ContactPreferenceRow>> PreferencesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, IReadOnlyCollection<string> residentIds, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT resident_id, opt_out, wechat_openid, source, update_time FROM contact_preferences
            WHERE tenant_id = $1 AND resident_id = ANY($2)
            """, tenantId, residentIds.ToArray());
        var found = new Dictionary<string, ContactPreferenceRow>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            found[reader.GetString(0)] = new ContactPreferenceRow(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4));
        return found;
    }

    private const string OfficialColumns = "official_id, name, role, division_code, phone, wechat_openid, active, update_time";

    public static async Task<OfficialRow?> OfficialAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string officialId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx,
            $"SELECT {OfficialColumns} FROM officials WHERE tenant_id = $1 AND official_id = $2", tenantId, officialId);
        return (await ReadOfficialsAsync(cmd, ct)).FirstOrDefault();
    }

    /// <summary>The active officials of a role for a division (a village's heads, a township's leaders).</summary>
    public static async Task<IReadOnlyList<OfficialRow>> ActiveOfficialsAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string divisionCode, string role, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {OfficialColumns} FROM officials
            WHERE tenant_id = $1 AND division_code = $2 AND role = $3 AND active
            ORDER BY official_id
            """, tenantId, divisionCode, role);
        return await ReadOfficialsAsync(cmd, ct);
    }

    private static async Task<IReadOnlyList<OfficialRow>> ReadOfficialsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<OfficialRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new OfficialRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetBoolean(6), reader.GetFieldValue<DateTimeOffset>(7)));
        return list;
    }

    /// <summary>Records a resident's contact preference (the latest write wins).</summary>
    public static async Task UpsertPreferenceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string residentId,
        string optOut, string weChatOpenId, string source, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO contact_preferences (tenant_id, resident_id, opt_out, wechat_openid, source, update_time)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, resident_id) DO UPDATE SET opt_out = excluded.opt_out,
              wechat_openid = excluded.wechat_openid, source = excluded.source, update_time = excluded.update_time
            """, tenantId, residentId, optOut, weChatOpenId, source, now);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Registers an official, or replaces what was registered under her id; returns the stored row.</summary>
    public static async Task<OfficialRow> UpsertOfficialAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        OfficialRow official, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            INSERT INTO officials (tenant_id, official_id, name, role, division_code, phone, wechat_openid, active, update_time)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (tenant_id, official_id) DO UPDATE SET name = excluded.name, role = excluded.role,
              division_code = excluded.division_code, phone = excluded.phone, wechat_openid = excluded.wechat_openid,
              active = excluded.active, update_time = excluded.update_time
            RETURNING {OfficialColumns}
            """, tenantId, official.OfficialId, official.Name, official.Role, official.DivisionCode, official.Phone,
            official.WeChatOpenId, official.Active, official.UpdateTime);
        return (await ReadOfficialsAsync(cmd, ct)).Single();
    }

    /// <summary>A page of officials ordered by id, after <paramref name="afterId"/> ("" for the first page).</summary>
    public static async Task<IReadOnlyList<OfficialRow>> ListOfficialsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string divisionCode, string afterId, int limit, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {OfficialColumns} FROM officials
            WHERE tenant_id = $1 AND ($2 = '' OR division_code = $2) AND official_id > $3
            ORDER BY official_id
            LIMIT $4
            """, tenantId, divisionCode, afterId, limit);
        return await ReadOfficialsAsync(cmd, ct);
    }

    /// <summary>The tenant's quiet hours, or the platform default.</summary>
    public static async Task<QuietHours> QuietHoursAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx,
            "SELECT quiet_start, quiet_end, quiet_channels FROM tenant_settings WHERE tenant_id = $1", tenantId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return QuietHours.Default;
        return new QuietHours(reader.GetFieldValue<TimeOnly>(0), reader.GetFieldValue<TimeOnly>(1),
            new HashSet<string>(reader.GetFieldValue<string[]>(2), StringComparer.Ordinal));
    }
}
