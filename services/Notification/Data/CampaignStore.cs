using Medins.Identity.V1;
using Medins.Notification.V1;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.Notification.Data;

/// <summary>
/// Campaign states as stored: the proto's <see cref="CampaignState"/> names without their prefix, read from the contract
/// (as <see cref="SkipReasons"/> are).
/// </summary>
public static class CampaignStates
{
    public static readonly string Scheduled = StoredNames.Of(CampaignState.Scheduled);
    public static readonly string Sending = StoredNames.Of(CampaignState.Sending);
    public static readonly string Completed = StoredNames.Of(CampaignState.Completed);
    public static readonly string Cancelled = StoredNames.Of(CampaignState.Cancelled);

    private static readonly Dictionary<string, CampaignState> ByStoredName = Enum.GetValues<CampaignState>()
        .Where(state => state != CampaignState.Unspecified).ToDictionary(StoredNames.Of, state => state, StringComparer.Ordinal);

    /// <summary>The proto value of a stored state; UNSPECIFIED for a word the contract does not know.</summary>
    public static CampaignState ToProto(string stored) => ByStoredName.GetValueOrDefault(stored, CampaignState.Unspecified);
}

/// <summary>Who a campaign targets.</summary>
public sealed record CampaignTargetSpec(Ledger Ledger, int CoverageYear, string VillageCode);

/// <summary>The preview counts of a campaign target.</summary>
public sealed record CampaignCountsRow(long OnLedger, long OptedOut, long NoContact)
{
    public long ToSend => OnLedger - OptedOut - NoContact;
}

/// <summary>A reminder campaign as stored, with the counts its preview promised.</summary>
public sealed record StoredCampaign(Guid CampaignId, string Name, CampaignTargetSpec Target, string TemplateKey, DateOnly Deadline,
    DateTimeOffset SendTime, string State, CampaignCountsRow Preview, string CreatedBy, DateTimeOffset CreateTime);

/// <summary>How many of a campaign's messages are in a status (and, for skipped ones, skipped for a reason).</summary>
public sealed record CampaignMessageCount(string Status, string SkipReason, long Count);

/// <summary>A campaign whose send time has come, claimed for a while by the runner that starts it.</summary>
public sealed record DueCampaign(string TenantId, Guid CampaignId, CampaignTargetSpec Target, string TemplateKey,
    DateOnly Deadline, DateTimeOffset SendTime);

