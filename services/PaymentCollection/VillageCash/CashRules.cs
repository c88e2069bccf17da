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
            throw new RuleViolation(ErrorReason.AmountMismatch, RefusalStatus.FailedPrecondition,
                receivedFen > dueFen
                    ? $"The agent took {ClerkText.YuanNumber(receivedFen)} yuan but the person owes {ClerkText.YuanNumber(dueFen)} yuan: no more than her own part may be collected."
                    : $"The agent took {ClerkText.YuanNumber(receivedFen)} yuan but the person owes {ClerkText.YuanNumber(dueFen)} yuan.",
                new Dictionary<string, string>
                {
                    ["expected_amount_fen"] = dueFen.ToString(),
                    ["received_amount_fen"] = receivedFen.ToString(),
                },
                receivedFen > dueFen
                    ? $"收取金额 {ClerkText.Yuan(receivedFen)} 多于这位居民应缴的 {ClerkText.Yuan(dueFen)}：只能收取个人应缴部分，不得多收。本次未收款，请按 {ClerkText.Yuan(dueFen)} 重新收取。"
                    : $"收取金额 {ClerkText.Yuan(receivedFen)} 少于这位居民应缴的 {ClerkText.Yuan(dueFen)}。本次未收款，请核对金额后按 {ClerkText.Yuan(dueFen)} 重新收取。");
    }

    /// <summary>A remittance hands in exactly the day's unremitted receipts.</summary>
    public static void EnsureRemittanceMatches(long unremittedFen, int unremittedReceipts, long remittedFen)
    {
        if (unremittedReceipts == 0)
            throw new RuleViolation(ErrorReason.NothingToRemit, RefusalStatus.FailedPrecondition,
                "The agent holds no unremitted cash of that day.",
                new Dictionary<string, string> { ["unremitted_amount_fen"] = "0" },
                "这位代收员当天没有未解缴的现金，无需解缴。请核对收款日期。");
        if (remittedFen != unremittedFen)
            throw new RuleViolation(ErrorReason.CashAmountMismatch, RefusalStatus.FailedPrecondition,
                $"The deposit is {ClerkText.YuanNumber(remittedFen)} yuan but the agent's {unremittedReceipts} unremitted receipts of that day sum to {ClerkText.YuanNumber(unremittedFen)} yuan.",
                new Dictionary<string, string>
                {
                    ["unremitted_amount_fen"] = unremittedFen.ToString(),
                    ["remitted_amount_fen"] = remittedFen.ToString(),
                    ["unremitted_receipt_count"] = unremittedReceipts.ToString(),
                },
                $"存款金额 {ClerkText.Yuan(remittedFen)} 与这位代收员当天 {unremittedReceipts} 张未解缴收据的合计 {ClerkText.Yuan(unremittedFen)} 不一致。"
                + "当天的现金须全额一次解缴。请核对存款凭证和收据后重新提交。");
    }

    /// <summary>The instant a day's cash is due: the cut-off time of day on that Asia/Shanghai date.</summary>
    public static DateTimeOffset CutoffInstant(DateOnly collectionDate, TimeOnly cutoff) =>
        new DateTimeOffset(collectionDate.ToDateTime(cutoff), ShanghaiCalendar.Offset).ToUniversalTime();

    /// <summary>Cash of the day still held at <paramref name="now"/> is overdue once the day's cut-off has passed.</summary>
    public static bool IsOverdue(DateOnly collectionDate, TimeOnly cutoff, long unremittedFen, DateTimeOffset now) =>
        unremittedFen > 0 && now >= CutoffInstant(collectionDate, cutoff);
}
