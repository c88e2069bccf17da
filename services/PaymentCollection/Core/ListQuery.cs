using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Core;

/// <summary>
/// A list's SELECT carrying only the filters a call sets, each as a plain condition. A catch-all
/// <c>($2 IS NULL OR channel = $2)</c> would give the statement (prepared, so planned generically after a few calls) a
/// plan that cannot use the filter's index; one statement per combination of filters always can.
/// </summary>
public sealed class ListQuery(string select, string orderBy)
{
    private readonly List<string> _conditions = [];

    public List<NpgsqlParameter> Parameters { get; } = [];

    /// <summary>Adds a parameter and returns its placeholder ($n).</summary>
    public string Parameter(object value, NpgsqlDbType? type = null)
    {
        var parameter = new NpgsqlParameter { Value = value };
        if (type is { } t) parameter.NpgsqlDbType = t;
        Parameters.Add(parameter);
        return "$" + Parameters.Count;
    }

    public ListQuery Where(string condition)
    {
        _conditions.Add(condition);
        return this;
    }

    /// <summary>The statement fetching at most <paramref name="limit"/> rows, and its parameters (the limit last).</summary>
    public (string Sql, IReadOnlyList<object> Values) Build(int limit) =>
        ($"{select}\nWHERE {string.Join("\n  AND ", _conditions)}\nORDER BY {orderBy}\nLIMIT ${Parameters.Count + 1}",
         [.. Parameters.Select(p => p.Value!), limit]);

    public NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction tx, int limit)
    {
        var cmd = new NpgsqlCommand(Build(limit).Sql, conn, tx);
        foreach (var parameter in Parameters) cmd.Parameters.Add(parameter.Clone());
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        return cmd;
    }
}
