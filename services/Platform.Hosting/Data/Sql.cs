using Npgsql;
using NpgsqlTypes;

namespace Medins.Platform.Hosting.Data;

/// <summary>
/// Plain SQL with positional parameters (<c>$1</c>, <c>$2</c>…): a value becomes a parameter of its own type; pass
/// an <see cref="NpgsqlParameter"/> (see <see cref="Typed"/>) where the type must be named, as for a null or jsonb.
/// </summary>
public static class Sql
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql,
        params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values) command.Parameters.Add(Parameter(value));
        return command;
    }

    /// <summary>A command of an <see cref="NpgsqlBatch"/>, with the same parameters as <see cref="Command"/>.</summary>
    public static NpgsqlBatchCommand BatchCommand(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(Parameter(value));
        return command;
    }

    /// <summary>A parameter of a named type; a null value is sent as SQL NULL of that type.</summary>
    public static NpgsqlParameter Typed(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static NpgsqlParameter Parameter(object? value) =>
        value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value };
}
