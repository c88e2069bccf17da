namespace Medins.PaymentCollection.Domain;

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
    public const string AlreadyResolved = "REVIEW_ALREADY_RESOLVED";

    public PaymentReview Resolve(ReviewResolution resolution, string reference, string note, string resolvedBy,
        DateTimeOffset at) => Resolution is not null
        ? throw new PaymentRuleException(AlreadyResolved,
            $"Review {ReviewId} was resolved by {ResolvedBy} at {ResolvedAt:u} ({Resolution}).")
        : this with
        {
            Resolution = resolution, ResolutionReference = reference, ResolutionNote = note, ResolvedBy = resolvedBy,
            ResolvedAt = at,
        };
}