/// <summary>Reminder campaigns: the tenant's (in its transaction) and the runner's claims across tenants (system scope).</summary>
public static class CampaignStore
{
    /// <summary>Stores a new campaign as SCHEDULED.</summary>
    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, StoredCampaign campaign,
        CancellationToken ct)
    {
        await using var insert = Sql.Command(conn, tx, """
            INSERT INTO campaigns (tenant_id, campaign_id, name, ledger, coverage_year, village_code, template_key, deadline,
                                   send_time, state, preview_on_ledger, preview_opted_out, preview_no_contact, created_by, create_time)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'SCHEDULED', $10, $11, $12, $13, $14)
            """, tenantId, campaign.CampaignId, campaign.Name, (int)campaign.Target.Ledger, campaign.Target.CoverageYear,
            campaign.Target.VillageCode, campaign.TemplateKey, campaign.Deadline, campaign.SendTime, campaign.Preview.OnLedger,
            campaign.Preview.OptedOut, campaign.Preview.NoContact, campaign.CreatedBy, campaign.CreateTime);
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The campaign, or null when the tenant has none with this id.</summary>
    public static async Task<StoredCampaign?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid campaignId,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT name, ledger, coverage_year, village_code, template_key, deadline, send_time, state,
                   preview_on_ledger, preview_opted_out, preview_no_contact, created_by, create_time
            FROM campaigns WHERE tenant_id = $1 AND campaign_id = $2
            """, tenantId, campaignId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new StoredCampaign(campaignId, reader.GetString(0),
            new CampaignTargetSpec((Ledger)reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)), reader.GetString(4),
            reader.GetFieldValue<DateOnly>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7),
            new CampaignCountsRow(reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10)), reader.GetString(11),
            reader.GetFieldValue<DateTimeOffset>(12));
    }

    /// <summary>The campaign's messages counted by status and skip reason ("" when not skipped).</summary>
    public static async Task<IReadOnlyList<CampaignMessageCount>> MessageCountsAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, Guid campaignId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT status, coalesce(skip_reason, ''), count(*) FROM messages
            WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY 1, 2
            """, tenantId, campaignId);
        var list = new List<CampaignMessageCount>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(new CampaignMessageCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return list;
    }

    /// <summary>A page of the tenant's campaign ids, newest first (keyset on creation time and id, after <paramref name="after"/>).</summary>
    public static async Task<IReadOnlyList<(Guid Id, DateTimeOffset Created)>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, (DateTimeOffset CreatedAt, Guid Id)? after, int limit, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT campaign_id, create_time FROM campaigns
            WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (create_time, campaign_id) < ($2, $3))
            ORDER BY create_time DESC, campaign_id DESC
            LIMIT $4
            """, tenantId, Sql.Typed(after?.CreatedAt, NpgsqlDbType.TimestampTz), Sql.Typed(after?.Id, NpgsqlDbType.Uuid), limit);
        var ids = new List<(Guid Id, DateTimeOffset Created)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1)));
        return ids;
    }

    /// <summary>Cancels the campaign and skips its messages not yet sent.</summary>
    public static async Task CancelAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid campaignId, CancellationToken ct)
    {
        foreach (var sql in new[]
        {
            "UPDATE campaigns SET state = 'CANCELLED', claimed_until = NULL WHERE tenant_id = $1 AND campaign_id = $2",
            """
            UPDATE messages SET status = 'SKIPPED', skip_reason = 'CAMPAIGN_CANCELLED', next_attempt_at = NULL
            WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'PENDING'
            """,
        })
        {
            await using var cancel = Sql.Command(conn, tx, sql, tenantId, campaignId);
            await cancel.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The campaign's state, locked (for share or for update) until the transaction ends; null when there is none.</summary>
    public static async Task<string?> StateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid campaignId,
        bool forShare, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx,
            "SELECT state FROM campaigns WHERE tenant_id = $1 AND campaign_id = $2" + (forShare ? " FOR SHARE" : " FOR UPDATE"),
            tenantId, campaignId);
        return (string?)await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>Claims, until <paramref name="claimedUntil"/>, every scheduled campaign whose send time has come and that no
    /// other runner holds.</summary>
    public static async Task<IReadOnlyList<DueCampaign>> ClaimDueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DateTimeOffset now,
        DateTimeOffset claimedUntil, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            UPDATE campaigns SET claimed_until = $2
            WHERE (tenant_id, campaign_id) IN (
              SELECT tenant_id, campaign_id FROM campaigns
              WHERE state = 'SCHEDULED' AND send_time <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
              FOR UPDATE SKIP LOCKED)
            RETURNING tenant_id, campaign_id, ledger, coverage_year, village_code, template_key, deadline, send_time
            """, now, claimedUntil);
        var list = new List<DueCampaign>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new DueCampaign(reader.GetString(0), reader.GetGuid(1),
                new CampaignTargetSpec((Ledger)reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4)),
                reader.GetString(5), reader.GetFieldValue<DateOnly>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        return list;
    }

    /// <summary>A scheduled campaign whose messages are all created is sending.</summary>
    public static async Task<int> MarkSendingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid campaignId,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            UPDATE campaigns SET state = 'SENDING', claimed_until = NULL
            WHERE tenant_id = $1 AND campaign_id = $2 AND state = 'SCHEDULED'
            """, tenantId, campaignId);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Sending campaigns with nothing left pending are complete.</summary>
    public static async Task<int> CompleteFinishedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            UPDATE campaigns c SET state = 'COMPLETED'
            WHERE c.state = 'SENDING'
              AND NOT EXISTS (SELECT 1 FROM messages m
                              WHERE m.tenant_id = c.tenant_id AND m.campaign_id = c.campaign_id AND m.status = 'PENDING')
            """);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
