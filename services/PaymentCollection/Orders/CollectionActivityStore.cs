using Npgsql;

namespace Medins.PaymentCollection.Orders;

/// <summary>One day's confirmations per channel and the review queue's size, read for the console's peak page.</summary>
public sealed record CollectionActivity(IReadOnlyList<(string Channel, long Count, long AmountFen)> Channels, long OpenReviews,
    long ReviewsOpened, long PendingEvents);

public static class CollectionActivityStore
{
    /// <summary>
    /// Confirmations read through payment_orders_paid_by_channel (tenant, channel, paid_at), one range per channel;
    /// open reviews through the partial index payment_reviews_open. Reviews opened on the day are read from the
    /// tenant's review rows, which only refused notices fill. Pending events: those the relay has not fanned out yet
    /// (outbox_unfanned) and those with a delivery still open (outbox_delivery_due), both partial indexes that hold
    /// only the backlog.
    /// </summary>
    public static async Task<CollectionActivity> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyList<string> channels, DateTimeOffset from, DateTimeOffset until, CancellationToken ct)
    {
        var byChannel = new List<(string, long, long)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT channel, count(*), coalesce(sum(personal_amount_fen), 0)::bigint
            FROM payment_orders
            WHERE tenant_id = $1 AND channel = ANY($2) AND paid_at >= $3 AND paid_at < $4
              AND channel_transaction_id IS NOT NULL
            GROUP BY channel
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = channels.ToArray() });
            cmd.Parameters.Add(new() { Value = from.ToUniversalTime() });
            cmd.Parameters.Add(new() { Value = until.ToUniversalTime() });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) byChannel.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        await using var reviews = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM payment_reviews WHERE tenant_id = $1 AND resolved_at IS NULL),
                   (SELECT count(*) FROM payment_reviews WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3),
                   (SELECT count(*) FROM outbox WHERE tenant_id = $1 AND fanned_out_at IS NULL)
                   + (SELECT count(DISTINCT event_id) FROM outbox_delivery
                      WHERE tenant_id = $1 AND delivered_at IS NULL AND dead_at IS NULL)
            """, conn, tx);
        reviews.Parameters.Add(new() { Value = tenantId });
        reviews.Parameters.Add(new() { Value = from.ToUniversalTime() });
        reviews.Parameters.Add(new() { Value = until.ToUniversalTime() });
        await using var counts = await reviews.ExecuteReaderAsync(ct);
        await counts.ReadAsync(ct);
        return new CollectionActivity(byChannel, counts.GetInt64(0), counts.GetInt64(1), counts.GetInt64(2));
    }
}
