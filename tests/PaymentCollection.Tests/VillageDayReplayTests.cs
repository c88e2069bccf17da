using Medins.ChannelSimulation;
using Medins.Payment.V1;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.PaymentCollection.Tests.Reconciliation;
using Medins.PaymentCollection.Tests.VillageCash;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// A day of village work in Lidu replayed through the channel simulator: a household paid at the village POS,
/// WeChat payments with a duplicate notice, a forged notice, cash with its same-day remittance, a refund Lidu's plan
/// does not grant — then the channels' statements reconcile and every fen adds up.
/// </summary>
public sealed class VillageDayReplayTests : IAsyncLifetime
{
    private const string Lidu = ReconciliationHarness.Lidu;
    private const string Village = ReconciliationHarness.LiduVillage;
    private ReconciliationHarness _h = null!;
    private ChannelSimulator _simulator = null!;

    private PaymentPlatform P => _h.Platform;

    public async Task InitializeAsync()
    {
        _h = await ReconciliationHarness.StartAsync();
        _simulator = new ChannelSimulator(SimulatorSetup.Demo, P.Clock, P.PaymentHttpClient());
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<PaymentOrder> OrderAsync(string residentId, PaymentChannel channel) =>
        (await P.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, Channel = channel,
        })).Order;

    [Fact]
    public async Task VillageDay_LiduHouseholdsWeChatForgeryCashAndRefusedRefund_EveryFenReconciles()
    {
        // Seed 000 (Lidu): tier 1 (一档) personal part 380 yuan (§二); cash handed in the same day (§五).
        const long part = 38000;

        // 09:00 — a household of three pays together at the village POS (one bureau notice for the total).
        var household = await P.RegisterHouseholdAsync(Lidu, Village, "CQ-DAY-1", 3);
        var householdOrder = (await P.Client(Lidu).CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), HouseholdNumber = "CQ-DAY-1", CoverageYear = 2024,
            Channel = PaymentChannel.VillagePos,
        })).HouseholdOrder;
        var (pos, posAnswer) = await _simulator.PayAndNotifyAsync("village_pos", Lidu,
            Guid.Parse(householdOrder.HouseholdOrderId), householdOrder.TotalPersonalAmountFen);
        Assert.True(posAnswer.Acknowledged);

        // 10:00 — two migrant workers pay by WeChat; the provider sends the first notice twice.
        P.Clock.Advance(TimeSpan.FromHours(1));
        var workerA = await P.RegisterResidentAsync(Lidu, Village);
        var workerB = await P.RegisterResidentAsync(Lidu, Village);
        var orderA = await OrderAsync(workerA, PaymentChannel.WechatPay);
        var orderB = await OrderAsync(workerB, PaymentChannel.WechatPay);
        var (wxA, _) = await _simulator.PayAndNotifyAsync("wechat_pay", Lidu, Guid.Parse(orderA.OrderId), part);
        var duplicates = await _simulator.SendDuplicatesAsync(_simulator.Notice(wxA), 2);
        Assert.All(duplicates, d => Assert.True(d.Acknowledged));
        var (wxB, _) = await _simulator.PayAndNotifyAsync("wechat_pay", Lidu, Guid.Parse(orderB.OrderId), part);

        // 11:00 — someone forges an Alipay notice for an unpaid order: refused, the order stays unpaid.
        P.Clock.Advance(TimeSpan.FromHours(1));
        var orderC = await OrderAsync(await P.RegisterResidentAsync(Lidu, Village), PaymentChannel.Alipay);
        var forged = await _simulator.SendAsync(_simulator.Forge(_simulator.Notice(
            _simulator.Pay("alipay", Lidu, Guid.Parse(orderC.OrderId), part))));
        Assert.False(forged.Acknowledged);
        var stillUnpaid = (await P.Client(Lidu).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = orderC.OrderId })).Order;
        Assert.Equal(OrderState.Created, stillUnpaid.State);

        // 14:00 — the village agent takes cash from two elderly residents and hands it in before the cut-off.
        P.Clock.Advance(TimeSpan.FromHours(3));
        await P.RegisterAgentAsync(Lidu, "agent-day-1", Village);
        var cash1 = await P.CollectAsync(Lidu, "agent-day-1", await P.RegisterResidentAsync(Lidu, Village), part);
        var cash2 = await P.CollectAsync(Lidu, "agent-day-1", await P.RegisterResidentAsync(Lidu, Village), part);
        await P.VillageCash(Lidu).RemitCashAsync(VillageCashSteps.Remittance("agent-day-1", 2 * part));
        Assert.Equal(0, (await P.BalanceAsync(Lidu, "agent-day-1")).UnremittedAmountFen);

        // 16:00 — worker B joined the army before benefits start and asks for her money back: Lidu's plan (seed 000)
        // states no refund, so the request is refused and her payment stands (Gaoyang's seed 004 二（五）3 would refund it).
        P.Clock.Advance(TimeSpan.FromHours(2));
        var refusal = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => P.Client(Lidu).RequestRefundAsync(new RequestRefundRequest
        {
            RequestId = Guid.NewGuid().ToString(), OrderId = orderB.OrderId, Reason = "army", EvidenceReference = "入伍通知书 0001",
        }).ResponseAsync);
        Assert.Equal(global::Grpc.Core.StatusCode.FailedPrecondition, refusal.StatusCode);

        // Every fen: what the channels and the agent took equals what contribution.paid says was collected, and every
        // paid order still holds its money.
        var paid = await P.ContributionPaidEventsAsync();
        Assert.Equal(7, paid.Count); // 3 household members, A, B, two cash payers
        var takenByChannels = pos.AmountFen + wxA.AmountFen + wxB.AmountFen;
        Assert.Equal(takenByChannels + cash1.AmountFen + cash2.AmountFen, paid.Sum(e => e.Event.PersonalAmountFen));
        Assert.Empty(await P.OutboxEventsAsync<ContributionRefunded>(EventTopics.ContributionRefunded));
        Assert.Equal(paid.Sum(e => e.Event.PersonalAmountFen), await P.ScalarAsync<long>(
            "SELECT sum(personal_amount_fen)::bigint FROM payment_collection.payment_orders WHERE state = 'paid'"));
        Assert.Empty((await P.Client(Lidu).ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews);
        Assert.All(household, m => Assert.Contains(paid, e => e.Event.ResidentId == m.ResidentId && e.Event.HouseholdId == "CQ-DAY-1"));

        // The next morning the channels' statements of the day arrive: everything matches, nothing is missing.
        P.Clock.Advance(TimeSpan.FromHours(18));
        var day = ReconciliationHarness.Day;
        var wechat = WeChatTradeBill.Write([Entry(wxA), Entry(wxB)]);
        var pos2 = BureauCollectionStatement.Write("village_pos", day, [Entry(pos)]);
        var wechatSummary = (await _h.ImportAsync(PaymentChannel.WechatPay, day, wechat)).Summary;
        var posSummary = (await _h.ImportAsync(PaymentChannel.VillagePos, day, pos2)).Summary;

        Assert.Equal((2, 2 * part), (wechatSummary.Matched.Count, wechatSummary.Matched.AmountFen));
        Assert.Equal((1, householdOrder.TotalPersonalAmountFen), (posSummary.Matched.Count, posSummary.Matched.AmountFen));
        foreach (var summary in new[] { wechatSummary, posSummary })
            Assert.Equal((0, 0, 0), (summary.MissingHere.Count, summary.MissingThere.Count, summary.AmountDifferences.Count));
        Assert.Empty(await _h.DiscrepanciesAsync());
    }

    private static StatementEntry Entry(SimulatedPayment payment) =>
        new(StatementLineKind.Payment, payment.TransactionId, payment.AmountFen, payment.PaidAt)
        {
            MerchantOrderId = payment.OutTradeNo,
        };
}
