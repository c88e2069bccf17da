using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Reviews;

public enum ReviewResolution
{
    /// <summary>The channel returned the money to the payer (its refund number is the reference).</summary>
    ReturnedToPayer,
    /// <summary>The money belongs to a payment the platform already holds (the order or statement line is the reference).</summary>
    MatchedElsewhere,
}

/// <summary>A refused notice whose money a person must return or match: nothing refused is ever kept silently.</summary>
public sealed record PaymentReview(
    Guid ReviewId,
    Guid OrderId,
    string ChannelTransactionId,
    long AmountFen,
    string Reason,
    string Detail,
    DateTimeOffset CreatedAt,
    ReviewResolution? Resolution,
    string? ResolutionReference,
    string? ResolutionNote,
    string? ResolvedBy,
    DateTimeOffset? ResolvedAt)
{
    /// <summary>
    /// Whether this item holds its transaction's money (the first word of that money, not a 0-fen notice). An item
    /// repeating a transaction whose money an order or another item already holds is kept for a person to see, but
    /// returning or matching it moves nothing: the money ledger counts each transaction once.
    /// </summary>
    public bool CarriesMoney { get; init; } = true;

    /// <summary>The channel code the money came through; null when nobody said (ConfirmPayment naming an unknown order).</summary>
    public string? Channel { get; init; }

    /// <summary>The reason codes an item is queued under (the refusals of <see cref="ConfirmationDecision.Reason"/>, and
    /// an unknown order), which the queue is listed by.</summary>
    public static readonly IReadOnlySet<string> Reasons = new HashSet<string>(new[]
    {
        ErrorReason.AmountMismatch, ErrorReason.DuplicatePayment, ErrorReason.ChannelTransactionReused,
        ErrorReason.OrderExpired, ErrorReason.OrderCancelled, ErrorReason.OrderNotFound, ErrorReason.HouseholdMemberOrder,
        ErrorReason.HouseholdMembersChanged,
    }.Select(r => ErrorReasons.Code(r)), StringComparer.Ordinal);

    public PaymentReview Resolve(ReviewResolution resolution, string reference, string note, string resolvedBy,
        DateTimeOffset at) => Resolution is not null
        ? throw new RuleViolation(ErrorReason.ReviewAlreadyResolved, RefusalStatus.FailedPrecondition,
            $"Review {ReviewId} was already {Resolution.Value.English()} by {ResolvedBy} at {ClerkText.BeijingTimeEnglish(ResolvedAt!.Value)}.",
            clerk: $"这条待核对款项已由 {ResolvedBy} 于 {ClerkText.BeijingTime(ResolvedAt!.Value)}处理（{Resolution.Value.Chinese()}），无需重复处理。")
        : this with
        {
            Resolution = resolution, ResolutionReference = reference, ResolutionNote = note, ResolvedBy = resolvedBy,
            ResolvedAt = at,
        };
}

/// <summary>What a "matched elsewhere" resolution does with the item's money.</summary>
public enum MatchEffect
{
    /// <summary>The target order takes the money: it is confirmed by the item's transaction.</summary>
    TakesMoney,
    /// <summary>The target already holds this very transaction: the item repeated it, nothing moves.</summary>
    AlreadyHeld,
}

/// <summary>
/// Evidence a review resolution must carry, so the queue can never make one order hold two payments nor let money
/// leave it unaccounted: "matched elsewhere" names an order that takes exactly this money (or already holds this
/// very transaction), "returned to payer" names the channel's refund.
/// </summary>
public static class ReviewResolutionRules
{
    /// <summary>The reference names nothing that can hold the item's money: a fault of the request's reference.</summary>
    public static RuleViolation ReferenceUnknown(string message) =>
        new(ErrorReason.ReviewReferenceUnknown, RefusalStatus.InvalidArgument, message,
            fields: [new FieldProblem("reference", "must name an order, household order or channel transaction that can hold this money")]);

