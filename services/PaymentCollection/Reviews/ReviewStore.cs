using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Reviews;

/// <summary>What the review queue is listed by; null matches all. <see cref="Resolved"/>: false for the open items.</summary>
public sealed record ReviewListFilter(bool? Resolved, string? Reason, string? Channel)
{
    /// <summary>The filter as a page token binds it (AIP-158).</summary>
    public string TokenKey => System.Text.Json.JsonSerializer.Serialize(
        new[] { "reviews", Resolved switch { null => "all", true => "resolved", false => "open" }, Reason, Channel });
}

/// <summary>The SQL of the review queue's reads and resolutions; every call runs in a tenant transaction.</summary>
public static class ReviewStore
{
    private const string Columns = """
        review_id, order_id, channel_transaction_id, amount_fen, reason, detail, created_at, resolution,
        resolution_reference, resolution_note, resolved_by, resolved_at, carries_money, channel
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

    /// <summary>Review items in review-id order (time-ordered UUIDv7) matching <paramref name="filter"/>, after
    /// <paramref name="after"/>.</summary>
    public static async Task<List<PaymentReview>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        ReviewListFilter filter, Guid? after, int limit, CancellationToken ct)
    {
        await using var cmd = ListStatement(tenantId, filter, after).Command(conn, tx, limit);
        return await ReadAsync(cmd, ct);
    }

    /// <summary>The statement of <see cref="ListAsync"/>: only the filters set, each served by an index (migration 0013).</summary>
    public static ListQuery ListStatement(string tenantId, ReviewListFilter filter, Guid? after)
    {
        var query = new ListQuery($"SELECT {Columns} FROM payment_reviews", "review_id");
        query.Where($"tenant_id = {query.Parameter(tenantId)}");
        if (filter.Resolved is { } resolved) query.Where(resolved ? "resolved_at IS NOT NULL" : "resolved_at IS NULL");
        if (filter.Reason is { } reason) query.Where($"reason = {query.Parameter(reason)}");
        if (filter.Channel is { } channel) query.Where($"channel = {query.Parameter(channel)}");
        if (after is { } id) query.Where($"review_id > {query.Parameter(id, NpgsqlDbType.Uuid)}");
        return query;
    }

    public static async Task ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, PaymentReview review,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            UPDATE payment_reviews SET resolution = $3, resolution_reference = $4, resolution_note = $5, resolved_by = $6,
              resolved_at = $7
            WHERE tenant_id = $1 AND review_id = $2 AND resolved_at IS NULL
            """, tenantId, review.ReviewId, Code(review.Resolution!.Value), review.ResolutionReference!,
            review.ResolutionNote ?? "", review.ResolvedBy!, review.ResolvedAt!.Value);
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new InvalidOperationException($"Review {review.ReviewId} was not open when it was resolved.");
    }

    private static async Task<List<PaymentReview>> QueryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql,
        CancellationToken ct, params object[] args)
    {
        await using var cmd = Sql.Command(conn, tx, sql, args);
        return await ReadAsync(cmd, ct);
    }

    private static async Task<List<PaymentReview>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
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
                Channel = r.IsDBNull(13) ? null : r.GetString(13),
            });
        return reviews;
    }

    private static string Code(ReviewResolution resolution) =>
        resolution == ReviewResolution.ReturnedToPayer ? "returned_to_payer" : "matched_elsewhere";
}
