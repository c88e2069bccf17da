using System.Runtime.ExceptionServices;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Options;
using Npgsql;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;
using OrderState = Medins.PaymentCollection.Core.OrderState;

namespace Medins.PaymentCollection.Orders;

/// <summary>What an order is opened for: one person, one coverage year, one channel.</summary>
public sealed record OrderRequest(string ResidentId, int CoverageYear, string Channel, int Tier)
{
    public string? HouseholdId { get; init; }
    public Guid? HouseholdOrderId { get; init; }
    public string? AgentId { get; init; }
}

/// <summary>
/// The person and her price, as <see cref="OrderBook.PriceAsync"/> found them; <see cref="Booklet"/> is her household
/// when the policy enrols a booklet together (null otherwise, or when she is on no booklet).
/// </summary>
public sealed record PersonQuote(Identity.V1.Resident Resident, PricedContribution Price, string QuoteJson)
{
    public Identity.V1.Household? Booklet { get; init; }
}

/// <summary>A booklet and its members' prices (in member order), as <see cref="OrderBook.PriceHouseholdAsync"/> found them.</summary>
public sealed record HouseholdQuote(Identity.V1.Household Household,
    IReadOnlyList<(PricedContribution Price, string QuoteJson)> Quotes, bool EnrolTogether);

/// <summary>What was priced before a transaction, when, or the upstream failure to throw where it is used.</summary>
public sealed record Priced<T>(T? Value, ExceptionDispatchInfo? Failure, DateTimeOffset PricedAt) where T : class
{
    public T Get()
    {
        Failure?.Throw();
        return Value!;
    }
}

