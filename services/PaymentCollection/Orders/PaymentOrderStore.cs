using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.PaymentCollection.Orders;

/// <summary>Where a channel transaction's money is held; see <see cref="PaymentOrderStore.TransactionHomeAsync"/>.</summary>
public sealed record TransactionHome(IReadOnlyList<PaymentOrder> HoldingOrders,
    (Guid ReviewId, Guid OrderId, long AmountFen)? CarryingItem)
{
    public bool IsEmpty => HoldingOrders.Count == 0 && CarryingItem is null;
}

/// <summary>What payment orders are listed by; null matches all. <see cref="DivisionCode"/>: a village, township or
/// county code (6, 9 or 12 digits), matching the villages within it.</summary>
public sealed record OrderListFilter(string? ResidentId, string? Channel, OrderState? State, string? DivisionCode,
    string? ReceiptNumber)
{
    /// <summary>The filter as a page token binds it (AIP-158).</summary>
    public string TokenKey => System.Text.Json.JsonSerializer.Serialize(
        new[] { "orders", ResidentId, Channel, State?.ToString(), DivisionCode, ReceiptNumber });
}

/// <summary>The SQL of payment orders, confirmations and the review queue; every call runs in a tenant transaction.</summary>
public static class PaymentOrderStore
{
    private const string OrderColumns = """
        order_id, resident_id, village_code, coverage_year, tier, channel, state, personal_amount_fen, subsidy_amount_fen,
        policy_id, policy_version, benefit_start, benefit_end, channel_transaction_id, created_at, paid_at, expires_at,
        subsidy_lines, person_group, household_id, household_order_id, receipt_number, agent_id,
        adjusted_personal_fen, adjusted_subsidy_lines
        """;

