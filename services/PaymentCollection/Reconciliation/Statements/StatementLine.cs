namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>The file layouts the platform reads; the channel decides which one its statement uses.</summary>
public enum StatementFormat
{
    /// <summary>WeChat Pay's daily trade bill (交易账单).</summary>
    WeChatTradeBill,
    /// <summary>Alipay's daily business detail statement (业务明细).</summary>
    AlipayTradeStatement,
    /// <summary>The platform's own collection statement, for the tax e-bureau, 渝快办, banks, POS, schools and village cash.</summary>
    BureauCollectionStatement,
}

public enum StatementLineKind
{
    /// <summary>Money the channel collected for the platform.</summary>
    Payment,
    /// <summary>Money the channel returned to a payer.</summary>
    Refund,
    /// <summary>A payment the channel cancelled after it succeeded (WeChat Pay's REVOKED).</summary>
    Reversal,
}

/// <summary>
/// One transaction as a channel lists it. A refund names the payment's transaction in
/// <see cref="ChannelTransactionId"/> and its own number in <see cref="RefundId"/>. Amounts are never negative.
/// </summary>
public sealed record StatementEntry(StatementLineKind Kind, string ChannelTransactionId, long AmountFen, DateTimeOffset ChannelTime)
{
    /// <summary>The platform's order number the channel was given (商户订单号), or empty.</summary>
    public string MerchantOrderId { get; init; } = "";

    public string RefundId { get; init; } = "";
}

/// <summary>An entry and the line of the file it was read from (1-based, counting every physical line).</summary>
public sealed record StatementLine(int LineNumber, StatementEntry Entry);

/// <summary>A statement file as read: its lines, and the day and channel it declares about itself, if it does.</summary>
public sealed record ParsedStatement(StatementFormat Format, IReadOnlyList<StatementLine> Lines)
{
    public (DateOnly Date, int LineNumber)? DeclaredDate { get; init; }
    public (string Channel, int LineNumber)? DeclaredChannel { get; init; }
}

/// <summary>The file cannot be read as its format; <see cref="LineNumber"/> is where (0 for the file as a whole).</summary>
public sealed class StatementFormatException(int lineNumber, string problem)
    : Exception(lineNumber > 0 ? $"line {lineNumber}: {problem}" : problem)
{
    public int LineNumber { get; } = lineNumber;
    public string Problem { get; } = problem;
}
