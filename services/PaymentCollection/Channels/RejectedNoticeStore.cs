using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Grpc;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Channels;

/// <summary>A notice the endpoint refused to apply, as it is stored.</summary>
public sealed record RejectedNotice(string Channel, string Reason, string Detail, bool Authentic)
{
    public string? MerchantId { get; init; }
    public string? OutTradeNo { get; init; }
    public string? ChannelTransactionId { get; init; }
    public long? AmountFen { get; init; }
    public required string BodySha256 { get; init; }
    public required int BodyLength { get; init; }
}

/// <summary>The SQL of <c>rejected_channel_notices</c>.</summary>
public static class RejectedNoticeStore
{
    /// <summary>The tenant of rows no configured merchant can be told from (system scope writes, city scope reads).</summary>
    public const string Unattributed = "";

    /// <summary>Keeps a refused notice; the same body refused again for the same reason counts one more attempt.</summary>
    public static async Task RecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, RejectedNotice notice,
        DateTimeOffset receivedAt, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO rejected_channel_notices (tenant_id, rejection_id, channel, reason, detail, authentic, merchant_id,
              out_trade_no, channel_transaction_id, amount_fen, body_sha256, body_length, first_received_at, last_received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
            ON CONFLICT ON CONSTRAINT rejected_channel_notices_once
            DO UPDATE SET attempts = rejected_channel_notices.attempts + 1, last_received_at = excluded.last_received_at
            """, tenantId, Guid.CreateVersion7(receivedAt), notice.Channel, notice.Reason,
            RequestShape.ToStorable(notice.Detail), notice.Authentic, Text(notice.MerchantId), Text(notice.OutTradeNo),
            Text(notice.ChannelTransactionId), Sql.Typed(notice.AmountFen, NpgsqlDbType.Bigint), notice.BodySha256,
            notice.BodyLength, receivedAt);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    // Claimed fields come from outside: cap them so a hostile notice cannot bloat a row, and replace what text
    // cannot hold (NUL, a surrogate left alone, also by the cut) so the notice is still kept.
    private static NpgsqlParameter Text(string? value) =>
        Sql.Typed(value is null ? null : RequestShape.ToStorable(value.Length > 128 ? value[..128] : value), NpgsqlDbType.Text);
}
