using Google.Rpc;
using Grpc.Core;
using Medins.ChannelSimulation;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using ReviewResolution = Medins.Payment.V1.ReviewResolution;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// Lidu's review queue with items of several reasons, channels and states: amount mismatches through WeChat Pay and
/// Alipay (the Alipay one returned to the payer), a cancelled POS order paid anyway, an unknown order confirmed
/// through ConfirmPayment (no channel said) and one named by a signed WeChat Pay notice (its channel kept).
/// </summary>
public sealed class ReviewFilterSet : IAsyncLifetime
{
    public const string Lidu = "cq-lidu";
    private const string Village = "500102901001";

    public PaymentPlatform Platform { get; private set; } = null!;
    public PaymentReview MismatchWechat { get; private set; } = null!;
    public PaymentReview MismatchAlipayReturned { get; private set; } = null!;
    public PaymentReview CancelledPos { get; private set; } = null!;
    public PaymentReview UnknownByRpc { get; private set; } = null!;
    public PaymentReview UnknownByWechatNotice { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Platform = await PaymentPlatform.StartAsync();
        var client = Platform.Client(Lidu);

        var wechat = await OrderAsync(PaymentChannel.WechatPay);
        await RefusedAsync(wechat.OrderId, "wx-short", wechat.PersonalAmountFen - 100);
        var alipay = await OrderAsync(PaymentChannel.Alipay);
        await RefusedAsync(alipay.OrderId, "ali-short", alipay.PersonalAmountFen - 100);
        var pos = await OrderAsync(PaymentChannel.VillagePos);
        await client.CancelPaymentOrderAsync(new CancelPaymentOrderRequest { RequestId = Guid.NewGuid().ToString(), OrderId = pos.OrderId });
        await RefusedAsync(pos.OrderId, "pos-late", pos.PersonalAmountFen);
        await RefusedAsync(Guid.NewGuid().ToString(), "rpc-unknown", 38000);
        Platform.Clock.Advance(TimeSpan.FromSeconds(1));
        var simulator = new ChannelSimulator(SimulatorSetup.Demo, Platform.Clock, Platform.PaymentHttpClient());
        var (_, notice) = await simulator.PayAndNotifyAsync("wechat_pay", Lidu, Guid.NewGuid(), 38000);
        Assert.True(notice.Acknowledged, notice.Body);

        var all = (await client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews;
        Assert.Equal(5, all.Count);
        MismatchWechat = all[0];
        CancelledPos = all[2];
        UnknownByRpc = all[3];
        UnknownByWechatNotice = all[4];
        MismatchAlipayReturned = (await client.ResolvePaymentReviewAsync(new ResolvePaymentReviewRequest
        {
            RequestId = Guid.NewGuid().ToString(), ReviewId = all[1].ReviewId, Resolution = ReviewResolution.ReturnedToPayer,
            Reference = "ALI-REFUND-1",
        })).Review;
    }

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    private async Task<PaymentOrder> OrderAsync(PaymentChannel channel)
    {
        var resident = await Platform.RegisterResidentAsync(Lidu, Village);
        return (await Platform.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = channel,
        })).Order;
    }

    private async Task RefusedAsync(string orderId, string transaction, long amountFen)
    {
        Platform.Clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<RpcException>(() => Platform.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = orderId, ChannelTransactionId = transaction, AmountFen = amountFen,
        }).ResponseAsync);
    }
}

