using Medins.Payment.V1;
using Medins.PaymentCollection.Data;
using Medins.PaymentCollection.Domain;
using Medins.PaymentCollection.Upstream;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Options;
using Npgsql;
using DomainOrder = Medins.PaymentCollection.Domain.PaymentOrder;
using OrderState = Medins.PaymentCollection.Domain.OrderState;

namespace Medins.PaymentCollection.Payments;

/// <summary>What an order is opened for: one person, one coverage year, one channel.</summary>
public sealed record OrderRequest(string ResidentId, int CoverageYear, string Channel, int Tier)
{
    public string? HouseholdId { get; init; }
    public Guid? HouseholdOrderId { get; init; }
    public string? AgentId { get; init; }
}

/// <summary>
/// Opens and confirms payment orders inside the caller's tenant transaction, so every way money arrives (a gRPC
/// call, a channel's signed notice, a village agent's cash) runs the same rules and writes the same event.
/// </summary>
public sealed partial class OrderBook(
    Outbox outbox,
    TimeProvider time,
    ResidentPricing pricing,
    IOptions<PaymentCollectionOptions> options)
{
    /// <summary>
    /// Prices the person now and opens her order; a fully subsidised person is enrolled at once (zero contribution,
    /// with its event). Throws <see cref="PaymentRuleException"/> when her year is already paid.
    /// </summary>
    public async Task<(DomainOrder Order, string QuoteJson)> OpenAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, OrderRequest request, CancellationToken ct)
    {
        var now = Now();
        var resident = await pricing.GetResidentAsync(request.ResidentId, ct);
        var (price, quote) = await pricing.QuoteAsync(resident, request.CoverageYear, request.Tier, now, ct);

        await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, request.ResidentId, request.CoverageYear, ct);
        var settled = await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, request.ResidentId,
            request.CoverageYear, excludingOrderId: null, ct);
        var order = DomainOrder.Open(Guid.CreateVersion7(now), request.ResidentId, resident.VillageCode,
            request.CoverageYear, request.Channel, price, settled, now, options.Value.OrderExpiry) with
        {
            HouseholdId = request.HouseholdId,
            HouseholdOrderId = request.HouseholdOrderId,
            AgentId = request.AgentId,
        };
        var quoteJson = Google.Protobuf.JsonFormatter.Default.Format(quote);
        return (await StoreOpenedAsync(conn, tx, tenantId, order, quoteJson, now, ct), quoteJson);
    }

    /// <summary>
    /// Stores a just-opened order. A zero-contribution one is enrolled here with its receipt, confirmation and event,
    /// as no channel will ever confirm it.
    /// </summary>
    private async Task<DomainOrder> StoreOpenedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        DomainOrder order, string quoteJson, DateTimeOffset now, CancellationToken ct)
    {
        if (order.IsZeroContribution)
            order = order with { ReceiptNumber = await PaymentOrderStore.NextReceiptNumberAsync(conn, tx, order.CoverageYear, ct) };
        await PaymentOrderStore.InsertOrderAsync(conn, tx, tenantId, order, quoteJson, ct);
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
    /// Opens one order for the members of a household booklet: each member priced under one policy version, with an
    /// order of her own inside it; the channel collects their total. Fully subsidised members are enrolled at once.
    /// Throws <see cref="HouseholdRuleException"/> when the household rules refuse, <see cref="PaymentRuleException"/>
    /// when a member's year is already paid.
    /// </summary>
    public async Task<(HouseholdOrder Order, IReadOnlyList<DomainOrder> Members)> OpenHouseholdAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, string householdNumber, int coverageYear, string channel, int tier,
        IReadOnlyCollection<string> requestedMembers, CancellationToken ct)
    {
        var now = Now();
        var household = await pricing.GetHouseholdAsync(householdNumber, coverageYear, ct);
        var facts = household.Members
            .Select(m => new HouseholdMemberFacts(m.Resident.ResidentId, MaskName(m.Resident.Name),
                m.EnrolmentStatus == Identity.V1.EnrolmentStatus.Enrolled))
            .ToList();
        var allIds = facts.Select(f => f.ResidentId).ToList();
        if (allIds.Count == 0)
            throw new HouseholdRuleException(HouseholdOrderRules.NothingToPay,
                $"Household {householdNumber} has no registered member.", []);
        var (quotes, together) = await pricing.QuoteHouseholdAsync(allIds, coverageYear, tier, now, ct);
        var unregistered = Math.Max(0, household.BookletMemberCount - household.Members.Count);
        var chosen = HouseholdOrderRules.MembersToPay(facts, requestedMembers, together, unregistered);

        var householdOrderId = Guid.CreateVersion7(now);
        var members = new List<DomainOrder>();
        var priced = chosen.Select(m => (Member: m, Price: quotes[allIds.IndexOf(m.ResidentId)])).ToList();
        var householdOrder = new HouseholdOrder(householdOrderId, householdNumber, household.VillageCode, coverageYear, channel,
            OrderState.Created, priced.Sum(p => p.Price.Price.PersonalFen), priced.Sum(p => p.Price.Price.SubsidyFen),
            ChannelTransactionId: null, now, PaidAt: null, now + options.Value.OrderExpiry);
        if (householdOrder.TotalPersonalFen == 0)
            householdOrder = householdOrder with { State = OrderState.Paid, PaidAt = now };
        await HouseholdOrderStore.InsertAsync(conn, tx, tenantId, householdOrder, ct);

        // Person-year locks in resident order, as a confirmation takes them, so the two never deadlock.
        foreach (var (member, (price, quote)) in priced.OrderBy(p => p.Member.ResidentId, StringComparer.Ordinal)
                     .Select(p => (p.Member, p.Price)))
        {
            await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, member.ResidentId, coverageYear, ct);
            var settled = await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, member.ResidentId, coverageYear,
                excludingOrderId: null, ct);
            var order = DomainOrder.Open(Guid.CreateVersion7(now), member.ResidentId, household.VillageCode, coverageYear,
                channel, price, settled, now, options.Value.OrderExpiry) with
            {
                HouseholdId = householdNumber,
                HouseholdOrderId = householdOrderId,
            };
            members.Add(await StoreOpenedAsync(conn, tx, tenantId, order, Google.Protobuf.JsonFormatter.Default.Format(quote),
                now, ct));
        }
        return (householdOrder, members);
    }

    /// <summary>
    /// Applies a channel's notice to an order under the transaction and person-year locks. Every notice is kept; a
    /// refused one also goes to the review queue, carrying its money unless its transaction's money is already placed
    /// (the money ledger, migration 0010). Returns null when the tenant has no such order (the notice is kept for review too).
    /// </summary>
    public async Task<ConfirmationDecision?> ConfirmAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid orderId, ConfirmationNotice notice, CancellationToken ct)
    {
        var now = Now();
        await PaymentOrderStore.LockTransactionAsync(conn, tx, tenantId, notice.ChannelTransactionId, ct);
        var home = await PaymentOrderStore.TransactionHomeAsync(conn, tx, tenantId, notice.ChannelTransactionId, ct);
        var found = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: false, ct);
        if (found is null && await HouseholdOrderStore.FindAsync(conn, tx, tenantId, orderId, forUpdate: true, ct) is { } household)
            return await ConfirmHouseholdAsync(conn, tx, tenantId, household, notice, home, now, ct);
        if (found is null)
        {
            // A channel claims money for an order this tenant does not have: keep the notice for review.
            var unknownId = await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, orderId, channel: null,
                notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
                PaymentOrderStore.OrderNotFoundOutcome, ct);
            await PaymentOrderStore.QueueReviewAsync(conn, tx, tenantId, unknownId, orderId, notice.ChannelTransactionId,
                notice.AmountFen, "ORDER_NOT_FOUND", $"No payment order {orderId} in this tenant.", home.IsEmpty, now, ct);
            PaymentMetrics.Decided(tenantId, "unknown", PaymentOrderStore.OrderNotFoundOutcome, 0);
            return null;
        }
        if (found.HouseholdOrderId is not null)
            return await RefuseAsync(conn, tx, tenantId, ConfirmationRules.DecideMember(found, notice), notice, home.IsEmpty,
                now, ct);

        await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, found.ResidentId, found.CoverageYear, ct);
        var order = (await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: true, ct))!;
        var facts = new ConfirmationFacts(
            await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, order.ResidentId, order.CoverageYear,
                excludingOrderId: orderId, ct),
            MoneyPlacedElsewhere(home, orderId, notice, o => o.OrderId == orderId));
        var decided = ConfirmationRules.Decide(order, notice, facts, now);
        if (decided.Outcome == ConfirmationOutcome.Confirmed)
            decided = decided with
            {
                Order = decided.Order with
                {
                    ReceiptNumber = await PaymentOrderStore.NextReceiptNumberAsync(conn, tx, order.CoverageYear, ct),
                },
            };

        if (decided.Order != order)
            await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, decided.Order, ct);
        if (decided.Accepted)
        {
            await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, orderId, order.Channel,
                notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
                PaymentOrderStore.OutcomeCode(decided.Outcome), ct);
            if (decided.Outcome == ConfirmationOutcome.Confirmed)
            {
                await PaymentOrderStore.CloseZeroAmountReviewsAsync(conn, tx, tenantId, notice.ChannelTransactionId, orderId,
                    now, ct);
                await PublishPaidAsync(conn, tx, tenantId, decided.Order, ct);
            }
            PaymentMetrics.Decided(tenantId, order.Channel, PaymentOrderStore.OutcomeCode(decided.Outcome),
                decided.Outcome == ConfirmationOutcome.Confirmed ? notice.AmountFen : 0);
            return decided;
        }
        return await RefuseAsync(conn, tx, tenantId, decided, notice, home.IsEmpty, now, ct);
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
        CancellationToken ct)
    {
        var orderId = decided.Order.OrderId;
        var confirmationId = await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, orderId,
            decided.Order.Channel, notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
            PaymentOrderStore.OutcomeCode(decided.Outcome), ct);
        await PaymentOrderStore.QueueReviewAsync(conn, tx, tenantId, confirmationId, orderId, notice.ChannelTransactionId,
            notice.AmountFen, decided.Reason!, decided.Explanation, carriesMoney, now, ct);
        PaymentMetrics.Decided(tenantId, decided.Order.Channel, PaymentOrderStore.OutcomeCode(decided.Outcome), 0);
        return decided;
    }

    /// <summary>
    /// A notice for a household order, decided by the rules of a single order on the members' total: it settles
    /// every member at once (each with her receipt and event), or none. Members never move alone, so every member
    /// still owes and their sum is the household total; a household whose members changed anyway is refused.
    /// </summary>
    private async Task<ConfirmationDecision> ConfirmHouseholdAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, HouseholdOrder household, ConfirmationNotice notice, TransactionHome home, DateTimeOffset now,
        CancellationToken ct)
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
        if (decided.Outcome == ConfirmationOutcome.Confirmed)
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
    private async Task<(HouseholdOrder Order, IReadOnlyList<DomainOrder> Members)> MoveHouseholdAsync(
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
                ?? throw new PaymentRuleException(PaymentRuleException.OrderNotFound, $"No payment order {orderId}.");
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
            throw new PaymentRuleException(PaymentRuleException.OrderNotCancellable,
                $"Order {order.OrderId} is {order.EffectiveState(now)}; only an unpaid, unexpired order can be cancelled.");
    }

    private static string MaskName(string name) => name.Length <= 1 ? name : name[0] + new string('*', name.Length - 1);

    public Task PublishPaidAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, DomainOrder order,
        CancellationToken ct) =>
        outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionPaid, PaymentEvents.Paid(tenantId, order), ct);

    // PostgreSQL keeps microseconds: an order answered now must equal the same order read back later.
    public DateTimeOffset Now() => TruncateToMicroseconds(time.UtcNow());

    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);
}
