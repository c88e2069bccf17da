using Medins.Platform.Hosting.Data;
using Npgsql;

namespace Medins.Notification.Data;

/// <summary>A template version as stored.</summary>
public sealed record StoredTemplate(
    string TemplateKey,
    string Channel,
    int Version,
    string Body,
    string ProviderTemplateId,
    IReadOnlyList<string> ProviderParams,
    IReadOnlyList<string> PlaceholderNames,
    DateTimeOffset CreateTime,
    string CreatedBy);

public static class TemplateStore
{
    private const string Columns =
        "template_key, channel, version, body, provider_template_id, provider_params, placeholder_names, create_time, created_by";

    /// <summary>The version in use (the highest) of each channel's template for the key.</summary>
    public static async Task<IReadOnlyList<StoredTemplate>> CurrentAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string templateKey, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT DISTINCT ON (channel) {Columns} FROM templates
            WHERE tenant_id = $1 AND template_key = $2
            ORDER BY channel, version DESC
            """, tenantId, templateKey);
        return await ReadAsync(cmd, ct);
    }

    /// <summary>
    /// Stores the template as the next version of its key and channel. A concurrent publish that takes the same number
    /// first makes this insert wait for it and then conflict; the next attempt reads the committed version and goes on.
    /// </summary>
    public static async Task<StoredTemplate> InsertNextVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string templateKey, string channel, string body, string providerTemplateId, string[] providerParams, string[] placeholderNames,
        DateTimeOffset now, string createdBy, CancellationToken ct)
    {
        while (true)
        {
            await using var cmd = Sql.Command(conn, tx, $"""
                INSERT INTO templates (tenant_id, template_key, channel, version, body, provider_template_id, provider_params,
                                       placeholder_names, create_time, created_by)
                SELECT $1, $2, $3, COALESCE(max(version), 0) + 1, $4, $5, $6, $7, $8, $9
                FROM templates WHERE tenant_id = $1 AND template_key = $2 AND channel = $3
                ON CONFLICT DO NOTHING
                RETURNING {Columns}
                """, tenantId, templateKey, channel, body, providerTemplateId, providerParams, placeholderNames, now, createdBy);
            if ((await ReadAsync(cmd, ct)) is [var stored]) return stored;
        }
    }

    /// <summary>
    /// A page of templates ordered by key, channel and version, after the given key ("", "", 0 for the first page):
    /// every version, or only each channel's highest.
    /// </summary>
    public static async Task<IReadOnlyList<StoredTemplate>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string templateKey, bool includeHistory, (string Key, string Channel, int Version) after, int limit, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {Columns} FROM templates t
            WHERE tenant_id = $1 AND ($2 = '' OR template_key = $2)
              AND ($3 OR version = (SELECT max(version) FROM templates m
                                    WHERE m.tenant_id = t.tenant_id AND m.template_key = t.template_key AND m.channel = t.channel))
              AND (template_key, channel, version) > ($4, $5, $6)
            ORDER BY template_key, channel, version
            LIMIT $7
            """, tenantId, templateKey, includeHistory, after.Key, after.Channel, after.Version, limit);
        return await ReadAsync(cmd, ct);
    }

    private static async Task<IReadOnlyList<StoredTemplate>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<StoredTemplate>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new StoredTemplate(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                reader.GetString(4), reader.GetFieldValue<string[]>(5), reader.GetFieldValue<string[]>(6),
                reader.GetFieldValue<DateTimeOffset>(7), reader.GetString(8)));
        return list;
    }
}