    /// <summary>
    /// Serialises everything that can settle one person's coverage year (creating a zero-contribution order,
    /// confirming any of her orders) until the transaction ends; the unique index is only the last line of defence.
    /// </summary>
    public static async Task LockCoverageYearAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string residentId, int coverageYear, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            $"payment_collection|{tenantId}|{residentId}|{coverageYear}");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Serialises every notice and review resolution that may place one channel transaction's money, so it lands
    /// in exactly one place. Taken before any person-year lock, never after one.
    /// </summary>
    public static async Task LockTransactionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string channelTransactionId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            $"payment_collection|txn|{tenantId}|{channelTransactionId}");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Where a channel transaction's money is: the orders that hold it (a household order's members share it), or the
    /// review item that carries it. Both empty: the transaction's money has not arrived before.
    /// </summary>
    public static async Task<TransactionHome> TransactionHomeAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string channelTransactionId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Sql.BatchCommand(HoldingOrdersSql, tenantId, channelTransactionId),
                Sql.BatchCommand(CarryingItemSql, tenantId, channelTransactionId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ReadHomeAsync(reader, ct);
    }

    private static readonly string HoldingOrdersSql = $"""
        SELECT {OrderColumns} FROM payment_orders
        WHERE tenant_id = $1 AND channel_transaction_id = $2 AND state IN ('paid', 'refund_requested', 'refunded')
        ORDER BY order_id
        """;

    private const string CarryingItemSql = """
        SELECT review_id, order_id, amount_fen FROM payment_reviews
        WHERE tenant_id = $1 AND channel_transaction_id = $2 AND carries_money
          AND (resolution IS NULL OR resolution = 'returned_to_payer')
        ORDER BY created_at, review_id
        LIMIT 1
        """;

    /// <summary>Reads the two result sets of the transaction home, leaving the reader on the second.</summary>
    private static async Task<TransactionHome> ReadHomeAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var holders = new List<PaymentOrder>();
        while (await reader.ReadAsync(ct)) holders.Add(ReadOrder(reader));
        await reader.NextResultAsync(ct);
        return new TransactionHome(holders,
            await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2)) : null);
    }

    /// <summary>What a notice is decided on, read under its transaction lock; see <see cref="LockTransactionAndReadAsync"/>.</summary>
    public sealed record NoticeContext(TransactionHome Home, bool HasOpenZeroAmountReview, PaymentOrder? Order);

    /// <summary>
    /// In one round trip: the transaction lock (<see cref="LockTransactionAsync"/>), where its money is
    /// (<see cref="TransactionHomeAsync"/>), whether 0-fen review items of it are open (so a confirmation closes them
    /// only when there are some), and the person order the notice names (unlocked; null for a household order or none).
    /// Each read is a statement of its own after the lock, so it sees what the lock's last holder committed.
    /// </summary>
    public static async Task<NoticeContext> LockTransactionAndReadAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string channelTransactionId, Guid orderId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Sql.BatchCommand("SELECT 1 FROM pg_advisory_xact_lock(hashtextextended($1, 0))",
                    $"payment_collection|txn|{tenantId}|{channelTransactionId}"),
                Sql.BatchCommand(HoldingOrdersSql, tenantId, channelTransactionId),
                Sql.BatchCommand(CarryingItemSql, tenantId, channelTransactionId),
                Sql.BatchCommand("""
                    SELECT EXISTS (SELECT 1 FROM payment_reviews
                                   WHERE tenant_id = $1 AND channel_transaction_id = $2 AND amount_fen = 0
                                     AND resolved_at IS NULL)
                    """, tenantId, channelTransactionId),
                Sql.BatchCommand(FindOrderSql(forUpdate: false), tenantId, orderId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var home = await ReadHomeAsync(reader, ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var openZero = reader.GetBoolean(0);
        await reader.NextResultAsync(ct);
        var order = await reader.ReadAsync(ct) ? ReadOrder(reader) : null;
        return new NoticeContext(home, openZero, order);
    }

    /// <summary>
    /// In one round trip: the person-year lock, the order locked for update, and whether another of her orders
    /// settled the year (each a statement of its own after the lock).
    /// </summary>
    public static async Task<(PaymentOrder Order, bool SettledElsewhere)> LockCoverageYearAndOrderAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, PaymentOrder order, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        AddLockAndSettledCheck(batch, tenantId, order.ResidentId, order.CoverageYear, order.OrderId);
        batch.BatchCommands.Insert(1, Sql.BatchCommand(FindOrderSql(forUpdate: true), tenantId, order.OrderId));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var locked = await reader.ReadAsync(ct) ? ReadOrder(reader)
            : throw new InvalidOperationException($"Payment order {order.OrderId} vanished under its person-year lock.");
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return (locked, reader.GetBoolean(0));
    }

    private const string SettledSql = """
        SELECT EXISTS (SELECT 1 FROM payment_orders
                       WHERE tenant_id = $1 AND resident_id = $2 AND coverage_year = $3
                         AND state IN ('paid', 'refund_requested') AND order_id IS DISTINCT FROM $4)
        """;

    public static async Task<bool> CoverageYearSettledAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string residentId, int coverageYear, Guid? excludingOrderId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, SettledSql, tenantId, residentId, coverageYear, Sql.Typed(excludingOrderId, NpgsqlDbType.Uuid));
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Adds the person-year lock (see <see cref="LockCoverageYearAsync"/>) and then the settled check to a batch: one
    /// round trip, and the check is a statement of its own, so its snapshot sees what the lock's last holder committed.
    /// </summary>
    public static void AddLockAndSettledCheck(NpgsqlBatch batch, string tenantId, string residentId, int coverageYear,
        Guid? excludingOrderId = null)
    {
        batch.BatchCommands.Add(Sql.BatchCommand("SELECT 1 FROM pg_advisory_xact_lock(hashtextextended($1, 0))",
            $"payment_collection|{tenantId}|{residentId}|{coverageYear}"));
        batch.BatchCommands.Add(Sql.BatchCommand(SettledSql, tenantId, residentId, coverageYear,
            Sql.Typed(excludingOrderId, NpgsqlDbType.Uuid)));
    }

    /// <summary>Reads the settled check of <see cref="AddLockAndSettledCheck"/>: the batch's one boolean result.</summary>
    public static async Task<bool> ReadSettledAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        bool? settled = null;
        do
        {
            if (reader.FieldCount == 1 && reader.GetFieldType(0) == typeof(bool) && await reader.ReadAsync(ct))
                settled = reader.GetBoolean(0);
        } while (await reader.NextResultAsync(ct));
        return settled ?? throw new InvalidOperationException("The batch carried no settled check.");
    }

    public static async Task InsertOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PaymentOrder order, string quoteJson, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { InsertOrderCommand(tenantId, order, quoteJson) } };
        await batch.ExecuteNonQueryAsync(ct);
    }

    public static NpgsqlBatchCommand InsertOrderCommand(string tenantId, PaymentOrder order, string quoteJson) =>
        Sql.BatchCommand("""
            INSERT INTO payment_orders (tenant_id, order_id, resident_id, village_code, coverage_year, tier, channel, state,
              personal_amount_fen, subsidy_amount_fen, policy_id, policy_version, quote, benefit_start, benefit_end,
              channel_transaction_id, created_at, paid_at, expires_at, subsidy_lines, person_group, household_id,
              household_order_id, receipt_number, agent_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
              $23, $24, $25)
            """,
            tenantId, order.OrderId, order.ResidentId, order.VillageCode, order.CoverageYear, order.Tier, order.Channel,
            OrderStateCodes.Code(order.State), order.PersonalAmountFen, order.SubsidyAmountFen, order.PolicyId, order.PolicyVersion,
            new NpgsqlParameter { Value = quoteJson, NpgsqlDbType = NpgsqlDbType.Jsonb },
            order.BenefitStart, order.BenefitEnd, Sql.Typed(order.ChannelTransactionId, NpgsqlDbType.Text), order.CreatedAt,
            Sql.Typed(order.PaidAt, NpgsqlDbType.TimestampTz), order.ExpiresAt,
            SubsidyLineJson.Parameter(order.SubsidyLines),
            order.PersonGroup, Sql.Typed(order.HouseholdId, NpgsqlDbType.Text), Sql.Typed(order.HouseholdOrderId, NpgsqlDbType.Uuid),
            Sql.Typed(order.ReceiptNumber, NpgsqlDbType.Text), Sql.Typed(order.AgentId, NpgsqlDbType.Text));

    /// <summary>A fresh receipt number (票据号) for a payment of <paramref name="coverageYear"/>: the year, then a
    /// city-wide serial.</summary>
    public static async Task<string> NextReceiptNumberAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int coverageYear,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, "SELECT nextval('payment_receipt_numbers')");
        var serial = (long)(await cmd.ExecuteScalarAsync(ct))!;
        return $"{coverageYear}{serial:D10}";
    }

    /// <summary>Stores what a transition changes: the state, and the transaction and time of payment.</summary>
    public static async Task UpdateOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PaymentOrder order, CancellationToken ct)
    {
        var update = UpdateOrderCommand(tenantId, order);
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { update } };
        await batch.ExecuteNonQueryAsync(ct);
        EnsureUpdated(update, order);
    }

    /// <summary>The update of <see cref="UpdateOrderAsync"/>, for a batch; check it with <see cref="EnsureUpdated"/>.</summary>
    public static NpgsqlBatchCommand UpdateOrderCommand(string tenantId, PaymentOrder order) => Sql.BatchCommand("""
        UPDATE payment_orders SET state = $3, channel_transaction_id = $4, paid_at = $5, receipt_number = $6
        WHERE tenant_id = $1 AND order_id = $2
        """, tenantId, order.OrderId, OrderStateCodes.Code(order.State), Sql.Typed(order.ChannelTransactionId, NpgsqlDbType.Text),
        Sql.Typed(order.PaidAt, NpgsqlDbType.TimestampTz), Sql.Typed(order.ReceiptNumber, NpgsqlDbType.Text));

    public static void EnsureUpdated(NpgsqlBatchCommand update, PaymentOrder order)
    {
        if (update.RecordsAffected != 1)
            throw new InvalidOperationException($"Payment order {order.OrderId} vanished during its update.");
    }

    /// <summary>Stores what a completed differential refund left the order standing for.</summary>
    public static async Task AdjustOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PaymentOrder order, CancellationToken ct)
    {
        var adjustment = order.Adjustment ?? throw new ArgumentException("The order carries no adjustment.", nameof(order));
        await using var cmd = Sql.Command(conn, tx, """
            UPDATE payment_orders SET adjusted_personal_fen = $3, adjusted_subsidy_lines = $4
            WHERE tenant_id = $1 AND order_id = $2
            """, tenantId, order.OrderId, adjustment.PersonalFen, SubsidyLineJson.Parameter(adjustment.SubsidyLines));
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new InvalidOperationException($"Payment order {order.OrderId} vanished during its update.");
    }

    private static string FindOrderSql(bool forUpdate) => $"""
        SELECT {OrderColumns} FROM payment_orders WHERE tenant_id = $1 AND order_id = $2 {(forUpdate ? "FOR UPDATE" : "")}
        """;

    public static async Task<PaymentOrder?> FindOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid orderId, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, FindOrderSql(forUpdate), tenantId, orderId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadOrder(reader) : null;
    }

    /// <summary>Orders in order-id order (time-ordered UUIDv7) matching <paramref name="filter"/> as they read at
    /// <paramref name="now"/>, after <paramref name="afterOrderId"/>.</summary>
    public static async Task<IReadOnlyList<PaymentOrder>> ListOrdersAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, OrderListFilter filter, DateTimeOffset now, Guid? afterOrderId, int limit, CancellationToken ct)
    {
        await using var cmd = ListStatement(tenantId, filter, now, afterOrderId).Command(conn, tx, limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var orders = new List<PaymentOrder>();
        while (await reader.ReadAsync(ct)) orders.Add(ReadOrder(reader));
        return orders;
    }

    /// <summary>The statement of <see cref="ListOrdersAsync"/>: only the filters set, each served by an index
    /// (migrations 0002, 0003 and 0013).</summary>
    public static ListQuery ListStatement(string tenantId, OrderListFilter filter, DateTimeOffset now, Guid? afterOrderId)
    {
        var query = new ListQuery($"SELECT {OrderColumns} FROM payment_orders", "order_id");
        query.Where($"tenant_id = {query.Parameter(tenantId)}");
        if (filter.ResidentId is { } resident) query.Where($"resident_id = {query.Parameter(resident)}");
        if (filter.Channel is { } channel) query.Where($"channel = {query.Parameter(channel)}");
        switch (filter.State)
        {
            // An unpaid order past its expiry reads as expired (PaymentOrder.EffectiveState) before anyone stores it so.
            case OrderState.Created:
                query.Where($"state = 'created' AND expires_at > {query.Parameter(now)}");
                break;
            case OrderState.Expired:
                query.Where($"state IN ('expired', 'created') AND (state = 'expired' OR expires_at <= {query.Parameter(now)})");
                break;
            case { } state:
                query.Where($"state = {query.Parameter(OrderStateCodes.Code(state))}");
                break;
        }
        if (filter.DivisionCode is { } division)
        {
            // Village codes are 12 digits and nest: a township's or county's villages are one range of codes.
            query.Where($"village_code BETWEEN {query.Parameter(division.PadRight(12, '0'))} AND {query.Parameter(division.PadRight(12, '9'))}");
        }
        if (filter.ReceiptNumber is { } receipt) query.Where($"receipt_number = {query.Parameter(receipt)}");
        if (afterOrderId is { } after) query.Where($"order_id > {query.Parameter(after, NpgsqlDbType.Uuid)}");
        return query;
    }

    /// <summary>The member orders of a household order, by resident.</summary>
    public static async Task<IReadOnlyList<PaymentOrder>> HouseholdMembersAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, Guid householdOrderId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {OrderColumns} FROM payment_orders
            WHERE tenant_id = $1 AND household_order_id = $2
            ORDER BY resident_id
            """, tenantId, householdOrderId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var orders = new List<PaymentOrder>();
        while (await reader.ReadAsync(ct)) orders.Add(ReadOrder(reader));
        return orders;
    }

    /// <summary>The resident's orders that are paid (not being refunded), oldest first.</summary>
    public static async Task<IReadOnlyList<PaymentOrder>> PaidOrdersOfResidentAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, string residentId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(conn, tx, $"""
            SELECT {OrderColumns} FROM payment_orders
            WHERE tenant_id = $1 AND resident_id = $2 AND state = 'paid'
            ORDER BY order_id
            """, tenantId, residentId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var orders = new List<PaymentOrder>();
        while (await reader.ReadAsync(ct)) orders.Add(ReadOrder(reader));
        return orders;
    }

    /// <summary>Keeps one received notice, whatever became of it.</summary>
    public static async Task<Guid> RecordConfirmationAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid orderId, string? channel, string? channelTransactionId, long amountFen, DateTimeOffset? reportedPaidAt,
        DateTimeOffset receivedAt, string outcome, CancellationToken ct)
    {
        var (confirmationId, insert) = RecordConfirmationCommand(tenantId, orderId, channel, channelTransactionId, amountFen,
            reportedPaidAt, receivedAt, outcome);
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { insert } };
        await batch.ExecuteNonQueryAsync(ct);
        return confirmationId;
    }

    /// <summary>The insert of <see cref="RecordConfirmationAsync"/>, for a batch, with the confirmation's id.</summary>
    public static (Guid ConfirmationId, NpgsqlBatchCommand Insert) RecordConfirmationCommand(string tenantId, Guid orderId,
        string? channel, string? channelTransactionId, long amountFen, DateTimeOffset? reportedPaidAt,
        DateTimeOffset receivedAt, string outcome)
    {
        var confirmationId = Guid.CreateVersion7(receivedAt);
        return (confirmationId, Sql.BatchCommand("""
            INSERT INTO payment_confirmations (tenant_id, confirmation_id, order_id, channel, channel_transaction_id,
              amount_fen, reported_paid_at, received_at, outcome)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, tenantId, confirmationId, orderId, Sql.Typed(channel, NpgsqlDbType.Text),
            Sql.Typed(channelTransactionId, NpgsqlDbType.Text), amountFen, Sql.Typed(reportedPaidAt, NpgsqlDbType.TimestampTz),
            receivedAt, outcome));
    }

    /// <summary>
    /// Puts a refused notice in front of a person; a replay of the same notice adds no second item.
    /// <paramref name="carriesMoney"/>: the notice brings its transaction's money for the first time (see
    /// <see cref="PaymentReview.CarriesMoney"/>).
    /// </summary>
    public static async Task QueueReviewAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid confirmationId, Guid orderId, string? channel, string channelTransactionId, long amountFen, string reason,
        string detail, bool carriesMoney, DateTimeOffset createdAt, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                QueueReviewCommand(tenantId, confirmationId, orderId, channel, channelTransactionId, amountFen, reason,
                    detail, carriesMoney, createdAt),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The insert of <see cref="QueueReviewAsync"/>, for a batch. <paramref name="channel"/>: the channel the
    /// money came through, null when nobody said (the review queue is listed by it).</summary>
    public static NpgsqlBatchCommand QueueReviewCommand(string tenantId, Guid confirmationId, Guid orderId, string? channel,
        string channelTransactionId, long amountFen, string reason, string detail, bool carriesMoney,
        DateTimeOffset createdAt) => Sql.BatchCommand("""
        INSERT INTO payment_reviews (tenant_id, review_id, confirmation_id, order_id, channel_transaction_id, amount_fen,
          reason, detail, created_at, carries_money, channel)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (tenant_id, order_id, channel_transaction_id, reason) DO NOTHING
        """, tenantId, Guid.CreateVersion7(createdAt), confirmationId, orderId, channelTransactionId, amountFen, reason,
        detail, createdAt, carriesMoney && amountFen > 0, Sql.Typed(channel, NpgsqlDbType.Text));

    /// <summary>
    /// Once a transaction pays an order, its open 0-fen items (a notice that reported no amount) are closed as matched
    /// to that order: they carried no money, and nobody must return what was never short.
    /// </summary>
    public static async Task CloseZeroAmountReviewsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string channelTransactionId, Guid paidOrderId, DateTimeOffset at, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands = { CloseZeroAmountReviewsCommand(tenantId, channelTransactionId, paidOrderId, at) },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The update of <see cref="CloseZeroAmountReviewsAsync"/>, for a batch.</summary>
    public static NpgsqlBatchCommand CloseZeroAmountReviewsCommand(string tenantId, string channelTransactionId,
        Guid paidOrderId, DateTimeOffset at) => Sql.BatchCommand("""
        UPDATE payment_reviews SET resolution = 'matched_elsewhere', resolution_reference = $3,
          resolution_note = 'closed by the confirmation of the same transaction', resolved_by = 'payment-collection',
          resolved_at = $4
        WHERE tenant_id = $1 AND channel_transaction_id = $2 AND amount_fen = 0 AND resolved_at IS NULL
        """, tenantId, channelTransactionId, paidOrderId.ToString(), at);

    /// <summary>The outcome code a confirmation row stores for a domain decision.</summary>
    public static string OutcomeCode(ConfirmationOutcome outcome) => outcome switch
    {
        ConfirmationOutcome.Confirmed => "confirmed",
        ConfirmationOutcome.Replayed => "replayed",
        ConfirmationOutcome.AmountMismatch => "amount_mismatch",
        ConfirmationOutcome.DuplicatePayment => "duplicate_payment",
        ConfirmationOutcome.TransactionReused => "transaction_reused",
        ConfirmationOutcome.OrderExpired => "order_expired",
        ConfirmationOutcome.OrderCancelled => "order_cancelled",
        ConfirmationOutcome.HouseholdMemberOrder => "household_member_order",
        ConfirmationOutcome.HouseholdMembersChanged => "household_members_changed",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    public const string ZeroContributionOutcome = "zero_contribution";
    public const string OrderNotFoundOutcome = "order_not_found";
    public const string MatchedFromReviewOutcome = "matched_from_review";

    private static PaymentOrder ReadOrder(NpgsqlDataReader r) => new(
        OrderId: r.GetGuid(0),
        ResidentId: r.GetString(1),
        VillageCode: r.GetString(2),
        CoverageYear: r.GetInt32(3),
        Tier: r.GetInt32(4),
        Channel: r.GetString(5),
        State: OrderStateCodes.Parse(r.GetString(6)),
        PersonalAmountFen: r.GetInt64(7),
        SubsidyAmountFen: r.GetInt64(8),
        PolicyId: r.GetString(9),
        PolicyVersion: r.GetInt32(10),
        BenefitStart: r.GetFieldValue<DateOnly>(11),
        BenefitEnd: r.GetFieldValue<DateOnly>(12),
        ChannelTransactionId: r.IsDBNull(13) ? null : r.GetString(13),
        CreatedAt: r.GetFieldValue<DateTimeOffset>(14),
        PaidAt: r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15),
        ExpiresAt: r.GetFieldValue<DateTimeOffset>(16))
    {
        SubsidyLines = SubsidyLineJson.Read(r.GetString(17)),
        PersonGroup = r.GetString(18),
        HouseholdId = r.IsDBNull(19) ? null : r.GetString(19),
        HouseholdOrderId = r.IsDBNull(20) ? null : r.GetGuid(20),
        ReceiptNumber = r.IsDBNull(21) ? null : r.GetString(21),
        AgentId = r.IsDBNull(22) ? null : r.GetString(22),
        Adjustment = r.IsDBNull(23) ? null : new OrderAdjustment(r.GetInt64(23), SubsidyLineJson.Read(r.GetString(24))),
    };
}
