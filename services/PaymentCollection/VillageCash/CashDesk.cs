using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>
/// Takes an agent's cash and hands it in, inside the caller's tenant transaction: a collection opens and pays the
/// person's order through the order book (same rules, same contribution.paid), so cash is just another channel.
/// </summary>
public sealed class CashDesk(OrderBook orders, IOptions<VillageCashOptions> options)
{
    public const string Channel = "village_cash";

    /// <summary>Prices the collection's order before its transaction opens (see <see cref="OrderBook.PriceAsync"/>).</summary>
    public Task<Priced<PersonQuote>> PriceAsync(string agentId, string residentId, int coverageYear, int tier,
        CancellationToken ct) => orders.PriceAsync(OrderFor(agentId, residentId, coverageYear, tier), ct);

    private static OrderRequest OrderFor(string agentId, string residentId, int coverageYear, int tier) =>
        new(residentId, coverageYear, Channel, tier) { AgentId = agentId };

    /// <summary>
    /// Opens the person's order at the price <paramref name="priced"/> holds and, when she owes anything, pays it
    /// with a new cash receipt at once. Refuses (<see cref="RuleViolation"/>, QUOTE_EXPIRED for a stale quote) before
    /// anything commits.
    /// </summary>
    public async Task<(DomainOrder Order, CashReceipt? Receipt)> CollectAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, CashAgent agent, string residentId, int coverageYear, int tier, long receivedFen,
        Priced<PersonQuote> priced, CancellationToken ct)
    {
        var order = await orders.OpenAsync(conn, tx, tenantId, OrderFor(agent.AgentId, residentId, coverageYear, tier),
            priced, ct);
        // Cash is counted per agent's village; a person of another village pays through her own village's agent.
        if (order.VillageCode != agent.VillageCode)
            throw new RuleViolation(ErrorReason.ResidentNotInAgentVillage, RefusalStatus.FailedPrecondition,
                $"Resident {residentId} lives in village {order.VillageCode}; agent {agent.AgentId} collects in {agent.VillageCode}.",
                new Dictionary<string, string>
                {
                    ["resident_village_code"] = order.VillageCode,
                    ["agent_village_code"] = agent.VillageCode,
                },
                $"这位居民属于村（社区）{order.VillageCode}，代收员负责的是村（社区）{agent.VillageCode}，不能代收。"
                + "请由居民所在村（社区）的代收员收取。");
        CashRules.EnsureCollectedExactly(order.PersonalAmountFen, receivedFen);
        if (order.IsZeroContribution) return (order, null);

        var now = orders.Now();
        var receiptId = Guid.CreateVersion7(now);
        var decision = await orders.ConfirmAsync(conn, tx, tenantId, order.OrderId,
            new ConfirmationNotice(receiptId.ToString(), receivedFen, ReportedPaidAt: null), ct);
        // Opened a moment ago in this transaction, under the person-year lock: only a broken invariant lands here.
        if (decision is not { Outcome: ConfirmationOutcome.Confirmed })
            throw new InvalidOperationException(
                $"Cash payment of order {order.OrderId} was not confirmed: {decision?.Explanation ?? "order not found"}.");

        var receipt = new CashReceipt(receiptId, agent.AgentId, agent.VillageCode, order.OrderId, order.ResidentId,
            receivedFen, now, ShanghaiCalendar.ToDate(now));
        await CashStore.InsertReceiptAsync(conn, tx, tenantId, receipt, ct);
        return (decision.Order, receipt);
    }

    /// <summary>Hands in every receipt of the agent's day not yet remitted, if the deposit equals their sum.</summary>
    public async Task<CashRemittance> RemitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CashAgent agent, DateOnly collectionDate, string depositReference, long amountFen, CancellationToken ct)
    {
        var receipts = await CashStore.LockUnremittedAsync(conn, tx, tenantId, agent.AgentId, collectionDate, ct);
        CashRules.EnsureRemittanceMatches(receipts.Sum(r => r.AmountFen), receipts.Count, amountFen);
        if (await CashStore.DepositReferenceUsedAsync(conn, tx, tenantId, depositReference, ct))
            throw new RuleViolation(ErrorReason.DepositReferenceReused, RefusalStatus.FailedPrecondition,
                $"Deposit slip '{depositReference}' already handed in another remittance.",
                new Dictionary<string, string> { ["deposit_reference"] = depositReference },
                $"存款凭证号“{depositReference}”已经登记过一次解缴，不能重复使用。请核对凭证号后重新提交。");

        var now = orders.Now();
        var cutoff = await CutoffAsync(conn, tx, tenantId, ct);
        var remittance = new CashRemittance(Guid.CreateVersion7(now), agent.AgentId, agent.VillageCode, collectionDate,
            depositReference, amountFen, receipts.Count, now, CashRules.CutoffInstant(collectionDate, cutoff));
        await CashStore.InsertRemittanceAsync(conn, tx, tenantId, remittance, receipts.Select(r => r.ReceiptId).ToList(), ct);
        return remittance;
    }

    /// <summary>The tenant's remittance cut-off: its own, or the service's default.</summary>
    public async Task<TimeOnly> CutoffAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, CancellationToken ct) =>
        await CashStore.FindCutoffAsync(conn, tx, tenantId, ct) ?? options.Value.DefaultRemittanceCutoff;
}
