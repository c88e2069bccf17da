using Npgsql;

namespace Medins.Notification.Messages;

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
        await using var cmd = new NpgsqlCommand($"""
            SELECT DISTINCT ON (channel) {Columns} FROM templates
            WHERE tenant_id = $1 AND template_key = $2
            ORDER BY channel, version DESC
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = templateKey });
        return await ReadAsync(cmd, ct);
    }

    public static async Task<IReadOnlyList<StoredTemplate>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<StoredTemplate>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new StoredTemplate(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                reader.GetString(4), reader.GetFieldValue<string[]>(5), reader.GetFieldValue<string[]>(6),
                reader.GetFieldValue<DateTimeOffset>(7), reader.GetString(8)));
        return list;
    }

    public static string SelectColumns => Columns;
}
