using System.Text;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>
/// WeChat Pay's daily trade bill (交易账单, <c>downloadbill</c> / <c>tradebill</c>, bill type ALL or SUCCESS), as
/// WeChat Pay documents it: a header row of column names; one detail row per payment, refund or revoked payment,
/// every field prefixed with a backtick (`) so spreadsheets keep long numbers; then a summary header row
/// (总交易单数,应结订单总金额,…) and one summary row, also backticked. Amounts are yuan with two decimals; times are
/// Beijing time (the bill's day runs 00:00:00–24:00). Columns are found by name, since WeChat Pay says their order
/// may change; the writer uses the documented 27-column layout of the settlement bill (免充值券结算对账单).
/// </summary>
public static class WeChatTradeBill
{
    public static readonly IReadOnlyList<string> Columns =
    [
        "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态",
        "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型",
        "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注",
    ];

    public static readonly IReadOnlyList<string> SummaryColumns =
        ["总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"];

    private const string Success = "SUCCESS";
    private const string Refund = "REFUND";
    private const string Revoked = "REVOKED";

    /// <summary>Reads a bill; throws <see cref="StatementFormatException"/> naming the first bad line.</summary>
    public static ParsedStatement Read(byte[] content)
    {
        var lines = StatementText.Lines(StatementText.Decode(content));
        var at = 0;
        while (at < lines.Count && lines[at].Trim().Length == 0) at++;
        if (at == lines.Count) throw new StatementFormatException(0, "the bill is empty");

        var headerLine = at + 1;
        var header = lines[at].Split(',').Select(h => h.Trim()).ToList();
        var column = StatementText.ColumnIndex(header);
        // Older bills name the order amount 总金额; the settlement bill names it 订单金额.
        var amountColumn = column.ContainsKey("订单金额") ? "订单金额" : "总金额";
        foreach (var required in new[] { "交易时间", "微信订单号", "商户订单号", "交易状态", amountColumn })
            if (!column.ContainsKey(required))
                throw new StatementFormatException(headerLine, $"the header has no column {required}; expected WeChat Pay's trade bill columns");

        var entries = new List<StatementLine>();
        for (at++; at < lines.Count; at++)
        {
            var text = lines[at];
            var lineNumber = at + 1;
            if (text.Trim().Length == 0) continue;
            if (text.StartsWith(SummaryColumns[0], StringComparison.Ordinal)) break;
            var fields = BacktickedFields(text, lineNumber);
            if (fields.Count != header.Count)
                throw new StatementFormatException(lineNumber, $"has {fields.Count} fields, the header has {header.Count}");
            string Field(string name) => column.TryGetValue(name, out var i) ? fields[i].Trim() : "";
            entries.Add(new StatementLine(lineNumber, ReadEntry(Field, amountColumn, lineNumber)));
        }

        if (at == lines.Count)
            throw new StatementFormatException(lines.Count,
                $"the bill ends before its summary rows ({SummaryColumns[0]},…): the download may be truncated");
        var summaryHeader = lines[at].Split(',').Select(h => h.Trim()).ToList();
        var summaryLine = at + 2;
        var summary = at + 1 < lines.Count ? BacktickedFields(lines[at + 1], summaryLine) : null;
        if (summary is null || summary.Count != summaryHeader.Count)
            throw new StatementFormatException(Math.Min(summaryLine, lines.Count), "the summary row is missing or does not match its header");
        if (!long.TryParse(summary[0].Trim(), out var declaredCount) || declaredCount != entries.Count)
            throw new StatementFormatException(summaryLine,
                $"{SummaryColumns[0]} is '{summary[0]}' but the bill lists {entries.Count} transactions");
        for (var rest = at + 2; rest < lines.Count; rest++)
            if (lines[rest].Trim().Length > 0)
                throw new StatementFormatException(rest + 1, "nothing may follow the summary row");

        return new ParsedStatement(StatementFormat.WeChatTradeBill, entries);
    }

