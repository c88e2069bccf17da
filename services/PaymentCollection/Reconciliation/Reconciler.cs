using Medins.PaymentCollection.Reconciliation.Statements;

namespace Medins.PaymentCollection.Reconciliation;

/// <summary>What became of one line of a statement.</summary>
public enum LineOutcome
{
    /// <summary>The platform holds a paid order for the transaction, at the same amount.</summary>
    Matched,
    /// <summary>The platform holds a paid order for the transaction, at another amount.</summary>
    AmountDifference,
    /// <summary>The channel took money the platform has no paid order for.</summary>
    MissingHere,
    /// <summary>The platform refused this money when the channel confirmed it and queued it for review: known, not missing.</summary>
    HeldForReview,
    /// <summary>Refunds and reversals are kept but not reconciled against orders.</summary>
    NotReconciled,
}

public enum DiscrepancyKind
{
    MissingHere,
    /// <summary>The platform took a payment through the channel that day which the statement does not list.</summary>
    MissingThere,
    AmountDifference,
}

/// <summary>A channel transaction the platform accepted as payment: the orders it paid (one, or the members of a
/// household payment) and their personal amounts summed.</summary>
public sealed record PlatformPayment(string ChannelTransactionId, IReadOnlyList<Guid> OrderIds, long AmountFen, DateTimeOffset PaidAt);

/// <summary>A channel's notice the platform refused, waiting in the review queue.</summary>
public sealed record HeldNotice(string ChannelTransactionId, Guid ReviewId, long AmountFen, string Reason);

public sealed record ReconciledLine(StatementLine Line, LineOutcome Outcome)
{
    public PlatformPayment? Payment { get; init; }
    public HeldNotice? Held { get; init; }
}

/// <summary>A difference a person must resolve: from a line (missing here, amount difference) or from a platform
/// payment the statement lacks (missing there).</summary>
public sealed record FoundDiscrepancy(DiscrepancyKind Kind, string ChannelTransactionId, StatementLine? Line, PlatformPayment? Payment);

public sealed record ReconciliationResult(IReadOnlyList<ReconciledLine> Lines, IReadOnlyList<FoundDiscrepancy> Discrepancies);

/// <summary>
/// Matches one channel's statement of one day against the platform, by the channel's transaction number, in fen.
/// A listed payment is matched to the platform's payment with that transaction whatever day the platform recorded
/// it; the platform's payments through the channel on the statement's day that the statement does not list are
/// missing there.
/// </summary>
public static class Reconciler
{
    /// <param name="paidByTransaction">The platform's payments through the channel whose transactions the statement lists.</param>
    /// <param name="paidOnDay">The platform's payments through the channel on the statement's Asia/Shanghai day.</param>
    /// <param name="heldByTransaction">Refused notices of the channel, by transaction, for the transactions listed.</param>
    public static ReconciliationResult Reconcile(IReadOnlyList<StatementLine> lines,
        IReadOnlyDictionary<string, PlatformPayment> paidByTransaction, IReadOnlyList<PlatformPayment> paidOnDay,
        IReadOnlyDictionary<string, HeldNotice> heldByTransaction)
    {
        var reconciled = new List<ReconciledLine>(lines.Count);
        var discrepancies = new List<FoundDiscrepancy>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var entry = line.Entry;
            if (entry.Kind != StatementLineKind.Payment)
            {
                reconciled.Add(new ReconciledLine(line, LineOutcome.NotReconciled));
                continue;
            }
            listed.Add(entry.ChannelTransactionId);
            if (paidByTransaction.TryGetValue(entry.ChannelTransactionId, out var payment))
            {
                var same = payment.AmountFen == entry.AmountFen;
                reconciled.Add(new ReconciledLine(line, same ? LineOutcome.Matched : LineOutcome.AmountDifference) { Payment = payment });
                if (!same)
                    discrepancies.Add(new FoundDiscrepancy(DiscrepancyKind.AmountDifference, entry.ChannelTransactionId, line, payment));
            }
            else if (heldByTransaction.TryGetValue(entry.ChannelTransactionId, out var held))
            {
                reconciled.Add(new ReconciledLine(line, LineOutcome.HeldForReview) { Held = held });
            }
            else
            {
                reconciled.Add(new ReconciledLine(line, LineOutcome.MissingHere));
                discrepancies.Add(new FoundDiscrepancy(DiscrepancyKind.MissingHere, entry.ChannelTransactionId, line, null));
            }
        }
        foreach (var payment in paidOnDay.OrderBy(p => p.PaidAt).ThenBy(p => p.ChannelTransactionId, StringComparer.Ordinal))
            if (!listed.Contains(payment.ChannelTransactionId))
                discrepancies.Add(new FoundDiscrepancy(DiscrepancyKind.MissingThere, payment.ChannelTransactionId, null, payment));
        return new ReconciliationResult(reconciled, discrepancies);
    }
}
