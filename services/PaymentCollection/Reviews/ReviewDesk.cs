using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using Npgsql;
using OrderState = Medins.PaymentCollection.Core.OrderState;

namespace Medins.PaymentCollection.Reviews;

/// <summary>
/// Review resolutions, inside the caller's tenant transaction: what became of a refused notice's money, with the
/// evidence for it. Money matched to an order pays it through the order book (same receipt, same event).
/// </summary>
public sealed class ReviewDesk(OrderBook orders)
{
    /// <summary>
    /// Resolves a review item. "Returned to payer" records the channel's refund number. "Matched elsewhere" names an
    /// order (or household order) that takes exactly the item's money (it is confirmed by the item's transaction, with
    /// receipt and event, in this transaction), or that already holds this very transaction; or names the item's own
    /// transaction when its money is already held. Anything else is refused (<see cref="ReviewResolutionRules"/>).
    /// </summary>
    public async Task<PaymentReview> ResolveReviewAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Guid reviewId, ReviewResolution resolution, string reference, string note, string resolvedBy, CancellationToken ct)
    {
        var peek = await ReviewStore.FindAsync(conn, tx, tenantId, reviewId, ct)
            ?? throw RpcErrors.NotFound(ErrorReason.ReviewNotFound, $"No review item {reviewId}.");
        // The transaction lock first, as a notice takes it: the item's money cannot move under a concurrent notice.
        await PaymentOrderStore.LockTransactionAsync(conn, tx, tenantId, peek.ChannelTransactionId, ct);
        var review = (await ReviewStore.FindForUpdateAsync(conn, tx, tenantId, reviewId, ct))!;
        var now = orders.Now();
        var resolved = review.Resolve(resolution, reference, note, resolvedBy, now);
        var home = await PaymentOrderStore.TransactionHomeAsync(conn, tx, tenantId, review.ChannelTransactionId, ct);

        if (resolution == ReviewResolution.ReturnedToPayer)
        {
            if (!review.CarriesMoney && !home.IsEmpty)
                throw ReviewResolutionRules.Refusal(ErrorReason.ReviewMoneyHeldElsewhere,
                    $"Review {reviewId} repeats transaction {review.ChannelTransactionId}, whose money is held by " +
                    $"{DescribeHome(home)}; nothing of it is here to return. Match it to that transaction instead.");
        }
        else if (Guid.TryParse(reference, out var targetId))
        {
            resolved = resolved with { ResolutionReference = targetId.ToString() };
            await MatchToOrderAsync(conn, tx, tenantId, review, targetId, now, ct);
        }
        else if (reference != review.ChannelTransactionId)
        {
            var other = await PaymentOrderStore.TransactionHomeAsync(conn, tx, tenantId, reference, ct);
            throw other.HoldingOrders.Count > 0
                ? ReviewResolutionRules.Refusal(ErrorReason.ReviewTargetAlreadyPaid,
                    $"Transaction {reference} paid order {other.HoldingOrders[0].OrderId}; matching this money to it would " +
                    "make that order hold two payments.")
                : ReviewResolutionRules.ReferenceUnknown(
                    $"'{reference}' names no order, household order or channel transaction holding this money.");
        }
        else if (review.CarriesMoney || home.IsEmpty)
        {
            throw ReviewResolutionRules.ReferenceUnknown(
                $"Transaction {reference}'s money is held nowhere but this item: name the order that takes it, or return it.");
        }

        await ReviewStore.ResolveAsync(conn, tx, tenantId, resolved, ct);
        return resolved;
    }

    private static string DescribeHome(TransactionHome home) => home.HoldingOrders.Count > 0
        ? $"order {home.HoldingOrders[0].HouseholdOrderId ?? home.HoldingOrders[0].OrderId}"
        : $"review item {home.CarryingItem!.Value.ReviewId}";

    /// <summary>Moves the item's money onto the named order, or checks the order already holds this transaction.</summary>
    private async Task MatchToOrderAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, PaymentReview review,
        Guid targetId, DateTimeOffset now, CancellationToken ct)
    {
        var found = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, targetId, forUpdate: false, ct);
        if (found is null)
        {
            var household = await HouseholdOrderStore.FindAsync(conn, tx, tenantId, targetId, forUpdate: true, ct)
                ?? throw ReviewResolutionRules.ReferenceUnknown($"No order or household order {targetId} in this tenant.");
            await MatchToHouseholdAsync(conn, tx, tenantId, review, household, now, ct);
            return;
        }

        await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, found.ResidentId, found.CoverageYear, ct);
        var target = (await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, targetId, forUpdate: true, ct))!;
        var settled = await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, target.ResidentId,
            target.CoverageYear, excludingOrderId: target.OrderId, ct);
        var named = review.OrderId == target.OrderId
            ? target
            : await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, review.OrderId, forUpdate: false, ct);
        var sameOwner = named is not null && named.ResidentId == target.ResidentId && named.CoverageYear == target.CoverageYear;
        if (ReviewResolutionRules.Match(review, target, sameOwner, settled, now) == MatchEffect.AlreadyHeld) return;

        var paid = target.MarkPaid(review.ChannelTransactionId, now) with
        {
            ReceiptNumber = await PaymentOrderStore.NextReceiptNumberAsync(conn, tx, target.CoverageYear, ct),
        };
        await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, paid, ct);
        await RecordMatchAsync(conn, tx, tenantId, review, paid.OrderId, paid.Channel, now, ct);
        await orders.PublishPaidAsync(conn, tx, tenantId, paid, ct);
    }

    private async Task MatchToHouseholdAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PaymentReview review, HouseholdOrder household, DateTimeOffset now, CancellationToken ct)
    {
        var members = await PaymentOrderStore.HouseholdMembersAsync(conn, tx, tenantId, household.HouseholdOrderId, ct);
        var settled = false;
        foreach (var member in members.Where(m => m.State == OrderState.Created))
        {
            await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, member.ResidentId, member.CoverageYear, ct);
            settled |= await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, member.ResidentId,
                member.CoverageYear, excludingOrderId: member.OrderId, ct);
        }
        var sameOwner = review.OrderId == household.HouseholdOrderId || members.Any(m => m.OrderId == review.OrderId);
        var payable = household.AsPayable();
        if (ReviewResolutionRules.Match(review, payable, sameOwner, settled, now) == MatchEffect.AlreadyHeld) return;
        if (ConfirmationRules.CheckHouseholdMembers(household, members) is { } changed)
            throw ReviewResolutionRules.Refusal(ErrorReason.HouseholdMembersChanged, changed.Explanation);

        await orders.MoveHouseholdAsync(conn, tx, tenantId, household, members, payable.MarkPaid(review.ChannelTransactionId, now),
            review.ChannelTransactionId, ct);
        await RecordMatchAsync(conn, tx, tenantId, review, household.HouseholdOrderId, household.Channel, now, ct);
    }

    /// <summary>The order's payment history shows where its money came from: the review item's notice.</summary>
    private static async Task RecordMatchAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PaymentReview review, Guid orderId, string channel, DateTimeOffset now, CancellationToken ct)
    {
        await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, orderId, channel, review.ChannelTransactionId,
            review.AmountFen, reportedPaidAt: null, now, PaymentOrderStore.MatchedFromReviewOutcome, ct);
        await PaymentOrderStore.CloseZeroAmountReviewsAsync(conn, tx, tenantId, review.ChannelTransactionId, orderId, now, ct);
        PaymentMetrics.Decided(tenantId, channel, PaymentOrderStore.MatchedFromReviewOutcome, review.AmountFen);
    }
}