    /// <summary>Writes a bill for the entries, as WeChat Pay would for merchant <paramref name="merchantId"/>.</summary>
    public static byte[] Write(IReadOnlyList<StatementEntry> entries, string appId = "wx0000000000000000",
        string merchantId = "1900000109")
    {
        var text = new StringBuilder();
        text.Append(string.Join(',', Columns)).Append("\r\n");
        long settled = 0, refunded = 0, ordered = 0;
        foreach (var e in entries)
        {
            var payment = e.Kind != StatementLineKind.Refund;
            var amount = ClerkText.YuanNumber(e.AmountFen);
            settled += e.Kind == StatementLineKind.Payment ? e.AmountFen : 0;
            refunded += payment ? 0 : e.AmountFen;
            ordered += e.AmountFen;
            string[] row =
            [
                StatementText.FormatTime(e.ChannelTime), appId, merchantId, "0", "", e.ChannelTransactionId, e.MerchantOrderId, "",
                "JSAPI", e.Kind switch { StatementLineKind.Payment => Success, StatementLineKind.Refund => Refund, _ => Revoked },
                "OTHERS", "CNY", e.Kind == StatementLineKind.Payment ? amount : "0.00", "0.00",
                payment ? "0" : e.RefundId, payment ? "0" : e.RefundId, payment ? "0.00" : amount, "0.00",
                payment ? "" : "ORIGINAL", payment ? "" : "SUCCESS", "城乡居民基本医疗保险缴费", "", "0.00000", "0.00%", amount,
                payment ? "0.00" : amount, "",
            ];
            text.Append(string.Join(',', row.Select(f => "`" + f))).Append("\r\n");
        }
        text.Append(string.Join(',', SummaryColumns)).Append("\r\n");
        string[] summary =
        [
            entries.Count.ToString(), ClerkText.YuanNumber(settled), ClerkText.YuanNumber(refunded), "0.00", "0.00000", ClerkText.YuanNumber(ordered),
            ClerkText.YuanNumber(refunded),
        ];
        text.Append(string.Join(',', summary.Select(f => "`" + f))).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static StatementEntry ReadEntry(Func<string, string> field, string amountColumn, int lineNumber)
    {
        var time = StatementText.ParseTime(field("交易时间"), "交易时间", lineNumber);
        var transaction = field("微信订单号");
        if (transaction.Length == 0) throw new StatementFormatException(lineNumber, "微信订单号 is empty");
        var (kind, amountText, amountName) = field("交易状态") switch
        {
            Success => (StatementLineKind.Payment, field(amountColumn), amountColumn),
            Revoked => (StatementLineKind.Reversal, field(amountColumn), amountColumn),
            // The refund asked for; the settlement bill also has 退款金额, net of recharge coupons.
            Refund when field("申请退款金额").Length > 0 => (StatementLineKind.Refund, field("申请退款金额"), "申请退款金额"),
            Refund => (StatementLineKind.Refund, field("退款金额"), "退款金额"),
            var other => throw new StatementFormatException(lineNumber,
                $"交易状态 '{other}' is not {Success}, {Refund} or {Revoked}"),
        };
        var amount = StatementText.ParseAmount(amountText, amountName, lineNumber);
        if (amount < 0) throw new StatementFormatException(lineNumber, $"{amountName} '{amountText}' is negative");
        return new StatementEntry(kind, transaction, amount, time)
        {
            MerchantOrderId = field("商户订单号"),
            RefundId = kind == StatementLineKind.Refund ? field("微信退款单号") : "",
        };
    }

    /// <summary>Detail and summary rows: every field starts with a backtick. Splitting on ",`" keeps a comma inside
    /// a field (a product name) in its field.</summary>
    private static List<string> BacktickedFields(string line, int lineNumber)
    {
        if (!line.StartsWith('`'))
            throw new StatementFormatException(lineNumber, "a detail row must start with a backtick (`)");
        return line[1..].Split(",`").ToList();
    }
}
