using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>
/// The rules of village cash: an agent takes exactly the person's own part, no more (no "helping fees") and no less;
/// a day's cash is handed in whole, by the tenant's cut-off that day.
/// </summary>
public static class CashRules
{
    /// <summary>Refuses cash that differs from what the person owes, in either direction.</summary>
    public static void EnsureCollectedExactly(long dueFen, long receivedFen)
    {
        if (receivedFen != dueFen)
            throw new VillageCashException(VillageCashException.AmountMismatch,
                receivedFen > dueFen
                    ? $"The agent took {receivedFen} fen but the person owes {dueFen} fen: no more than her own part may be collected."
                    : $"The agent took {receivedFen} fen but the person owes {dueFen} fen.",
                new Dictionary<string, string>
                {
                    ["expected_amount_fen"] = dueFen.ToString(),
                    ["received_amount_fen"] = receivedFen.ToString(),
                });
    }

    /// <summary>A remittance hands in exactly the day's unremitted receipts.</summary>
    public static void EnsureRemittanceMatches(long unremittedFen, int unremittedReceipts, long remittedFen)
    {
        if (unremittedReceipts == 0)
            throw new VillageCashException(VillageCashException.NothingToRemit,
                "The agent holds no unremitted cash of that day.",
                new Dictionary<string, string> { ["unremitted_amount_fen"] = "0" });
        if (remittedFen != unremittedFen)
            throw new VillageCashException(VillageCashException.CashAmountMismatch,
                $"The deposit is {remittedFen} fen but the agent's {unremittedReceipts} unremitted receipts of that day sum to {unremittedFen} fen.",
                new Dictionary<string, string>
                {
                    ["unremitted_amount_fen"] = unremittedFen.ToString(),
                    ["remitted_amount_fen"] = remittedFen.ToString(),
                    ["unremitted_receipt_count"] = unremittedReceipts.ToString(),
                });
    }

    /// <summary>The instant a day's cash is due: the cut-off time of day on that Asia/Shanghai date.</summary>
    public static DateTimeOffset CutoffInstant(DateOnly collectionDate, TimeOnly cutoff) =>
        new DateTimeOffset(collectionDate.ToDateTime(cutoff), ShanghaiCalendar.Offset).ToUniversalTime();

    /// <summary>Cash of the day still held at <paramref name="now"/> is overdue once the day's cut-off has passed.</summary>
    public static bool IsOverdue(DateOnly collectionDate, TimeOnly cutoff, long unremittedFen, DateTimeOffset now) =>
        unremittedFen > 0 && now >= CutoffInstant(collectionDate, cutoff);
}

/// <summary>A village cash rule refuses the operation; <see cref="Reason"/> is the code clients branch on and
/// <see cref="Facts"/> the amounts that explain it.</summary>
public sealed class VillageCashException(string reason, string message, IReadOnlyDictionary<string, string> facts)
    : Exception(message)
{
    public const string AmountMismatch = "AMOUNT_MISMATCH";
    public const string CashAmountMismatch = "CASH_AMOUNT_MISMATCH";
    public const string NothingToRemit = "NOTHING_TO_REMIT";
    public const string DepositReferenceReused = "DEPOSIT_REFERENCE_REUSED";
    public const string ResidentNotInAgentVillage = "RESIDENT_NOT_IN_AGENT_VILLAGE";

    public string Reason { get; } = reason;
    public IReadOnlyDictionary<string, string> Facts { get; } = facts;
}
