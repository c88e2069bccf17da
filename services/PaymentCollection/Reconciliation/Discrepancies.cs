using Medins.Platform.Hosting;
using Medins.PaymentCollection.Reconciliation.Statements;

namespace Medins.PaymentCollection.Reconciliation;

public enum DiscrepancyState
{
    Open,
    Resolved,
    /// <summary>Its statement was replaced by a corrected file before anyone resolved it.</summary>
    Superseded,
}

public enum ResolutionAction
{
    /// <summary>The money is real and the platform keeps it: the other side has since caught up (the platform
    /// confirmed the payment, or the channel listed it on another day's statement).</summary>
    ConfirmLatePayment,
    /// <summary>The channel's money (or its excess over the order) goes back to the payer.</summary>
    RefundToPayer,
    /// <summary>The channel's record is wrong and the channel has corrected it; nothing moves here.</summary>
    ChannelErrorWrittenOff,
    /// <summary>A person matched it to a record the platform could not match by transaction number.</summary>
    MatchedManually,
}

/// <summary>One imported statement: a channel's file for one day, as the caller gave it.</summary>
public sealed record StatementRecord(Guid StatementId, string Channel, DateOnly StatementDate, StatementFormat Format,
    byte[] ContentSha256, DateTimeOffset ImportedAt, string ImportedBy, Guid? ReplacesStatementId);

/// <summary>A count of lines or payments and their amount in fen.</summary>
public readonly record struct Tally(int Count, long AmountFen);

/// <summary>What an import found, as stored: the same answer for the first import and every replay.</summary>
public sealed record StatementTally(Tally Payments, Tally Matched, Tally MissingHere, Tally MissingThere,
    Tally AmountDifferences, long AmountDifferenceFen, Tally HeldForReview, Tally RefundsAndReversals);

/// <summary>Who resolved a discrepancy, when, how and why; one per discrepancy.</summary>
public sealed record Resolution(ResolutionAction Action, string Note, string ResolvedBy, DateTimeOffset ResolvedAt, string RequestId);

public sealed record Discrepancy(
    Guid DiscrepancyId,
    Guid StatementId,
    string Channel,
    DateOnly StatementDate,
    DiscrepancyKind Kind,
    string ChannelTransactionId,
    DiscrepancyState State,
    DateTimeOffset CreatedAt)
{
    /// <summary>The statement's line; null for a payment missing there.</summary>
    public int? LineNumber { get; init; }
    public string MerchantOrderId { get; init; } = "";
    /// <summary>What the channel lists; null when missing there.</summary>
    public long? ChannelAmountFen { get; init; }
    public DateTimeOffset? ChannelTime { get; init; }
    /// <summary>What the platform recorded; null when missing here.</summary>
    public long? PlatformAmountFen { get; init; }
    public DateTimeOffset? PlatformPaidAt { get; init; }
    public IReadOnlyList<Guid> OrderIds { get; init; } = [];
    public Resolution? Resolution { get; init; }
}

/// <summary>Which action settles which discrepancy.</summary>
public static class ResolutionRules
{
    /// <summary>Why the action cannot settle the discrepancy, or null when it can (subject, for
    /// <see cref="ResolutionAction.ConfirmLatePayment"/>, to the other side having caught up).</summary>
    public static string? Refusal(Discrepancy discrepancy, ResolutionAction action) => (discrepancy.Kind, action) switch
    {
        (_, ResolutionAction.ChannelErrorWrittenOff or ResolutionAction.MatchedManually) => null,
        (DiscrepancyKind.MissingHere, ResolutionAction.ConfirmLatePayment or ResolutionAction.RefundToPayer) => null,
        (DiscrepancyKind.MissingThere, ResolutionAction.ConfirmLatePayment) => null,
        (DiscrepancyKind.AmountDifference, ResolutionAction.RefundToPayer)
            when discrepancy.ChannelAmountFen > discrepancy.PlatformAmountFen => null,
        (DiscrepancyKind.AmountDifference, ResolutionAction.RefundToPayer) =>
            "the channel holds less than the order's amount: there is no excess to refund",
        (DiscrepancyKind.MissingThere, ResolutionAction.RefundToPayer) =>
            "the channel does not list this money, so there is nothing of the channel's to refund",
        (DiscrepancyKind.AmountDifference, ResolutionAction.ConfirmLatePayment) =>
            "the payment is not late but of another amount",
        _ => $"it does not settle {discrepancy.Kind.English()}",
    };

    /// <summary>The refusal of <see cref="Refusal"/> for the clerk, with the amounts of an amount difference.</summary>
    public static string ClerkRefusal(Discrepancy discrepancy, ResolutionAction action) => (discrepancy.Kind, action) switch
    {
        (DiscrepancyKind.AmountDifference, ResolutionAction.RefundToPayer) =>
            $"渠道实收 {ClerkText.Yuan(discrepancy.ChannelAmountFen ?? 0)}，不多于缴费单应缴的 {ClerkText.Yuan(discrepancy.PlatformAmountFen ?? 0)}，"
            + "没有多收的钱可退。请选择其他处理方式。",
        (DiscrepancyKind.MissingThere, ResolutionAction.RefundToPayer) =>
            "渠道对账单中没有这笔钱，无款可退。请选择“确认迟到的付款”或其他处理方式。",
        (DiscrepancyKind.AmountDifference, ResolutionAction.ConfirmLatePayment) =>
            $"这笔付款不是迟到，而是金额不一致（渠道 {ClerkText.Yuan(discrepancy.ChannelAmountFen ?? 0)}，平台 {ClerkText.Yuan(discrepancy.PlatformAmountFen ?? 0)}）。"
            + "请选择其他处理方式。",
        _ => $"“{action.Chinese()}”不能用于处理{discrepancy.Kind.Chinese()}。请选择其他处理方式。",
    };
}
