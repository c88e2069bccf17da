using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Reconciliation;

/// <summary>What discrepancies are listed by; null matches all. <see cref="From"/> and <see cref="To"/>: the statement
/// days, inclusive.</summary>
public sealed record DiscrepancyListFilter(Guid? StatementId, string? Channel, DiscrepancyState? State, DiscrepancyKind? Kind,
    DateOnly? From, DateOnly? To)
{
    /// <summary>The filter as a page token binds it (AIP-158).</summary>
    public string TokenKey => System.Text.Json.JsonSerializer.Serialize(new[]
    {
        "discrepancies", StatementId?.ToString(), Channel, State?.ToString(), Kind?.ToString(), From?.ToString("yyyy-MM-dd"),
        To?.ToString("yyyy-MM-dd"),
    });
}

/// <summary>The SQL of statements, their lines, discrepancies and resolutions; every call runs in a tenant
/// transaction unless it says otherwise.</summary>
public static class ReconciliationStore
{
    // Orders whose money a channel collected: paid, or paid and since (being) refunded.
    private const string HoldsPayment = "state IN ('paid', 'refund_requested', 'refunded')";

    private const string DiscrepancyColumns = """
        d.discrepancy_id, d.statement_id, d.channel, d.statement_date, d.kind, d.channel_transaction_id, d.state, d.created_at,
        d.line_number, d.merchant_order_id, d.channel_amount_fen, d.channel_time, d.platform_amount_fen, d.platform_paid_at,
        d.order_ids, r.action, r.note, r.resolved_by, r.resolved_at, r.request_id
        """;

