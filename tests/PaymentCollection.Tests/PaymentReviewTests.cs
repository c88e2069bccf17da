using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class PaymentReviewTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private PaymentCollectionService.PaymentCollectionServiceClient Client => _p.Client(Lidu);

    /// <summary>A channel reports 1 yuan for a 380-yuan order: refused, its money queued for review.</summary>
    private async Task<Payment.V1.PaymentReview> MismatchAsync()
    {
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var order = (await Client.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        })).Order;
        await Assert.ThrowsAsync<RpcException>(() => Client.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "wx-short-1", AmountFen = 100,
        }).ResponseAsync);
        return Assert.Single((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews);
    }

    private Task<ResolvePaymentReviewResponse> ResolveAsync(string reviewId, string? requestId = null) =>
        Client.ResolvePaymentReviewAsync(new ResolvePaymentReviewRequest
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(), ReviewId = reviewId,
            Resolution = ReviewResolution.ReturnedToPayer, Reference = "WX-REFUND-77", Note = "渠道原路退回",
        }).ResponseAsync;

    [Fact]
    public async Task ResolvePaymentReview_MoneyReturnedToPayer_AuditedAndLeavesTheOpenQueue()
    {
        var review = await MismatchAsync();
        Assert.Equal("AMOUNT_MISMATCH", review.Reason);
        Assert.Equal(100, review.AmountFen);
        Assert.Equal(ReviewResolution.Unspecified, review.Resolution);

        var resolved = (await ResolveAsync(review.ReviewId)).Review;

        Assert.Equal(ReviewResolution.ReturnedToPayer, resolved.Resolution);
        Assert.Equal("WX-REFUND-77", resolved.ResolutionReference);
        Assert.Equal("test-client", resolved.ResolvedBy);
        Assert.Equal(PaymentPlatform.CampaignDay, resolved.ResolveTime.ToDateTimeOffset());
        Assert.Empty((await Client.ListPaymentReviewsAsync(new ListPaymentReviewsRequest())).Reviews);
        Assert.Equal(resolved, Assert.Single((await Client.ListPaymentReviewsAsync(
            new ListPaymentReviewsRequest { IncludeResolved = true })).Reviews));
    }

    [Fact]
    public async Task ResolvePaymentReview_ReplayedThenAskedAgain_FirstAnswerThenAlreadyResolved()
    {
        var review = await MismatchAsync();
        var requestId = Guid.NewGuid().ToString();

        var first = await ResolveAsync(review.ReviewId, requestId);
        var replay = await ResolveAsync(review.ReviewId, requestId);
        var again = await Assert.ThrowsAsync<RpcException>(() => ResolveAsync(review.ReviewId));

        Assert.Equal(first, replay);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Equal("REVIEW_ALREADY_RESOLVED", RpcErrors.ReasonOf(again));
    }

    [Fact]
    public async Task ResolvePaymentReview_NoResolutionNoReference_InvalidArgumentNamesBoth()
    {
        var review = await MismatchAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ResolvePaymentReviewAsync(new ResolvePaymentReviewRequest
        {
            RequestId = Guid.NewGuid().ToString(), ReviewId = review.ReviewId,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("resolution", fields);
        Assert.Contains("reference", fields);
    }
}