    /// <summary>A resolution the item's money does not allow.</summary>
    public static RuleViolation Refusal(ErrorReason reason, string message, string? clerk = null) =>
        new(reason, RefusalStatus.FailedPrecondition, message, clerk: clerk);

    /// <summary>A channel's refund number: letters and digits, with - _ . / : inside; 4 to 64 characters.</summary>
    public static bool IsReturnReference(string reference) =>
        reference.Length is >= 4 and <= 64 && char.IsAsciiLetterOrDigit(reference[0])
        && reference.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':');

    /// <summary>
    /// Decides whether <paramref name="target"/> (a single order, or a household order seen as one payable order)
    /// can take the item's money. <paramref name="sameOwner"/>: the target is the order the notice named, or the
    /// same person's order for the same year (or, for a household, the household or one of its members).
    /// </summary>
    public static MatchEffect Match(PaymentReview review, PaymentOrder target, bool sameOwner,
        bool personYearSettledByAnotherOrder, DateTimeOffset now)
    {
        HouseholdOrderRules.EnsureNotMember(target, "match the money to");
        if (OrderStateMachine.HoldsPayment(target.State))
        {
            if (target.ChannelTransactionId != review.ChannelTransactionId)
                throw Refusal(ErrorReason.ReviewTargetAlreadyPaid,
                    $"Order {target.OrderId} already holds payment {target.ChannelTransactionId ?? "(zero contribution)"}; " +
                    "matching this money to it would make it hold two payments.");
            if (!sameOwner)
                throw Refusal(ErrorReason.ReviewTargetOtherPerson,
                    $"Order {target.OrderId} holds transaction {review.ChannelTransactionId} but is not the order this " +
                    "notice named nor the same person's order for that year.");
            return MatchEffect.AlreadyHeld;
        }
        if (!review.CarriesMoney)
            throw Refusal(ErrorReason.ReviewCarriesNoMoney,
                $"Review {review.ReviewId} repeats transaction {review.ChannelTransactionId}, whose money is held " +
                "elsewhere (or it reported no money): there is no money here to give to another order.");
        if (target.EffectiveState(now) != OrderState.Created)
            throw Refusal(ErrorReason.ReviewTargetNotPayable,
                $"Order {target.OrderId} is {target.EffectiveState(now).English()}; only an unpaid, unexpired order can take the money.",
                $"要转入的缴费单{target.EffectiveState(now).Chinese()}，只有待付款且未过期的缴费单才能转入。请重新开单后再转入。");
        if (review.AmountFen != target.PersonalAmountFen)
            throw Refusal(ErrorReason.AmountMismatch,
                $"Review {review.ReviewId} holds {ClerkText.YuanNumber(review.AmountFen)} yuan but order {target.OrderId} is for " +
                $"{ClerkText.YuanNumber(target.PersonalAmountFen)} yuan.",
                $"这笔待核对款项是 {ClerkText.Yuan(review.AmountFen)}，但要转入的缴费单应缴 {ClerkText.Yuan(target.PersonalAmountFen)}，"
                + "金额不一致，不能转入。请核对金额，金额不符的款项请退回付款人。");
        if (personYearSettledByAnotherOrder)
            throw Refusal(ErrorReason.AlreadyPaid,
                $"{target.ResidentId} has already paid for coverage year {target.CoverageYear} through another order.");
        return MatchEffect.TakesMoney;
    }
}

/// <summary>Resolutions as error messages name them: plain words, not the enum identifiers.</summary>
public static class ReviewWords
{
    public static string English(this ReviewResolution resolution) => resolution switch
    {
        ReviewResolution.ReturnedToPayer => "returned to the payer",
        ReviewResolution.MatchedElsewhere => "matched to another payment",
        _ => "resolved",
    };

    public static string Chinese(this ReviewResolution resolution) => resolution switch
    {
        ReviewResolution.ReturnedToPayer => "退回付款人",
        ReviewResolution.MatchedElsewhere => "转入其他缴费单",
        _ => "已处理",
    };
}
