using Medins.PaymentCollection.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Data;

/// <summary>The SQL of the review queue's reads and resolutions; every call runs in a tenant transaction.</summary>
public static class ReviewStore
{
    private const string Columns = """
        review_id, order_id, channel_transaction_id, amount_fen, reason, detail, created_at, resolution,
        resolution_reference, resolution_note, resolved_by, resolved_at, carries_money
        """;

    /// <summary>The item without a lock, to learn which transaction to lock before taking the item's row lock.</summary>
    public static async Task<PaymentReview?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid reviewId, CancellationToken ct) =>
        (await QueryAsync(conn, tx, $"SELECT {Columns} FROM payment_reviews WHERE tenant_id = $1 AND review_id = $2",
            ct, tenantId, reviewId)).SingleOrDefault();

    public static async Task<PaymentReview?> FindForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid reviewId, CancellationToken ct) =>
        (await QueryAsync(conn, tx, $"SELECT {Columns} FROM payment_reviews WHERE tenant_id = $1 AND review_id = $2 FOR UPDATE",
            ct, tenantId, reviewId)).SingleOrDefault();

    /// <summary>Review items in review-id order (time-ordered UUIDv7) after <paramref name="after"/>.</summary>
    public static Task<List<PaymentReview>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        bool openOnly, Guid? after, int limit, CancellationToken ct) =>
        QueryAsync(conn, tx, $"""
            SELECT {Columns} FROM payment_reviews
            WHERE tenant_id = $1 AND (NOT $2 OR resolved_at IS NULL) AND ($3::uuid IS NULL OR review_id > $3)
            ORDER BY review_id
            LIMIT $4
            """, ct, tenantId, openOnly,
            new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid }, limit);

    public static async Task ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, PaymentReview review,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE payment_reviews SET resolution = $3, resolution_reference = $4, resolution_note = $5, resolved_by = $6,
              resolved_at = $7
            WHERE tenant_id = $1 AND review_id = $2 AND resolved_at IS NULL
            """, conn, tx);
        foreach (var value in new object[]
                 {
                     tenantId, review.ReviewId, Code(review.Resolution!.Value), review.ResolutionReference!,
                     review.ResolutionNote ?? "", review.ResolvedBy!, review.ResolvedAt!.Value,
                 })
            cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new InvalidOperationException($"Review {review.ReviewId} was not open when it was resolved.");
    }

    private static async Task<List<PaymentReview>> QueryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql,
        CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var arg in args) cmd.Parameters.Add(arg as NpgsqlParameter ?? new NpgsqlParameter { Value = arg });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var reviews = new List<PaymentReview>();
        while (await r.ReadAsync(ct))
            reviews.Add(new PaymentReview(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetInt64(3), r.GetString(4),
                r.GetString(5), r.GetFieldValue<DateTimeOffset>(6),
                r.IsDBNull(7) ? null : r.GetString(7) == "returned_to_payer" ? ReviewResolution.ReturnedToPayer : ReviewResolution.MatchedElsewhere,
                r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9),
                r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11))
            {
                CarriesMoney = r.GetBoolean(12),
            });
        return reviews;
    }

    private static string Code(ReviewResolution resolution) =>
        resolution == ReviewResolution.ReturnedToPayer ? "returned_to_payer" : "matched_elsewhere";
}
