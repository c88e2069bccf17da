namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>Which format a channel's statement comes in, and reading it.</summary>
public static class StatementFormats
{
    /// <summary>The format of a channel's daily statement (channel codes as payment orders store them).</summary>
    public static StatementFormat For(string channel) => channel switch
    {
        "wechat_pay" => StatementFormat.WeChatTradeBill,
        "alipay" => StatementFormat.AlipayTradeStatement,
        _ => StatementFormat.BureauCollectionStatement,
    };

    public static ParsedStatement Read(StatementFormat format, byte[] content) => format switch
    {
        StatementFormat.WeChatTradeBill => WeChatTradeBill.Read(content),
        StatementFormat.AlipayTradeStatement => AlipayTradeStatement.Read(content),
        StatementFormat.BureauCollectionStatement => BureauCollectionStatement.Read(content),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>
    /// Reads a channel's statement of one day and checks it is that statement: the day and channel it declares,
    /// every line on that Asia/Shanghai day, and no payment listed twice. Throws <see cref="StatementFormatException"/>.
    /// </summary>
    public static ParsedStatement ReadStatementOf(string channel, DateOnly day, byte[] content)
    {
        var statement = Read(For(channel), content);
        if (statement.DeclaredDate is { } declared && declared.Date != day)
            throw new StatementFormatException(declared.LineNumber, $"the file is the statement of {declared.Date:yyyy-MM-dd}, not of {day:yyyy-MM-dd}");
        if (statement.DeclaredChannel is { } named && named.Channel != channel)
            throw new StatementFormatException(named.LineNumber, $"the file is a statement of channel {named.Channel}, not of {channel}");

        var firstLineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (lineNumber, entry) in statement.Lines)
        {
            var on = Platform.Hosting.ShanghaiCalendar.ToDate(entry.ChannelTime);
            if (on != day)
                throw new StatementFormatException(lineNumber, $"the transaction is dated {on:yyyy-MM-dd}, not on the statement's day {day:yyyy-MM-dd}");
            if (entry.Kind != StatementLineKind.Payment) continue;
            if (!firstLineOf.TryAdd(entry.ChannelTransactionId, lineNumber))
                throw new StatementFormatException(lineNumber,
                    $"transaction {entry.ChannelTransactionId} is listed as paid again (first on line {firstLineOf[entry.ChannelTransactionId]})");
        }
        return statement;
    }
}