    /// <summary>Serialises imports of one channel's statement of one day until the transaction ends.</summary>
    public static async Task LockStatementDayAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string channel, DateOnly day, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            $"payment_collection|statement|{tenantId}|{channel}|{day:yyyy-MM-dd}");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<StatementRecord?> FindCurrentStatementAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string channel, DateOnly day, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT statement_id, channel, statement_date, format, content_sha256, imported_at, imported_by, replaces_statement_id
            FROM reconciliation_statements
            WHERE tenant_id = $1 AND channel = $2 AND statement_date = $3 AND superseded_by IS NULL
            """, tenantId, channel, day);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadStatement(reader) : null;
    }

    public static async Task<bool> HasResolvedDiscrepanciesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid statementId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT EXISTS (SELECT 1 FROM reconciliation_discrepancies
                           WHERE tenant_id = $1 AND statement_id = $2 AND state = 'resolved')
            """, tenantId, statementId);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Marks a statement replaced by <paramref name="replacement"/>; its open discrepancies are superseded.</summary>
    public static async Task SupersedeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid statementId,
        Guid replacement, CancellationToken ct)
    {
        await using (var statement = Sql.Command(conn, tx,
            "UPDATE reconciliation_statements SET superseded_by = $3 WHERE tenant_id = $1 AND statement_id = $2",
            tenantId, statementId, replacement))
            await statement.ExecuteNonQueryAsync(ct);
        await using var discrepancies = Sql.Command(conn, tx, """
            UPDATE reconciliation_discrepancies SET state = 'superseded'
            WHERE tenant_id = $1 AND statement_id = $2 AND state = 'open'
            """, tenantId, statementId);
        await discrepancies.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The platform's payments through <paramref name="channel"/> by the given transactions, any day.</summary>
    public static async Task<Dictionary<string, PlatformPayment>> PaymentsByTransactionAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, string channel, string[] transactions, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT channel_transaction_id, array_agg(order_id ORDER BY order_id), sum(personal_amount_fen)::bigint, min(paid_at)
            FROM payment_orders
            WHERE tenant_id = $1 AND channel = $2 AND channel_transaction_id = ANY($3) AND {HoldsPayment}
            GROUP BY channel_transaction_id
            """, tenantId, channel, transactions);
        return (await ReadPaymentsAsync(cmd, ct)).ToDictionary(p => p.ChannelTransactionId, StringComparer.Ordinal);
    }

    /// <summary>The platform's payments through <paramref name="channel"/> paid on an Asia/Shanghai day.</summary>
    public static async Task<List<PlatformPayment>> PaymentsOnDayAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string channel, DateOnly day, CancellationToken ct)
    {
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), Platform.Hosting.ShanghaiCalendar.Offset).ToUniversalTime();
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT channel_transaction_id, array_agg(order_id ORDER BY order_id), sum(personal_amount_fen)::bigint, min(paid_at)
            FROM payment_orders
            WHERE tenant_id = $1 AND channel = $2 AND channel_transaction_id IS NOT NULL AND paid_at >= $3 AND paid_at < $4
              AND {HoldsPayment}
            GROUP BY channel_transaction_id
            """, tenantId, channel, from, from.AddDays(1));
        return await ReadPaymentsAsync(cmd, ct);
    }

    /// <summary>Refused notices of the channel for the given transactions (notices naming no known order included),
    /// the first per transaction.</summary>
    public static async Task<Dictionary<string, HeldNotice>> HeldNoticesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string channel, string[] transactions, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT DISTINCT ON (r.channel_transaction_id) r.channel_transaction_id, r.review_id, r.amount_fen, r.reason
            FROM payment_reviews r
            JOIN payment_confirmations c ON c.tenant_id = r.tenant_id AND c.confirmation_id = r.confirmation_id
            WHERE r.tenant_id = $1 AND r.channel_transaction_id = ANY($3) AND (c.channel = $2 OR c.channel IS NULL)
            ORDER BY r.channel_transaction_id, r.created_at, r.review_id
            """, tenantId, channel, transactions);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var held = new Dictionary<string, HeldNotice>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            held[reader.GetString(0)] = new HeldNotice(reader.GetString(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3));
        return held;
    }

    public static async Task InsertStatementAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        StatementRecord statement, byte[] content, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            INSERT INTO reconciliation_statements (tenant_id, statement_id, channel, statement_date, format, content,
              content_sha256, imported_by, imported_at, replaces_statement_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, tenantId, statement.StatementId, statement.Channel, statement.StatementDate, FormatCode(statement.Format), content,
            statement.ContentSha256, statement.ImportedBy, statement.ImportedAt,
            Sql.Typed(statement.ReplacesStatementId, NpgsqlDbType.Uuid));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Bulk-loads every line of a statement with what it matched (binary COPY).</summary>
    public static async Task CopyLinesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid statementId,
        IReadOnlyList<ReconciledLine> lines, CancellationToken ct)
    {
        await CreateStagingAsync(conn, tx, "reconciliation_statement_lines", ct);
        await using (var copy = await conn.BeginBinaryImportAsync("""
            COPY staging_reconciliation_statement_lines (tenant_id, statement_id, line_number, kind, channel_transaction_id,
              merchant_order_id, refund_id, amount_fen, channel_time, outcome, order_ids, platform_amount_fen, review_id)
            FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            copy.Timeout = TimeSpan.Zero; // a December day's bill can hold many thousand lines
            foreach (var line in lines)
            {
                var entry = line.Line.Entry;
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(tenantId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(statementId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(line.Line.LineNumber, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(KindCode(entry.Kind), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(entry.ChannelTransactionId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(entry.MerchantOrderId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(entry.RefundId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(entry.AmountFen, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(entry.ChannelTime.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(OutcomeCode(line.Outcome), NpgsqlDbType.Text, ct);
                await copy.WriteAsync((line.Payment?.OrderIds ?? []).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid, ct);
                await WriteNullableAsync(copy, line.Payment?.AmountFen, NpgsqlDbType.Bigint, ct);
                await WriteNullableAsync(copy, line.Held?.ReviewId, NpgsqlDbType.Uuid, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await InsertStagedAsync(conn, tx, "reconciliation_statement_lines", ct);
    }

    /// <summary>Bulk-loads the discrepancies an import found (binary COPY: a wrong file can make thousands).</summary>
    public static async Task CopyDiscrepanciesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        IReadOnlyList<Discrepancy> discrepancies, CancellationToken ct)
    {
        await CreateStagingAsync(conn, tx, "reconciliation_discrepancies", ct);
        await using (var copy = await conn.BeginBinaryImportAsync("""
            COPY staging_reconciliation_discrepancies (tenant_id, discrepancy_id, statement_id, channel, statement_date, kind,
              channel_transaction_id, line_number, merchant_order_id, channel_amount_fen, channel_time, platform_amount_fen,
              platform_paid_at, order_ids, state, created_at)
            FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            copy.Timeout = TimeSpan.Zero;
            foreach (var d in discrepancies)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(tenantId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(d.DiscrepancyId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(d.StatementId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(d.Channel, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(d.StatementDate, NpgsqlDbType.Date, ct);
                await copy.WriteAsync(KindCode(d.Kind), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(d.ChannelTransactionId, NpgsqlDbType.Text, ct);
                await WriteNullableAsync(copy, d.LineNumber, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(d.MerchantOrderId, NpgsqlDbType.Text, ct);
                await WriteNullableAsync(copy, d.ChannelAmountFen, NpgsqlDbType.Bigint, ct);
                await WriteNullableAsync(copy, d.ChannelTime?.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                await WriteNullableAsync(copy, d.PlatformAmountFen, NpgsqlDbType.Bigint, ct);
                await WriteNullableAsync(copy, d.PlatformPaidAt?.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(d.OrderIds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(StateCode(d.State), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(d.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await InsertStagedAsync(conn, tx, "reconciliation_discrepancies", ct);
    }

    // PostgreSQL refuses COPY into a table with row-level security, so rows are copied into a temporary table of the
    // same shape and moved with one INSERT, which the tenant's policy checks.
    private static async Task CreateStagingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table, CancellationToken ct)
    {
        await using var create = new NpgsqlCommand(
            $"CREATE TEMP TABLE staging_{table} (LIKE {table}) ON COMMIT DROP", conn, tx);
        await create.ExecuteNonQueryAsync(ct);
    }

    private static async Task InsertStagedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand($"INSERT INTO {table} SELECT * FROM staging_{table}", conn, tx) { CommandTimeout = 0 };
        await insert.ExecuteNonQueryAsync(ct);
    }

    public static async Task<StatementRecord?> FindStatementAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid statementId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT statement_id, channel, statement_date, format, content_sha256, imported_at, imported_by, replaces_statement_id
            FROM reconciliation_statements WHERE tenant_id = $1 AND statement_id = $2
            """, tenantId, statementId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadStatement(reader) : null;
    }

    /// <summary>What the statement's import found, from its stored lines and discrepancies.</summary>
    public static async Task<StatementTally> TallyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid statementId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT
              count(*) FILTER (WHERE kind = 'payment'), coalesce(sum(amount_fen) FILTER (WHERE kind = 'payment'), 0)::bigint,
              count(*) FILTER (WHERE outcome = 'matched'), coalesce(sum(amount_fen) FILTER (WHERE outcome = 'matched'), 0)::bigint,
              count(*) FILTER (WHERE outcome = 'missing_here'), coalesce(sum(amount_fen) FILTER (WHERE outcome = 'missing_here'), 0)::bigint,
              count(*) FILTER (WHERE outcome = 'amount_difference'),
              coalesce(sum(amount_fen) FILTER (WHERE outcome = 'amount_difference'), 0)::bigint,
              coalesce(sum(amount_fen - platform_amount_fen) FILTER (WHERE outcome = 'amount_difference'), 0)::bigint,
              count(*) FILTER (WHERE outcome = 'held_for_review'), coalesce(sum(amount_fen) FILTER (WHERE outcome = 'held_for_review'), 0)::bigint,
              count(*) FILTER (WHERE kind <> 'payment'), coalesce(sum(amount_fen) FILTER (WHERE kind <> 'payment'), 0)::bigint,
              (SELECT count(*) FROM reconciliation_discrepancies
               WHERE tenant_id = $1 AND statement_id = $2 AND kind = 'missing_there'),
              (SELECT coalesce(sum(platform_amount_fen), 0)::bigint FROM reconciliation_discrepancies
               WHERE tenant_id = $1 AND statement_id = $2 AND kind = 'missing_there')
            FROM reconciliation_statement_lines
            WHERE tenant_id = $1 AND statement_id = $2
            """, tenantId, statementId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        Tally At(int count, int amount) => new((int)r.GetInt64(count), r.GetInt64(amount));
        return new StatementTally(Payments: At(0, 1), Matched: At(2, 3), MissingHere: At(4, 5), MissingThere: At(13, 14),
            AmountDifferences: At(6, 7), AmountDifferenceFen: r.GetInt64(8), HeldForReview: At(9, 10),
            RefundsAndReversals: At(11, 12));
    }

    public static async Task<Discrepancy?> FindDiscrepancyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid discrepancyId, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {DiscrepancyColumns}
            FROM reconciliation_discrepancies d
            LEFT JOIN reconciliation_resolutions r ON r.tenant_id = d.tenant_id AND r.discrepancy_id = d.discrepancy_id
            WHERE d.tenant_id = $1 AND d.discrepancy_id = $2 {(forUpdate ? "FOR UPDATE OF d" : "")}
            """, tenantId, discrepancyId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadDiscrepancy(reader) : null;
    }

    /// <summary>Discrepancies in id order after <paramref name="after"/>, filtered; null filters match all.</summary>
    public static async Task<List<Discrepancy>> ListDiscrepanciesAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, DiscrepancyListFilter filter, Guid? after, int limit, CancellationToken ct)
    {
        await using var cmd = ListStatement(tenantId, filter, after).Command(conn, tx, limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var found = new List<Discrepancy>();
        while (await reader.ReadAsync(ct)) found.Add(ReadDiscrepancy(reader));
        return found;
    }

    /// <summary>The statement of <see cref="ListDiscrepanciesAsync"/>: only the filters set, each served by an index
    /// (migrations 0006 and 0013).</summary>
    public static ListQuery ListStatement(string tenantId, DiscrepancyListFilter filter, Guid? after)
    {
        var query = new ListQuery($"""
            SELECT {DiscrepancyColumns}
            FROM reconciliation_discrepancies d
            LEFT JOIN reconciliation_resolutions r ON r.tenant_id = d.tenant_id AND r.discrepancy_id = d.discrepancy_id
            """, "d.discrepancy_id");
        query.Where($"d.tenant_id = {query.Parameter(tenantId)}");
        if (filter.StatementId is { } statement) query.Where($"d.statement_id = {query.Parameter(statement, NpgsqlDbType.Uuid)}");
        if (filter.Channel is { } channel) query.Where($"d.channel = {query.Parameter(channel)}");
        if (filter.State is { } state) query.Where($"d.state = {query.Parameter(StateCode(state))}");
        if (filter.Kind is { } kind) query.Where($"d.kind = {query.Parameter(KindCode(kind))}");
        if (filter.From is { } from) query.Where($"d.statement_date >= {query.Parameter(from, NpgsqlDbType.Date)}");
        if (filter.To is { } to) query.Where($"d.statement_date <= {query.Parameter(to, NpgsqlDbType.Date)}");
        if (after is { } id) query.Where($"d.discrepancy_id > {query.Parameter(id, NpgsqlDbType.Uuid)}");
        return query;
    }

    /// <summary>Records the resolution and closes the discrepancy, which the caller holds locked and open.</summary>
    public static async Task ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid discrepancyId,
        Resolution resolution, CancellationToken ct)
    {
        await using (var close = Sql.Command(conn, tx,
            "UPDATE reconciliation_discrepancies SET state = 'resolved' WHERE tenant_id = $1 AND discrepancy_id = $2 AND state = 'open'",
            tenantId, discrepancyId))
            if (await close.ExecuteNonQueryAsync(ct) != 1)
                throw new InvalidOperationException($"Discrepancy {discrepancyId} was not open when resolved.");
        await using var audit = Sql.Command(conn, tx, """
            INSERT INTO reconciliation_resolutions (tenant_id, discrepancy_id, action, note, resolved_by, resolved_at, request_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, tenantId, discrepancyId, ActionCode(resolution.Action), resolution.Note, resolution.ResolvedBy,
            resolution.ResolvedAt, resolution.RequestId);
        await audit.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Whether the platform now holds a paid order for the channel's transaction.</summary>
    public static async Task<bool> PlatformHoldsPaymentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string channel, string channelTransactionId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT EXISTS (SELECT 1 FROM payment_orders
                           WHERE tenant_id = $1 AND channel = $2 AND channel_transaction_id = $3 AND {HoldsPayment})
            """, tenantId, channel, channelTransactionId);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Whether another current statement of the channel lists the transaction as paid.</summary>
    public static async Task<bool> ListedOnAnotherStatementAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string channel, string channelTransactionId, Guid statementId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, """
            SELECT EXISTS (SELECT 1 FROM reconciliation_statement_lines l
                           JOIN reconciliation_statements s ON s.tenant_id = l.tenant_id AND s.statement_id = l.statement_id
                           WHERE l.tenant_id = $1 AND l.channel_transaction_id = $3 AND l.kind = 'payment'
                             AND s.channel = $2 AND s.statement_id <> $4 AND s.superseded_by IS NULL)
            """, tenantId, channel, channelTransactionId, statementId);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Open discrepancies of every tenant by channel; for the metrics, in the system scope.</summary>
    public static async Task<Dictionary<string, long>> OpenByChannelAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, "SELECT channel, count(*) FROM reconciliation_discrepancies WHERE state = 'open' GROUP BY channel");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var open = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) open[reader.GetString(0)] = reader.GetInt64(1);
        return open;
    }

    private static async Task<List<PlatformPayment>> ReadPaymentsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var payments = new List<PlatformPayment>();
        while (await reader.ReadAsync(ct))
            payments.Add(new PlatformPayment(reader.GetString(0), reader.GetFieldValue<Guid[]>(1), reader.GetInt64(2),
                reader.GetFieldValue<DateTimeOffset>(3)));
        return payments;
    }

    private static StatementRecord ReadStatement(NpgsqlDataReader r) => new(
        StatementId: r.GetGuid(0),
        Channel: r.GetString(1),
        StatementDate: r.GetFieldValue<DateOnly>(2),
        Format: ParseFormat(r.GetString(3)),
        ContentSha256: r.GetFieldValue<byte[]>(4),
        ImportedAt: r.GetFieldValue<DateTimeOffset>(5),
        ImportedBy: r.GetString(6),
        ReplacesStatementId: r.IsDBNull(7) ? null : r.GetGuid(7));

    private static Discrepancy ReadDiscrepancy(NpgsqlDataReader r) => new(
        DiscrepancyId: r.GetGuid(0),
        StatementId: r.GetGuid(1),
        Channel: r.GetString(2),
        StatementDate: r.GetFieldValue<DateOnly>(3),
        Kind: ParseKind(r.GetString(4)),
        ChannelTransactionId: r.GetString(5),
        State: ParseState(r.GetString(6)),
        CreatedAt: r.GetFieldValue<DateTimeOffset>(7))
    {
        LineNumber = r.IsDBNull(8) ? null : r.GetInt32(8),
        MerchantOrderId = r.GetString(9),
        ChannelAmountFen = r.IsDBNull(10) ? null : r.GetInt64(10),
        ChannelTime = r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11),
        PlatformAmountFen = r.IsDBNull(12) ? null : r.GetInt64(12),
        PlatformPaidAt = r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
        OrderIds = r.GetFieldValue<Guid[]>(14),
        Resolution = r.IsDBNull(15) ? null : new Resolution(ParseAction(r.GetString(15)), r.GetString(16), r.GetString(17),
            r.GetFieldValue<DateTimeOffset>(18), r.GetString(19)),
    };

    private static readonly Dictionary<StatementFormat, string> FormatCodes = new()
    {
        [StatementFormat.WeChatTradeBill] = "wechat_trade_bill",
        [StatementFormat.AlipayTradeStatement] = "alipay_trade_statement",
        [StatementFormat.BureauCollectionStatement] = "bureau_collection_statement",
    };

    private static readonly Dictionary<ResolutionAction, string> ActionCodes = new()
    {
        [ResolutionAction.ConfirmLatePayment] = "confirm_late_payment",
        [ResolutionAction.RefundToPayer] = "refund_to_payer",
        [ResolutionAction.ChannelErrorWrittenOff] = "channel_error_written_off",
        [ResolutionAction.MatchedManually] = "matched_manually",
    };

    private static string FormatCode(StatementFormat format) => FormatCodes[format];
    private static StatementFormat ParseFormat(string code) => FormatCodes.Single(f => f.Value == code).Key;
    private static string ActionCode(ResolutionAction action) => ActionCodes[action];
    private static ResolutionAction ParseAction(string code) => ActionCodes.Single(a => a.Value == code).Key;

    private static string KindCode(StatementLineKind kind) => kind switch
    {
        StatementLineKind.Payment => "payment",
        StatementLineKind.Refund => "refund",
        StatementLineKind.Reversal => "reversal",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string OutcomeCode(LineOutcome outcome) => outcome switch
    {
        LineOutcome.Matched => "matched",
        LineOutcome.AmountDifference => "amount_difference",
        LineOutcome.MissingHere => "missing_here",
        LineOutcome.HeldForReview => "held_for_review",
        LineOutcome.NotReconciled => "not_reconciled",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    private static string KindCode(DiscrepancyKind kind) => kind switch
    {
        DiscrepancyKind.MissingHere => "missing_here",
        DiscrepancyKind.MissingThere => "missing_there",
        DiscrepancyKind.AmountDifference => "amount_difference",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static DiscrepancyKind ParseKind(string code) => code switch
    {
        "missing_here" => DiscrepancyKind.MissingHere,
        "missing_there" => DiscrepancyKind.MissingThere,
        "amount_difference" => DiscrepancyKind.AmountDifference,
        _ => throw new InvalidOperationException($"Unknown discrepancy kind '{code}'."),
    };

    private static string StateCode(DiscrepancyState state) => state switch
    {
        DiscrepancyState.Open => "open",
        DiscrepancyState.Resolved => "resolved",
        DiscrepancyState.Superseded => "superseded",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    private static DiscrepancyState ParseState(string code) => code switch
    {
        "open" => DiscrepancyState.Open,
        "resolved" => DiscrepancyState.Resolved,
        "superseded" => DiscrepancyState.Superseded,
        _ => throw new InvalidOperationException($"Unknown discrepancy state '{code}'."),
    };

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct)
        where T : struct
    {
        if (value is { } v) await copy.WriteAsync(v, type, ct);
        else await copy.WriteNullAsync(ct);
    }
}
