using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Households;

/// <summary>The SQL of household orders; every call runs in a tenant transaction.</summary>
public static class HouseholdOrderStore
{
    private const string Columns = """
        household_order_id, household_number, village_code, coverage_year, channel, state, total_personal_fen,
        total_subsidy_fen, channel_transaction_id, created_at, paid_at, expires_at
        """;

    public static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, HouseholdOrder order,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            INSERT INTO household_orders (tenant_id, {Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """, tenantId, order.HouseholdOrderId, order.HouseholdNumber, order.VillageCode, order.CoverageYear, order.Channel,
            OrderStateCodes.Code(order.State), order.TotalPersonalFen, order.TotalSubsidyFen,
            Sql.Typed(order.ChannelTransactionId, NpgsqlDbType.Text), order.CreatedAt,
            Sql.Typed(order.PaidAt, NpgsqlDbType.TimestampTz), order.ExpiresAt);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task UpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, HouseholdOrder order,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            UPDATE household_orders SET state = $3, channel_transaction_id = $4, paid_at = $5
            WHERE tenant_id = $1 AND household_order_id = $2
            """, tenantId, order.HouseholdOrderId, OrderStateCodes.Code(order.State),
            Sql.Typed(order.ChannelTransactionId, NpgsqlDbType.Text), Sql.Typed(order.PaidAt, NpgsqlDbType.TimestampTz));
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new InvalidOperationException($"Household order {order.HouseholdOrderId} vanished during its update.");
    }

    public static async Task<HouseholdOrder?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid householdOrderId, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {Columns} FROM household_orders WHERE tenant_id = $1 AND household_order_id = $2 {(forUpdate ? "FOR UPDATE" : "")}
            """, tenantId, householdOrderId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new HouseholdOrder(
            HouseholdOrderId: r.GetGuid(0),
            HouseholdNumber: r.GetString(1),
            VillageCode: r.GetString(2),
            CoverageYear: r.GetInt32(3),
            Channel: r.GetString(4),
            State: OrderStateCodes.Parse(r.GetString(5)),
            TotalPersonalFen: r.GetInt64(6),
            TotalSubsidyFen: r.GetInt64(7),
            ChannelTransactionId: r.IsDBNull(8) ? null : r.GetString(8),
            CreatedAt: r.GetFieldValue<DateTimeOffset>(9),
            PaidAt: r.IsDBNull(10) ? null : r.GetFieldValue<DateTimeOffset>(10),
            ExpiresAt: r.GetFieldValue<DateTimeOffset>(11));
    }
}
