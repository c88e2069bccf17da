using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

/// <summary>Review resolutions carry evidence and never make one order hold two payments.</summary>
public sealed class ReviewEvidenceTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;
    private string _resident = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private PaymentCollectionService.PaymentCollectionServiceClient Client => _p.Client(Lidu);

    private async Task<PaymentOrder> CreateAsync(string? resident = null) => (await Client.CreatePaymentOrderAsync(
        new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident ?? _resident, CoverageYear = 2024,
            Channel = PaymentChannel.WechatPay,
        })).Order;

    private Task<ConfirmPaymentResponse> ConfirmAsync(string orderId, string transaction, long amountFen) =>
        Client.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = orderId, ChannelTransactionId = transaction, AmountFen = amountFen,
        }).ResponseAsync;

    private Task<ResolvePaymentReviewResponse> ResolveAsync(string reviewId, ReviewResolution resolution, string reference) =>
        Client.ResolvePaymentReviewAsync(new ResolvePaymentReviewRequest
        {
            RequestId = Guid.NewGuid().ToString(), ReviewId = reviewId, Resolution = resolution, Reference = reference,
        }).ResponseAsync;

    private async Task<Payment.V1.PaymentReview> OnlyOpenReviewAsync() =>
        Assert.Single((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews);

    /// <summary>380 yuan paid for an order that expired first: the money waits on the queue.</summary>
    private async Task<Payment.V1.PaymentReview> ExpiredPaymentAsync(string transaction = "wx-late")
    {
        var order = await CreateAsync();
        _p.Clock.Advance(TimeSpan.FromMinutes(31));
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, transaction, 38000));
        return await OnlyOpenReviewAsync();
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("00000000-0000-0000-0000-000000000001")]
    public async Task ResolvePaymentReview_MatchedElsewhereNamingNothing_InvalidArgumentAndStillOpen(string reference)
    {
        var review = await ExpiredPaymentAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, reference));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("REVIEW_REFERENCE_UNKNOWN", RpcErrors.ReasonOf(error));
        Assert.Equal("reference", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(review, await OnlyOpenReviewAsync());
    }

    [Fact]
    public async Task ResolvePaymentReview_MatchedToTheSamePersonsNewOrder_OrderPaidByTheItemsTransaction()
    {
        var review = await ExpiredPaymentAsync("wx-late-2");
        var fresh = await CreateAsync();

        var resolved = (await ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, fresh.OrderId)).Review;

        Assert.Equal((ReviewResolution.MatchedElsewhere, fresh.OrderId), (resolved.Resolution, resolved.ResolutionReference));
        var paid = (await Client.GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = fresh.OrderId })).Order;
        Assert.Equal((OrderState.Paid, "wx-late-2"), (paid.State, paid.ChannelTransactionId));
        Assert.Matches("^2024[0-9]{10}$", paid.ReceiptNumber);
        Assert.Equal(fresh.OrderId, Assert.Single(await _p.ContributionPaidEventsAsync()).Event.OrderId);
        Assert.Equal(new MoneyLedger(38000, 0, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ResolvePaymentReview_MatchedToAnOrderAlreadyPaidByAnotherTransaction_RefusedNoOrderHoldsTwoPayments()
    {
        // The case: a real second payment "matched" to an order another transaction paid (760 held for 380).
        var order = await CreateAsync();
        await ConfirmAsync(order.OrderId, "wx-first", 38000);
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "wx-second", 38000));
        var review = await OnlyOpenReviewAsync();

        var byOrder = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, order.OrderId));
        var byTransaction = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, "wx-first"));

        Assert.Equal("REVIEW_TARGET_ALREADY_PAID", RpcErrors.ReasonOf(byOrder));
        Assert.Equal("REVIEW_TARGET_ALREADY_PAID", RpcErrors.ReasonOf(byTransaction));
        Assert.Equal(StatusCode.FailedPrecondition, byOrder.StatusCode);
        Assert.Equal(new MoneyLedger(38000, 38000, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Fact]
    public async Task ResolvePaymentReview_MatchedToAnOrderOfAnotherAmount_AmountMismatch()
    {
        var review = await ExpiredPaymentAsync();
        var tierTwo = (await Client.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = _resident, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
            Tier = 2,
        })).Order;

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, tierTwo.OrderId));

        Assert.Equal("AMOUNT_MISMATCH", RpcErrors.ReasonOf(error));
        Assert.Equal(OrderState.Created,
            (await Client.GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = tierTwo.OrderId })).Order.State);
    }

    [Fact]
    public async Task ResolvePaymentReview_MatchedToAnExpiredOrder_TargetNotPayable()
    {
        var review = await ExpiredPaymentAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, review.OrderId));

        Assert.Equal("REVIEW_TARGET_NOT_PAYABLE", RpcErrors.ReasonOf(error));
    }

    [Fact]
    public async Task ResolvePaymentReview_MatchedToAMemberOrder_RefusedNamingTheHouseholdThenMatchedToTheHousehold()
    {
        var review = await ExpiredPaymentAsync();
        var household = await HouseholdOfOneAsync();

        var member = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, household.MemberOrders[0].OrderId));
        await ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, household.HouseholdOrderId);

        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", RpcErrors.ReasonOf(member));
        Assert.Equal(household.HouseholdOrderId, member.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["household_order_id"]);
        var paid = (await Client.GetHouseholdPaymentOrderAsync(new GetHouseholdPaymentOrderRequest
        {
            HouseholdOrderId = household.HouseholdOrderId,
        })).HouseholdOrder;
        Assert.Equal((OrderState.Paid, "wx-late"), (paid.State, paid.ChannelTransactionId));
        Assert.Equal(OrderState.Paid, Assert.Single(paid.MemberOrders).State);
        Assert.Equal(new MoneyLedger(38000, 0, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    private async Task<HouseholdPaymentOrder> HouseholdOfOneAsync()
    {
        var members = await _p.RegisterHouseholdAsync(Lidu, LiduVillage, "CQ-R1", 1);
        return (await Client.CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), HouseholdNumber = "CQ-R1", CoverageYear = 2024,
            Channel = PaymentChannel.VillagePos, ResidentIds = { members[0].ResidentId },
        })).HouseholdOrder;
    }

    [Fact]
    public async Task ResolvePaymentReview_ReusedTransactionItem_MatchedToItsTransactionButNeverReturned()
    {
        var neighbour = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var order = await CreateAsync();
        var other = await CreateAsync(neighbour);
        await ConfirmAsync(order.OrderId, "wx-1", 38000);
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(other.OrderId, "wx-1", 38000));
        var review = await OnlyOpenReviewAsync();
        Assert.False(review.CarriesMoney);

        var returned = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.ReturnedToPayer, "WX-REFUND-1"));
        var otherPerson = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, order.OrderId));
        var matched = (await ResolveAsync(review.ReviewId, ReviewResolution.MatchedElsewhere, "wx-1")).Review;

        Assert.Equal("REVIEW_MONEY_HELD_ELSEWHERE", RpcErrors.ReasonOf(returned));
        Assert.Equal("REVIEW_TARGET_OTHER_PERSON", RpcErrors.ReasonOf(otherPerson));
        Assert.Equal(ReviewResolution.MatchedElsewhere, matched.Resolution);
        Assert.Equal(new MoneyLedger(38000, 0, 0, 0), await _p.MoneyLedgerAsync(Lidu));
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("退款单号 77")]
    public async Task ResolvePaymentReview_ReturnedWithoutARefundNumber_InvalidArgument(string reference)
    {
        var review = await ExpiredPaymentAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ResolveAsync(review.ReviewId, ReviewResolution.ReturnedToPayer, reference));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("reference", error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task ResolvePaymentReview_ReturnedWithTheRefundNumber_CountedAsReturned()
    {
        var review = await ExpiredPaymentAsync();

        var resolved = (await ResolveAsync(review.ReviewId, ReviewResolution.ReturnedToPayer, "WX-REFUND-2023-77")).Review;

        Assert.Equal("WX-REFUND-2023-77", resolved.ResolutionReference);
        Assert.Equal(new MoneyLedger(0, 0, 38000, 0), await _p.MoneyLedgerAsync(Lidu));
    }
}