public sealed class ListPaymentReviewsFilterTests(ReviewFilterSet set) : IClassFixture<ReviewFilterSet>
{
    private async Task<List<string>> ListAllAsync(ListPaymentReviewsRequest request)
    {
        var ids = new List<string>();
        do
        {
            var page = await set.Platform.Client(ReviewFilterSet.Lidu).ListPaymentReviewsAsync(request);
            ids.AddRange(page.Reviews.Select(r => r.ReviewId));
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return ids;
    }

    private static List<string> Ids(params PaymentReview[] reviews) => [.. reviews.Select(r => r.ReviewId)];

    private List<string> Open => Ids(set.MismatchWechat, set.CancelledPos, set.UnknownByRpc, set.UnknownByWechatNotice);

    [Fact]
    public void ReviewFilterSet_Arranged_ReasonsAndChannelsAsQueued()
    {
        Assert.Equal(("AMOUNT_MISMATCH", PaymentChannel.WechatPay), (set.MismatchWechat.Reason, set.MismatchWechat.Channel));
        Assert.Equal(("AMOUNT_MISMATCH", PaymentChannel.Alipay),
            (set.MismatchAlipayReturned.Reason, set.MismatchAlipayReturned.Channel));
        Assert.Equal(("ORDER_CANCELLED", PaymentChannel.VillagePos), (set.CancelledPos.Reason, set.CancelledPos.Channel));
        // ConfirmPayment names no channel, and the order it named is unknown: nobody said which channel took the money.
        Assert.Equal(("ORDER_NOT_FOUND", PaymentChannel.Unspecified), (set.UnknownByRpc.Reason, set.UnknownByRpc.Channel));
        Assert.Equal(("ORDER_NOT_FOUND", PaymentChannel.WechatPay),
            (set.UnknownByWechatNotice.Reason, set.UnknownByWechatNotice.Channel));
        Assert.Equal(ReviewResolution.ReturnedToPayer, set.MismatchAlipayReturned.Resolution);
    }

    [Fact]
    public async Task ListPaymentReviews_ByState_OpenOrResolvedWhateverIncludeResolvedSays()
    {
        Assert.Equal(Open, await ListAllAsync(new() { State = PaymentReviewState.Open }));
        Assert.Equal(Open, await ListAllAsync(new() { State = PaymentReviewState.Open, IncludeResolved = true }));
        Assert.Equal(Ids(set.MismatchAlipayReturned), await ListAllAsync(new() { State = PaymentReviewState.Resolved }));
        Assert.Equal(Ids(set.MismatchAlipayReturned),
            await ListAllAsync(new() { State = PaymentReviewState.Resolved, IncludeResolved = true }));
    }

    [Fact]
    public async Task ListPaymentReviews_NoState_IncludeResolvedAsBefore()
    {
        Assert.Equal(Open, await ListAllAsync(new()));
        Assert.Equal(Ids(set.MismatchWechat, set.MismatchAlipayReturned, set.CancelledPos, set.UnknownByRpc, set.UnknownByWechatNotice),
            await ListAllAsync(new() { IncludeResolved = true }));
    }

    [Fact]
    public async Task ListPaymentReviews_ByReason_ExactlyThatReasonsItems()
    {
        Assert.Equal(Ids(set.MismatchWechat, set.MismatchAlipayReturned),
            await ListAllAsync(new() { Reason = "AMOUNT_MISMATCH", IncludeResolved = true }));
        Assert.Equal(Ids(set.MismatchWechat), await ListAllAsync(new() { Reason = "AMOUNT_MISMATCH" }));
        Assert.Equal(Ids(set.UnknownByRpc, set.UnknownByWechatNotice), await ListAllAsync(new() { Reason = "ORDER_NOT_FOUND" }));
        Assert.Equal(Ids(set.CancelledPos), await ListAllAsync(new() { Reason = "ORDER_CANCELLED" }));
        Assert.Empty(await ListAllAsync(new() { Reason = "DUPLICATE_PAYMENT", IncludeResolved = true }));
    }

    [Fact]
    public async Task ListPaymentReviews_ByChannel_ExactlyThatChannelsItems()
    {
        Assert.Equal(Ids(set.MismatchWechat, set.UnknownByWechatNotice), await ListAllAsync(new() { Channel = PaymentChannel.WechatPay }));
        Assert.Empty(await ListAllAsync(new() { Channel = PaymentChannel.Alipay }));
        Assert.Equal(Ids(set.MismatchAlipayReturned),
            await ListAllAsync(new() { Channel = PaymentChannel.Alipay, IncludeResolved = true }));
        Assert.Equal(Ids(set.CancelledPos), await ListAllAsync(new() { Channel = PaymentChannel.VillagePos }));
    }

    [Fact]
    public async Task ListPaymentReviews_FiltersTogetherInPagesOfOne_EveryMatchOnceInOrder()
    {
        var request = new ListPaymentReviewsRequest { Reason = "ORDER_NOT_FOUND", State = PaymentReviewState.Open, PageSize = 1 };
        var listed = new List<string>();
        var pages = 0;
        do
        {
            var page = await set.Platform.Client(ReviewFilterSet.Lidu).ListPaymentReviewsAsync(request);
            Assert.True(page.Reviews.Count <= 1);
            listed.AddRange(page.Reviews.Select(r => r.ReviewId));
            request.PageToken = page.NextPageToken;
            pages++;
        } while (request.PageToken.Length > 0);

        Assert.Equal(Ids(set.UnknownByRpc, set.UnknownByWechatNotice), listed);
        Assert.Equal(2, pages);
        Assert.Equal(Ids(set.UnknownByWechatNotice),
            await ListAllAsync(new() { Reason = "ORDER_NOT_FOUND", Channel = PaymentChannel.WechatPay }));
    }

    [Fact]
    public async Task ListPaymentReviews_TokenWithOtherFilters_InvalidPageToken()
    {
        var first = await set.Platform.Client(ReviewFilterSet.Lidu).ListPaymentReviewsAsync(new() { IncludeResolved = true, PageSize = 1 });
        Assert.NotEqual("", first.NextPageToken);

        foreach (var other in new ListPaymentReviewsRequest[]
                 {
                     new(),
                     new() { IncludeResolved = true, Reason = "AMOUNT_MISMATCH" },
                     new() { IncludeResolved = true, Channel = PaymentChannel.WechatPay },
                     new() { State = PaymentReviewState.Resolved },
                 })
        {
            other.PageSize = 1;
            other.PageToken = first.NextPageToken;
            var ex = await Assert.ThrowsAsync<RpcException>(() =>
                set.Platform.Client(ReviewFilterSet.Lidu).ListPaymentReviewsAsync(other).ResponseAsync);

            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
            Assert.Equal("page_token", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        }
    }

    [Theory]
    [InlineData("reason", "NOT_A_REASON")]
    [InlineData("reason", "amount_mismatch")]
    [InlineData("state", "7")]
    [InlineData("channel", "99")]
    public async Task ListPaymentReviews_BadFilterValue_InvalidArgumentNamingTheFilter(string field, string value)
    {
        var request = field switch
        {
            "reason" => new ListPaymentReviewsRequest { Reason = value },
            "state" => new ListPaymentReviewsRequest { State = (PaymentReviewState)int.Parse(value) },
            _ => new ListPaymentReviewsRequest { Channel = (PaymentChannel)int.Parse(value) },
        };

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            set.Platform.Client(ReviewFilterSet.Lidu).ListPaymentReviewsAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
        Assert.Equal(field, Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public void ReviewReasons_EveryRefusalOutcome_IsAReasonTheQueueIsListedBy()
    {
        foreach (var outcome in Enum.GetValues<Orders.ConfirmationOutcome>())
        {
            var reason = new Orders.ConfirmationDecision(outcome, null!, "").Reason;
            Assert.True(reason is null || Reviews.PaymentReview.Reasons.Contains(reason), $"{outcome}: {reason}");
        }
        Assert.Contains("ORDER_NOT_FOUND", Reviews.PaymentReview.Reasons);
    }
}
