using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Reviews;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;
using DomainReview = Medins.PaymentCollection.Reviews.PaymentReview;
using DomainResolution = Medins.PaymentCollection.Reviews.ReviewResolution;

namespace Medins.PaymentCollection.Grpc;

/// <summary>The review queue of refused notices, and their audited resolution.</summary>
public sealed partial class PaymentCollectionGrpcService
{
    public override async Task<ListPaymentReviewsResponse> ListPaymentReviews(ListPaymentReviewsRequest request,
        ServerCallContext context)
    {
        var reason = request.Reason.Trim();
        var channel = request.Channel == PaymentChannel.Unspecified ? null : ContractValues.ChannelCode(request.Channel);
        // A state set decides alone; include_resolved is how callers asked before there was one, and still works.
        bool? resolved = request.State switch
        {
            PaymentReviewState.Open => false,
            PaymentReviewState.Resolved => true,
            PaymentReviewState.Unspecified => request.IncludeResolved ? null : false,
            _ => null,
        };
        new RequestValidator()
            .CheckPageSize(request.PageSize)
            .Check(System.Enum.IsDefined(request.State), "state", "must be OPEN, RESOLVED or unspecified")
            .Check(reason.Length == 0 || DomainReview.Reasons.Contains(reason), "reason",
                $"must be one of {string.Join(", ", DomainReview.Reasons.Order(StringComparer.Ordinal))}")
            .Check(request.Channel == PaymentChannel.Unspecified || channel is not null, "channel", "must name a payment channel")
            .ThrowIfInvalid();
        var filter = new ReviewListFilter(resolved, reason.Length == 0 ? null : reason, channel);
        var after = ListFilters.AfterId(PageTokens.Decode(request.PageToken, "reviews", filter.TokenKey, keyLength: 1));
        var tenantId = tenant.RequireTenant();
        var pageSize = PageTokens.PageSize(request.PageSize);

        var page = await db.InTenantAsync(tenantId, (conn, tx) =>
            ReviewStore.ListAsync(conn, tx, tenantId, filter, after, pageSize + 1, context.CancellationToken),
            context.CancellationToken);
        var response = new ListPaymentReviewsResponse();
        response.Reviews.AddRange(page.Take(pageSize).Select(ToProto));
        if (page.Count > pageSize)
            response.NextPageToken = PageTokens.Encode("reviews", filter.TokenKey, page[pageSize - 1].ReviewId.ToString("N"));
        return response;
    }

    public override async Task<ResolvePaymentReviewResponse> ResolvePaymentReview(ResolvePaymentReviewRequest request,
        ServerCallContext context)
    {
        DomainResolution? resolution = request.Resolution switch
        {
            Payment.V1.ReviewResolution.ReturnedToPayer => DomainResolution.ReturnedToPayer,
            Payment.V1.ReviewResolution.MatchedElsewhere => DomainResolution.MatchedElsewhere,
            _ => null,
        };
        var validator = RequestIdValidator(request.RequestId)
            .Require(request.ReviewId, "review_id")
            .Check(resolution is not null, "resolution", "must say what became of the money")
            .Require(request.Reference, "reference")
            .Check(request.Reference.Length <= MaxIdLength, "reference", $"must be at most {MaxIdLength} characters")
            .Check(request.Note.Length <= MaxTextLength, "note", $"must be at most {MaxTextLength} characters");
        var reference = request.Reference.Trim();
        if (resolution == DomainResolution.ReturnedToPayer && reference.Length > 0)
            validator.Check(ReviewResolutionRules.IsReturnReference(reference), "reference",
                "must be the channel's refund number: 4 to 64 letters or digits, with - _ . / : inside");
        var ok = Guid.TryParse(request.ReviewId, out var reviewId);
        if (request.ReviewId.Length > 0) validator.Check(ok, "review_id", "must be a review id from ListPaymentReviews");
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(ResolvePaymentReview), request.RequestId, request,
                ResolvePaymentReviewResponse.Parser, async () =>
                {
                    var resolved = await reviews.ResolveReviewAsync(conn, tx, tenantId, reviewId, resolution!.Value,
                        reference, request.Note.Trim(), tenant.Client, ct);
                    return new ResolvePaymentReviewResponse { Review = ToProto(resolved) };
                }, ct), ct));
    }

    private static Payment.V1.PaymentReview ToProto(DomainReview review) => new()
    {
        ReviewId = review.ReviewId.ToString(),
        OrderId = review.OrderId.ToString(),
        ChannelTransactionId = review.ChannelTransactionId,
        AmountFen = review.AmountFen,
        Reason = review.Reason,
        Detail = review.Detail,
        CreateTime = Timestamp.FromDateTimeOffset(review.CreatedAt),
        Resolution = review.Resolution switch
        {
            DomainResolution.ReturnedToPayer => Payment.V1.ReviewResolution.ReturnedToPayer,
            DomainResolution.MatchedElsewhere => Payment.V1.ReviewResolution.MatchedElsewhere,
            _ => Payment.V1.ReviewResolution.Unspecified,
        },
        ResolutionReference = review.ResolutionReference ?? "",
        ResolutionNote = review.ResolutionNote ?? "",
        ResolvedBy = review.ResolvedBy ?? "",
        ResolveTime = review.ResolvedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
        CarriesMoney = review.CarriesMoney,
        Channel = review.Channel is { } channel ? ContractValues.ToProtoChannel(channel) : PaymentChannel.Unspecified,
    };
}
