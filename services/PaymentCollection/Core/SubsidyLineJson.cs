using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Core;

/// <summary>Subsidy lines as the jsonb columns of orders and refunds keep them.</summary>
internal static class SubsidyLineJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static NpgsqlParameter Parameter(IReadOnlyList<SubsidyLine> lines) =>
        new() { Value = JsonSerializer.Serialize(lines, Options), NpgsqlDbType = NpgsqlDbType.Jsonb };

    public static List<SubsidyLine> Read(string json) => JsonSerializer.Deserialize<List<SubsidyLine>>(json, Options) ?? [];
}
