using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

/// <summary>A member order moves only with its household order; money reported for a member alone goes to review.</summary>
public sealed class HouseholdMemberOrderTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private PaymentCollectionService.PaymentCollectionServiceClient Client => _p.Client(Lidu);

    /// <summary>Lidu's two-member booklet: 380 yuan each (seed 000 §2, tier 1), 76,000 fen together.</summary>
    private async Task<HouseholdPaymentOrder> HouseholdAsync(string number)
    {
        await _p.RegisterHouseholdAsync(Lidu, LiduVillage, number, 2);
        var household = (await Client.CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), HouseholdNumber = number, CoverageYear = 2024, Channel = PaymentChannel.VillagePos,
        })).HouseholdOrder;
        Assert.Equal(76000, household.TotalPersonalAmountFen);
        return household;
    }

    private Task<ConfirmPaymentResponse> ConfirmAsync(string orderId, string transaction, long amountFen) =>
        Client.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = orderId, ChannelTransactionId = transaction, AmountFen = amountFen,
        }).ResponseAsync;

    private Task<CancelPaymentOrderResponse> CancelAsync(string orderId) =>
        Client.CancelPaymentOrderAsync(new CancelPaymentOrderRequest { RequestId = Guid.NewGuid().ToString(), OrderId = orderId })
            .ResponseAsync;

    private async Task<HouseholdPaymentOrder> GetAsync(string householdOrderId) =>
        (await Client.GetHouseholdPaymentOrderAsync(new GetHouseholdPaymentOrderRequest { HouseholdOrderId = householdOrderId }))
        .HouseholdOrder;

    [Fact]
    public async Task ConfirmPayment_MemberOrderAlone_RefusedNamingHouseholdAndItsMoneyQueued()
    {
        var household = await HouseholdAsync("CQ-M1");
        var member = household.MemberOrders[0];

        var error = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(member.OrderId, "pos-member", 38000));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", RpcErrors.ReasonOf(error));
        Assert.Equal(household.HouseholdOrderId,
            error.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["household_order_id"]);
        var review = Assert.Single((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews);
        Assert.Equal(("HOUSEHOLD_MEMBER_ORDER", 38000L, true), (review.Reason, review.AmountFen, review.CarriesMoney));
        Assert.All((await GetAsync(household.HouseholdOrderId)).MemberOrders, o => Assert.Equal(OrderState.Created, o.State));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task ConfirmPayment_MemberThenHousehold_HouseholdPaidOnceAndMembersMoneyStaysOnTheQueue()
    {
        // The Lidu case: 38,000 for one member alone, then 76,000 for the household. Before: 114,000 kept.
        var household = await HouseholdAsync("CQ-M2");
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(household.MemberOrders[0].OrderId, "pos-alone", 38000));

        var paid = (await ConfirmAsync(household.HouseholdOrderId, "pos-household", 76000)).HouseholdOrder;

        Assert.Equal(OrderState.Paid, paid.State);
        Assert.All(paid.MemberOrders, o => Assert.Equal(OrderState.Paid, o.State));
        Assert.Equal(2, (await _p.ContributionPaidEventsAsync()).Count);
        Assert.Equal(new MoneyLedger(76000, 38000, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ConfirmPayment_MemberNamedWithTheHouseholdsOwnTransaction_RefusedAndCarriesNoMoney()
    {
        var household = await HouseholdAsync("CQ-M3");
        await ConfirmAsync(household.HouseholdOrderId, "pos-h3", 76000);

        var error = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(household.MemberOrders[1].OrderId, "pos-h3", 38000));

        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", RpcErrors.ReasonOf(error));
        Assert.False(Assert.Single((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews).CarriesMoney);
        Assert.Equal(new MoneyLedger(76000, 0, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task CancelPaymentOrder_MemberOrder_RefusedNamingHouseholdAndNothingChanges()
    {
        var household = await HouseholdAsync("CQ-M4");

        var error = await Assert.ThrowsAsync<RpcException>(() => CancelAsync(household.MemberOrders[0].OrderId));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", RpcErrors.ReasonOf(error));
        Assert.Equal(household.HouseholdOrderId, error.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["household_order_id"]);
        Assert.All((await GetAsync(household.HouseholdOrderId)).MemberOrders, o => Assert.Equal(OrderState.Created, o.State));
    }

    [Fact]
    public async Task CancelPaymentOrder_HouseholdOrder_MembersCancelledAndALateNoticeGoesToReview()
    {
        var household = await HouseholdAsync("CQ-M5");
        var requestId = Guid.NewGuid().ToString();
        var request = new CancelPaymentOrderRequest { RequestId = requestId, OrderId = household.HouseholdOrderId };

        var cancelled = (await Client.CancelPaymentOrderAsync(request)).HouseholdOrder;
        var replay = (await Client.CancelPaymentOrderAsync(request)).HouseholdOrder;
        var late = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(household.HouseholdOrderId, "pos-late", 76000));

        Assert.Equal(OrderState.Cancelled, cancelled.State);
        Assert.All(cancelled.MemberOrders, o => Assert.Equal(OrderState.Cancelled, o.State));
        Assert.Equal(cancelled, replay);
        Assert.Equal("ORDER_CANCELLED", RpcErrors.ReasonOf(late));
        Assert.Equal(new MoneyLedger(0, 76000, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ConfirmPayment_HouseholdAfterExpiry_HouseholdAndMembersExpiredMoneyQueued()
    {
        var household = await HouseholdAsync("CQ-M6");
        _p.Clock.Advance(TimeSpan.FromMinutes(31));

        var late = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(household.HouseholdOrderId, "pos-late6", 76000));
        var after = await GetAsync(household.HouseholdOrderId);

        Assert.Equal("ORDER_EXPIRED", RpcErrors.ReasonOf(late));
        Assert.Equal(OrderState.Expired, after.State);
        Assert.All(after.MemberOrders, o => Assert.Equal(OrderState.Expired, o.State));
        Assert.Equal(2L, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.payment_orders WHERE household_order_id = $1 AND state = 'expired'",
            Guid.Parse(household.HouseholdOrderId)));
        Assert.Equal(new MoneyLedger(0, 76000, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ConfirmPayment_MemberSettledAloneBeforeTheRule_HouseholdRefusedMembersChanged()
    {
        // A member paid alone before members were tied to their household (stored data from then).
        var household = await HouseholdAsync("CQ-M7");
        var member = household.MemberOrders[0];
        await _p.ExecuteAsync("""
            UPDATE payment_collection.payment_orders SET state = 'paid', channel_transaction_id = 'pos-old', paid_at = now()
            WHERE order_id = $1
            """, Guid.Parse(member.OrderId));

        var error = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(household.HouseholdOrderId, "pos-h7", 76000));

        Assert.Equal("HOUSEHOLD_MEMBERS_CHANGED", RpcErrors.ReasonOf(error));
        Assert.Equal(OrderState.Created, (await GetAsync(household.HouseholdOrderId)).State);
        Assert.Equal(new MoneyLedger(38000, 76000, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ConfirmPayment_ZeroFenNoticeThenTheRightAmount_PaidAndTheZeroItemClosed()
    {
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var order = (await Client.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        })).Order;
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "wx-zero", 0));

        var paid = (await ConfirmAsync(order.OrderId, "wx-zero", 38000)).Order;

        Assert.Equal(OrderState.Paid, paid.State);
        Assert.Empty((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews);
        var closed = Assert.Single((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest { IncludeResolved = true })).Reviews);
        Assert.Equal((ReviewResolution.MatchedElsewhere, order.OrderId), (closed.Resolution, closed.ResolutionReference));
        Assert.Equal(new MoneyLedger(38000, 0, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ConfirmPayment_QueuedTransactionReportedAgainWithTheRightAmount_ReusedAndMoneyStaysOnTheQueue()
    {
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var order = (await Client.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        })).Order;
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "wx-short", 100));

        var again = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "wx-short", 38000));

        Assert.Equal("CHANNEL_TRANSACTION_REUSED", RpcErrors.ReasonOf(again));
        Assert.Equal(new MoneyLedger(0, 100, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }
}