/// <summary>
/// Opens and confirms payment orders inside the caller's tenant transaction, so every way money arrives (a gRPC
/// call, a channel's signed notice, a village agent's cash) runs the same rules and writes the same event.
/// </summary>
public sealed class OrderBook(
    Outbox outbox,
    TimeProvider time,
    ResidentPricing pricing,
    IOptions<PaymentCollectionOptions> options)
{
    /// <summary>
    /// A quote is used only while it is fresh: priced on the same Asia/Shanghai day and at most this long before its
    /// order's transaction. The order carries the policy version that priced it, so a policy published in between
    /// just means the person paid a moment earlier; an older quote is refused (<see cref="StaleQuote"/>)
    /// and priced again by the caller's retry, never committed.
    /// </summary>
    public static readonly TimeSpan MaxQuoteAge = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A quote older than <see cref="MaxQuoteAge"/> (or of another day), or a policy answer to another question,
    /// reached its transaction: QUOTE_EXPIRED, which <see cref="WithFreshQuoteAsync{T}"/> prices again (and an
    /// event's redelivery prepares again) before a caller ever sees it.
    /// </summary>
    public static RuleViolation StaleQuote() => new(ErrorReason.QuoteExpired, RefusalStatus.Aborted,
        "The quote is no longer fresh; price the order again.");

    // Upstream refusals never arrive as ABORTED (UpstreamCalls maps that to UNAVAILABLE): this is only our own.
    private static bool IsStaleQuote(RuleViolation violation) =>
        violation.Status == RefusalStatus.Aborted && violation.Reason == ErrorReasons.Code(ErrorReason.QuoteExpired);

    /// <summary>
    /// Who the person is and what she pays, asked before any transaction opens (no remote call runs inside one). A
    /// failure upstream is kept and thrown where the order is opened, so errors come in the same order as before.
    /// </summary>
    public async Task<Priced<PersonQuote>> PriceAsync(OrderRequest request, CancellationToken ct)
    {
        var now = Now();
        try
        {
            var resident = await pricing.GetResidentAsync(request.ResidentId, ct);
            var (price, quote) = await pricing.QuoteAsync(resident, request.CoverageYear, request.Tier, now, ct);
            // Her booklet, asked now as no remote call runs inside the transaction; a household order checks its own.
            var booklet = quote.EnrolHouseholdTogether && request.HouseholdOrderId is null && resident.HouseholdNumber.Length > 0
                ? await pricing.GetHouseholdAsync(resident.HouseholdNumber, request.CoverageYear, ct)
                : null;
            return new(new PersonQuote(resident, price, Google.Protobuf.JsonFormatter.Default.Format(quote)) { Booklet = booklet },
                null, now);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new(null, ExceptionDispatchInfo.Capture(ex), now);
        }
    }

    /// <summary>
    /// Opens the person's order at the price <paramref name="priced"/> holds; a fully subsidised person is enrolled
    /// at once (zero contribution, with its event). Refuses (<see cref="RuleViolation"/>) when her year is already
    /// paid, and with QUOTE_EXPIRED when the quote is no longer fresh.
    /// </summary>
    public async Task<DomainOrder> OpenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        OrderRequest request, Priced<PersonQuote> priced, CancellationToken ct)
    {
        var (resident, price, quoteJson) = priced.Get();
        var now = EnsureFresh(priced);
        var settled = await LockAndCheckSettledAsync(conn, tx, tenantId, request.ResidentId, request.CoverageYear, ct);
        await EnsureBookletAllowsAsync(conn, tx, tenantId, priced.Value!, request, settled, ct);
        return await OpenPricedAsync(conn, tx, tenantId, request, resident.VillageCode, price, quoteJson, settled, now, ct);
    }

    /// <summary>
    /// Opens the order of a call whose request-log claim rides in the same round trip as the person-year lock and
    /// the settled check, and whose answer is stored with the order. Returns the first call's answer on a replay.
    /// </summary>
    public async Task<TResponse> OpenOnceAsync<TResponse>(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        OrderRequest request, Priced<PersonQuote> priced, RequestLog requestLog, string rpc, string requestId,
        Google.Protobuf.IMessage call, Google.Protobuf.MessageParser<TResponse> parser,
        Func<DomainOrder, TResponse> answer, CancellationToken ct) where TResponse : class, Google.Protobuf.IMessage<TResponse>
    {
        // The claim first: a concurrent first call holds its row, and a replay waits for it without any other lock.
        var claim = requestLog.ClaimCommand(tenantId, rpc, requestId, call);
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { claim } };
        PaymentOrderStore.AddLockAndSettledCheck(batch, tenantId, request.ResidentId, request.CoverageYear);
        bool settled;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
            settled = await PaymentOrderStore.ReadSettledAsync(reader, ct);
        if (claim.RecordsAffected != 1)
            return await requestLog.StoredAnswerAsync(conn, tx, tenantId, rpc, requestId, call, parser, ct);

        var (resident, price, quoteJson) = priced.Get();
        var now = EnsureFresh(priced);
        await EnsureBookletAllowsAsync(conn, tx, tenantId, priced.Value!, request, settled, ct);
        TResponse? response = default;
        var order = await OpenPricedAsync(conn, tx, tenantId, request, resident.VillageCode, price, quoteJson, settled, now, ct,
            opened => [RequestLog.CompleteCommand(tenantId, rpc, requestId, response = answer(opened))]);
        return response ?? answer(order);
    }

    private async Task<DomainOrder> OpenPricedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        OrderRequest request, string villageCode, PricedContribution price, string quoteJson, bool settled, DateTimeOffset now,
        CancellationToken ct, Func<DomainOrder, IEnumerable<NpgsqlBatchCommand>>? alongside = null)
    {
        var order = DomainOrder.Open(Guid.CreateVersion7(now), request.ResidentId, villageCode,
            request.CoverageYear, request.Channel, price, settled, now, options.Value.OrderExpiry) with
        {
            HouseholdId = request.HouseholdId,
            HouseholdOrderId = request.HouseholdOrderId,
            AgentId = request.AgentId,
        };
        return await StoreOpenedAsync(conn, tx, tenantId, order, quoteJson, now, ct, alongside);
    }

    /// <summary>
    /// Household-together (seed 004 一（三）1) on a single person's order: refused with HOUSEHOLD_INCOMPLETE, naming
    /// who is missing, while another member expected to enrol is neither enrolled nor paid here. A person already
    /// paid is answered ALREADY_PAID by the order rules instead.
    /// </summary>
    private static async Task EnsureBookletAllowsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PersonQuote quote, OrderRequest request, bool settled, CancellationToken ct)
    {
        if (quote.Booklet is not { } booklet || settled) return;
        var members = MemberFacts(booklet);
        var paidHere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in HouseholdOrderRules.Awaiting(members, request.ResidentId))
            if (await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, member.ResidentId, request.CoverageYear,
                    excludingOrderId: null, ct))
                paidHere.Add(member.ResidentId);
        HouseholdOrderRules.EnsureSingleMayEnrol(members, request.ResidentId, paidHere,
            Math.Max(0, booklet.BookletMemberCount - booklet.Members.Count));
    }

    /// <summary>The booklet's members as the household rules see them for its coverage year.</summary>
    private static List<HouseholdMemberFacts> MemberFacts(Identity.V1.Household household) => household.Members
        .Select(m => new HouseholdMemberFacts(m.Resident.ResidentId, ClerkLabel(m.Resident),
            m.EnrolmentStatus == Identity.V1.EnrolmentStatus.Enrolled, ExpectedToEnrol(m.Resident, household.CoverageYear)))
        .ToList();

    /// <summary>
    /// Whether the registry expects her to enrol: not deregistered (death, moving away), not suspended (army, prison,
    /// employee insurance, insurance elsewhere), and not excused for the year by a refund's reason.
    /// </summary>
    private static bool ExpectedToEnrol(Identity.V1.Resident resident, int coverageYear) =>
        resident.DeregisteredDate is null && resident.SuspendedDate is null
        && !resident.Enrolments.Any(e => e.CoverageYear == coverageYear && e.ExcusedFromEnrolment);

    /// <summary>
    /// Her full name and masked ID number, so a clerk of her tenant can find her: the registry masks the number for a
    /// tenant's caller, and it is masked here too should it ever arrive whole.
    /// </summary>
    private static string ClerkLabel(Identity.V1.Resident resident) => $"{resident.Name}（{MaskNationalId(resident.NationalId)}）";

    private static string MaskNationalId(string nationalId) =>
        nationalId.Contains('*') || nationalId.Length <= 8
            ? nationalId
            : nationalId[..4] + new string('*', nationalId.Length - 8) + nationalId[^4..];

    private static async Task<bool> LockAndCheckSettledAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string residentId, int coverageYear, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        PaymentOrderStore.AddLockAndSettledCheck(batch, tenantId, residentId, coverageYear);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await PaymentOrderStore.ReadSettledAsync(reader, ct);
    }

    /// <summary>
    /// Prices and opens again while a quote went stale before its transaction (a slow upstream or a day boundary);
    /// a third stale quote is refused as ABORTED QUOTE_EXPIRED, never committed.
    /// </summary>
    public static async Task<T> WithFreshQuoteAsync<T>(Func<Task<T>> priceAndOpen)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await priceAndOpen();
            }
            catch (RuleViolation stale) when (attempt < 3 && IsStaleQuote(stale))
            {
            }
        }
    }

    /// <summary>The time the order is opened at (its quote's time), once the quote is known to be fresh.</summary>
    private DateTimeOffset EnsureFresh<T>(Priced<T> priced) where T : class
    {
        var now = Now();
        if (now - priced.PricedAt > MaxQuoteAge || ShanghaiCalendar.ToDate(now) != ShanghaiCalendar.ToDate(priced.PricedAt))
            throw StaleQuote();
        return priced.PricedAt;
    }

    /// <summary>
    /// Stores a just-opened order (with <paramref name="alongside"/>'s statements in the same round trip). A
    /// zero-contribution one is enrolled here with its receipt, confirmation and event, as no channel will ever confirm it.
    /// </summary>
    private async Task<DomainOrder> StoreOpenedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        DomainOrder order, string quoteJson, DateTimeOffset now, CancellationToken ct,
        Func<DomainOrder, IEnumerable<NpgsqlBatchCommand>>? alongside = null)
    {
        if (order.IsZeroContribution)
            order = order with { ReceiptNumber = await PaymentOrderStore.NextReceiptNumberAsync(conn, tx, order.CoverageYear, ct) };
        await using (var batch = new NpgsqlBatch(conn, tx)
                     {
                         BatchCommands = { PaymentOrderStore.InsertOrderCommand(tenantId, order, quoteJson) },
                     })
        {
            foreach (var command in alongside?.Invoke(order) ?? []) batch.BatchCommands.Add(command);
            await batch.ExecuteNonQueryAsync(ct);
        }
        PaymentMetrics.OrderOpened(tenantId, order);
        if (order.IsZeroContribution)
        {
            await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, order.OrderId, order.Channel,
                channelTransactionId: null, amountFen: 0, reportedPaidAt: null, now,
                PaymentOrderStore.ZeroContributionOutcome, ct);
            await PublishPaidAsync(conn, tx, tenantId, order, ct);
        }
        return order;
    }

    /// <summary>
    /// The household's booklet and its members' quotes under one policy version, asked before any transaction opens.
    /// A failure upstream is kept and thrown where the order is opened.
    /// </summary>
    public async Task<Priced<HouseholdQuote>> PriceHouseholdAsync(string householdNumber, int coverageYear, int tier,
        CancellationToken ct)
    {
        var now = Now();
        try
        {
            var household = await pricing.GetHouseholdAsync(householdNumber, coverageYear, ct);
            var ids = household.Members.Select(m => m.Resident.ResidentId).ToList();
            // No member, nothing to price: the rules refuse it inside the transaction, as before.
            if (ids.Count == 0) return new(new HouseholdQuote(household, [], false), null, now);
            var (quotes, together) = await pricing.QuoteHouseholdAsync(ids, coverageYear, tier, now, ct);
            return new(new HouseholdQuote(household,
                quotes.Select(q => (q.Price, Google.Protobuf.JsonFormatter.Default.Format(q.Quote))).ToList(), together), null, now);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new(null, ExceptionDispatchInfo.Capture(ex), now);
        }
    }

    /// <summary>
    /// Opens one order for the members of a household booklet, priced by <paramref name="priced"/>: each member under
    /// one policy version, with an order of her own inside it; the channel collects their total. Fully subsidised
    /// members are enrolled at once. Refuses (<see cref="RuleViolation"/>) when the household rules do or a member's
    /// year is already paid, and with QUOTE_EXPIRED when the quotes are no longer fresh.
    /// </summary>
    public async Task<(HouseholdOrder Order, IReadOnlyList<DomainOrder> Members)> OpenHouseholdAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, string householdNumber, int coverageYear, string channel,
        IReadOnlyCollection<string> requestedMembers, Priced<HouseholdQuote> priced, CancellationToken ct)
    {
        var (household, quotes, together) = priced.Get();
        var now = EnsureFresh(priced);
        var facts = MemberFacts(household);
        var allIds = facts.Select(f => f.ResidentId).ToList();
        if (allIds.Count == 0)
            throw HouseholdOrderRules.Refusal(ErrorReason.HouseholdNothingToPay,
                $"Household {householdNumber} has no registered member.", []);
        var unregistered = Math.Max(0, household.BookletMemberCount - household.Members.Count);
        var chosen = HouseholdOrderRules.MembersToPay(facts, requestedMembers, together, unregistered);

        var householdOrderId = Guid.CreateVersion7(now);
        var members = new List<DomainOrder>();
        var chosenPrices = chosen.Select(m => (Member: m, Price: quotes[allIds.IndexOf(m.ResidentId)])).ToList();
        var householdOrder = new HouseholdOrder(householdOrderId, householdNumber, household.VillageCode, coverageYear, channel,
            OrderState.Created, chosenPrices.Sum(p => p.Price.Price.PersonalFen), chosenPrices.Sum(p => p.Price.Price.SubsidyFen),
            ChannelTransactionId: null, now, PaidAt: null, now + options.Value.OrderExpiry);
        if (householdOrder.TotalPersonalFen == 0)
            householdOrder = householdOrder with { State = OrderState.Paid, PaidAt = now };
        await HouseholdOrderStore.InsertAsync(conn, tx, tenantId, householdOrder, ct);

        // Person-year locks in resident order, as a confirmation takes them, so the two never deadlock.
        foreach (var (member, (price, quoteJson)) in chosenPrices.OrderBy(p => p.Member.ResidentId, StringComparer.Ordinal)
                     .Select(p => (p.Member, p.Price)))
        {
            var settled = await LockAndCheckSettledAsync(conn, tx, tenantId, member.ResidentId, coverageYear, ct);
            var order = DomainOrder.Open(Guid.CreateVersion7(now), member.ResidentId, household.VillageCode, coverageYear,
                channel, price, settled, now, options.Value.OrderExpiry) with
            {
                HouseholdId = householdNumber,
                HouseholdOrderId = householdOrderId,
            };
            members.Add(await StoreOpenedAsync(conn, tx, tenantId, order, quoteJson, now, ct));
        }
        return (householdOrder, members);
    }

    /// <summary>
    /// Applies a channel's notice to an order under the transaction and person-year locks. Every notice is kept; a
    /// refused one also goes to the review queue, carrying its money unless its transaction's money is already placed
    /// (the money ledger, migration 0010). Returns null when the tenant has no such order (the notice is kept for review too).
    /// </summary>
    public async Task<ConfirmationDecision?> ConfirmAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid orderId, ConfirmationNotice notice, CancellationToken ct, Action<DateTimeOffset>? checkCreatedAt = null)
    {
        var now = Now();
        var (home, openZeroAmountReview, found) = await PaymentOrderStore.LockTransactionAndReadAsync(conn, tx, tenantId,
            notice.ChannelTransactionId, orderId, ct);
        if (found is null && await HouseholdOrderStore.FindAsync(conn, tx, tenantId, orderId, forUpdate: true, ct) is { } household)
        {
            checkCreatedAt?.Invoke(household.CreatedAt);
            return await ConfirmHouseholdAsync(conn, tx, tenantId, household, notice, home, openZeroAmountReview, now, ct);
        }
        if (found is null)
        {
            // A channel claims money for an order this tenant does not have: keep the notice for review.
            var (unknownId, record) = PaymentOrderStore.RecordConfirmationCommand(tenantId, orderId, channel: null,
                notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now, PaymentOrderStore.OrderNotFoundOutcome);
            await ExecuteAsync(conn, tx, ct, record, PaymentOrderStore.QueueReviewCommand(tenantId, unknownId, orderId,
                notice.Channel, notice.ChannelTransactionId, notice.AmountFen, ErrorReasons.Code(ErrorReason.OrderNotFound),
                $"No payment order {orderId} in this tenant.",
                home.IsEmpty, now));
            PaymentMetrics.Decided(tenantId, "unknown", PaymentOrderStore.OrderNotFoundOutcome, 0);
            return null;
        }
        checkCreatedAt?.Invoke(found.CreatedAt);
        if (found.HouseholdOrderId is not null)
            return await RefuseAsync(conn, tx, tenantId, ConfirmationRules.DecideMember(found, notice), notice, home.IsEmpty,
                now, ct);

        var (order, settledElsewhere) = await PaymentOrderStore.LockCoverageYearAndOrderAsync(conn, tx, tenantId, found, ct);
        var facts = new ConfirmationFacts(settledElsewhere, MoneyPlacedElsewhere(home, orderId, notice, o => o.OrderId == orderId));
        var decided = ConfirmationRules.Decide(order, notice, facts, now);
        if (!decided.Accepted)
            return await RefuseAsync(conn, tx, tenantId, decided, notice, home.IsEmpty, now, ct,
                decided.Order != order ? PaymentOrderStore.UpdateOrderCommand(tenantId, decided.Order) : null);

        var confirmed = decided.Outcome == ConfirmationOutcome.Confirmed;
        if (confirmed)
            decided = decided with
            {
                Order = decided.Order with
                {
                    ReceiptNumber = await PaymentOrderStore.NextReceiptNumberAsync(conn, tx, order.CoverageYear, ct),
                },
            };
        // The order's move, the kept notice, the closed 0-fen items and the event: one round trip.
        var statements = new List<NpgsqlBatchCommand>();
        var update = decided.Order != order ? PaymentOrderStore.UpdateOrderCommand(tenantId, decided.Order) : null;
        if (update is not null) statements.Add(update);
        statements.Add(PaymentOrderStore.RecordConfirmationCommand(tenantId, orderId, order.Channel,
            notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
            PaymentOrderStore.OutcomeCode(decided.Outcome)).Insert);
        if (confirmed && openZeroAmountReview)
            statements.Add(PaymentOrderStore.CloseZeroAmountReviewsCommand(tenantId, notice.ChannelTransactionId, orderId, now));
        if (confirmed) statements.Add(PaidEventCommand(tenantId, decided.Order));
        await ExecuteAsync(conn, tx, ct, [.. statements]);
        if (update is not null) PaymentOrderStore.EnsureUpdated(update, decided.Order);
        PaymentMetrics.Decided(tenantId, order.Channel, PaymentOrderStore.OutcomeCode(decided.Outcome),
            confirmed ? notice.AmountFen : 0);
        return decided;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct,
        params NpgsqlBatchCommand[] statements)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var statement in statements) batch.BatchCommands.Add(statement);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Whether the notice's transaction already placed its money somewhere other than this order: paid another order,
    /// or sits on the queue other than as the very notice being replayed (same order, same amount). Such a notice is
    /// refused as a reused transaction; the money stays where it is.
    /// </summary>
    private static bool MoneyPlacedElsewhere(TransactionHome home, Guid orderId, ConfirmationNotice notice,
        Func<DomainOrder, bool> isThisOrder) =>
        home.HoldingOrders.Any(o => !isThisOrder(o))
        || home.CarryingItem is { } item && (item.OrderId != orderId || item.AmountFen != notice.AmountFen);

    /// <summary>Records a refused notice and queues it for review, in the transaction that decided it.</summary>
    private static async Task<ConfirmationDecision> RefuseAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, ConfirmationDecision decided, ConfirmationNotice notice, bool carriesMoney, DateTimeOffset now,
        CancellationToken ct, NpgsqlBatchCommand? orderUpdate = null)
    {
        var orderId = decided.Order.OrderId;
        var (confirmationId, record) = PaymentOrderStore.RecordConfirmationCommand(tenantId, orderId,
            decided.Order.Channel, notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
            PaymentOrderStore.OutcomeCode(decided.Outcome));
        var queue = PaymentOrderStore.QueueReviewCommand(tenantId, confirmationId, orderId, decided.Order.Channel,
            notice.ChannelTransactionId, notice.AmountFen, decided.Reason!, decided.Explanation, carriesMoney, now);
        // The order's move (an expiry, say) rides in the same round trip as the kept notice and its review item.
        await ExecuteAsync(conn, tx, ct, orderUpdate is null ? [record, queue] : [orderUpdate, record, queue]);
        if (orderUpdate is not null) PaymentOrderStore.EnsureUpdated(orderUpdate, decided.Order);
        PaymentMetrics.Decided(tenantId, decided.Order.Channel, PaymentOrderStore.OutcomeCode(decided.Outcome), 0);
        return decided;
    }

    /// <summary>
    /// A notice for a household order, decided by the rules of a single order on the members' total: it settles
    /// every member at once (each with her receipt and event), or none. Members never move alone, so every member
    /// still owes and their sum is the household total; a household whose members changed anyway is refused.
    /// </summary>
    private async Task<ConfirmationDecision> ConfirmHouseholdAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, HouseholdOrder household, ConfirmationNotice notice, TransactionHome home, bool openZeroAmountReview,
        DateTimeOffset now, CancellationToken ct)
    {
        var members = await PaymentOrderStore.HouseholdMembersAsync(conn, tx, tenantId, household.HouseholdOrderId, ct);
        var unpaid = members.Where(m => m.State == OrderState.Created).ToList();
        var anotherSettled = false;
        foreach (var member in unpaid)
        {
            await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, member.ResidentId, member.CoverageYear, ct);
            anotherSettled |= await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, member.ResidentId,
                member.CoverageYear, excludingOrderId: member.OrderId, ct);
        }
        var payable = household.AsPayable();
        var facts = new ConfirmationFacts(anotherSettled, MoneyPlacedElsewhere(home, household.HouseholdOrderId, notice,
            o => o.HouseholdOrderId == household.HouseholdOrderId));
        var decided = ConfirmationRules.Decide(payable, notice, facts, now);
        if (decided.Outcome == ConfirmationOutcome.Confirmed
            && ConfirmationRules.CheckHouseholdMembers(household, members) is { } changed)
            decided = changed;

        var (moved, after) = await MoveHouseholdAsync(conn, tx, tenantId, household, members, decided.Order,
            notice.ChannelTransactionId, ct);
        decided = decided with { Household = (moved, after) };
        if (!decided.Accepted)
            return await RefuseAsync(conn, tx, tenantId, decided, notice, home.IsEmpty, now, ct);

        await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, household.HouseholdOrderId,
            household.Channel, notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
            PaymentOrderStore.OutcomeCode(decided.Outcome), ct);
        if (decided.Outcome == ConfirmationOutcome.Confirmed && openZeroAmountReview)
            await PaymentOrderStore.CloseZeroAmountReviewsAsync(conn, tx, tenantId, notice.ChannelTransactionId,
                household.HouseholdOrderId, now, ct);
        PaymentMetrics.Decided(tenantId, household.Channel, PaymentOrderStore.OutcomeCode(decided.Outcome),
            decided.Outcome == ConfirmationOutcome.Confirmed ? notice.AmountFen : 0);
        return decided;
    }

    /// <summary>
    /// Moves a household order to where its payable view went and its unpaid members with it: paid (each with her
    /// receipt and event), expired or cancelled. Returns the household order and all its members as they stand.
    /// </summary>
    public async Task<(HouseholdOrder Order, IReadOnlyList<DomainOrder> Members)> MoveHouseholdAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, HouseholdOrder household,
        IReadOnlyList<DomainOrder> members, DomainOrder payable, string? channelTransactionId, CancellationToken ct)
    {
        var moved = household.With(payable);
        var after = members.ToList();
        if (moved == household) return (moved, after);
        await HouseholdOrderStore.UpdateAsync(conn, tx, tenantId, moved, ct);
        for (var i = 0; i < after.Count; i++)
        {
            var member = after[i];
            if (member.State != OrderState.Created) continue;
            var next = moved.State switch
            {
                OrderState.Paid => member.MarkPaid(channelTransactionId, moved.PaidAt!.Value) with
                {
                    ReceiptNumber = await PaymentOrderStore.NextReceiptNumberAsync(conn, tx, member.CoverageYear, ct),
                },
                OrderState.Expired => member.MarkExpired(),
                _ => member.Cancel(),
            };
            await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, next, ct);
            after[i] = next;
            if (next.State == OrderState.Paid)
                await PublishPaidAsync(conn, tx, tenantId, next, ct);
        }
        return (moved, after);
    }

    /// <summary>
    /// Cancels an unpaid order nobody paid; a household order is cancelled with its unpaid members, and a member
    /// order only with its household (HOUSEHOLD_MEMBER_ORDER names it).
    /// </summary>
    public async Task<(DomainOrder? Order, (HouseholdOrder Order, IReadOnlyList<DomainOrder> Members)? Household)> CancelAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, Guid orderId, CancellationToken ct)
    {
        var now = Now();
        var order = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: true, ct);
        if (order is null)
        {
            var household = await HouseholdOrderStore.FindAsync(conn, tx, tenantId, orderId, forUpdate: true, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.OrderNotFound, $"No payment order {orderId}.");
            var payable = household.AsPayable();
            EnsureCancellable(payable, now);
            var members = await PaymentOrderStore.HouseholdMembersAsync(conn, tx, tenantId, orderId, ct);
            return (null, await MoveHouseholdAsync(conn, tx, tenantId, household, members, payable.Cancel(), null, ct));
        }
        HouseholdOrderRules.EnsureNotMember(order, "cancel");
        EnsureCancellable(order, now);
        var cancelled = order.Cancel();
        await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, cancelled, ct);
        return (cancelled, null);
    }

    private static void EnsureCancellable(DomainOrder order, DateTimeOffset now)
    {
        if (order.EffectiveState(now) != OrderState.Created)
            throw RpcErrors.FailedPrecondition(ErrorReason.OrderNotCancellable,
                $"Order {order.OrderId} is {order.EffectiveState(now)}; only an unpaid, unexpired order can be cancelled.");
    }

    private NpgsqlBatchCommand PaidEventCommand(string tenantId, DomainOrder order) =>
        outbox.AddCommand(tenantId, EventTopics.ContributionPaid, PaymentEvents.Paid(tenantId, order));

    public Task PublishPaidAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, DomainOrder order,
        CancellationToken ct) =>
        outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionPaid, PaymentEvents.Paid(tenantId, order), ct);

    public DateTimeOffset Now() => Microseconds.Now(time);
}
