using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>
/// Alipay's daily business detail statement (业务明细, the CSV inside the <c>trade</c> bill archive), as Alipay
/// documents it: '#' comment lines first (#支付宝业务明细查询, #账号：[…], #起始日期：[yyyy年MM月dd日 HH:mm:ss]
/// 终止日期：[…], a dashed "业务明细列表" line), one header row (支付宝交易号,商户订单号,业务类型,…,完成时间,…,订单金额（元）,
/// …), one row per payment (业务类型 交易) or refund (退款, amounts negative), then '#' trailer lines (…业务明细列表结束…,
/// #交易合计：N笔，…, #退款合计：N笔，…, #导出时间：[…]). Alipay encodes it in GBK and ends identifiers with a tab so
/// spreadsheets keep them as text; both are accepted, as is UTF-8. Columns are found by name.
/// </summary>
public static partial class AlipayTradeStatement
{
    public static readonly IReadOnlyList<string> Columns =
    [
        "支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称", "操作员", "终端号", "对方账户",
        "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称",
        "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注",
    ];

    private const string Payment = "交易";
    private const string Refund = "退款";
    private const string ListEnd = "业务明细列表结束";
    private const string Amount = "订单金额（元）";

    /// <summary>Reads a statement; throws <see cref="StatementFormatException"/> naming the first bad line.</summary>
    public static ParsedStatement Read(byte[] content)
    {
        var lines = StatementText.Lines(StatementText.Decode(content));
        (DateOnly, int)? declaredDate = null;
        List<string>? header = null;
        Dictionary<string, int> column = [];
        var entries = new List<StatementLine>();
        var ended = false;
        var headerLine = 0;
        (int Count, int LineNumber)? declaredPayments = null, declaredRefunds = null;

        for (var at = 0; at < lines.Count; at++)
        {
            var text = lines[at];
            var lineNumber = at + 1;
            if (text.Trim().Length == 0) continue;
            if (text.StartsWith('#'))
            {
                if (StartDate().Match(text) is { Success: true } start)
                    declaredDate = (new DateOnly(int.Parse(start.Groups[1].Value, CultureInfo.InvariantCulture),
                        int.Parse(start.Groups[2].Value, CultureInfo.InvariantCulture),
                        int.Parse(start.Groups[3].Value, CultureInfo.InvariantCulture)), lineNumber);
                else if (text.Contains(ListEnd, StringComparison.Ordinal)) ended = true;
                else if (Total().Match(text) is { Success: true } total)
                {
                    var count = (int.Parse(total.Groups[2].Value, CultureInfo.InvariantCulture), lineNumber);
                    if (total.Groups[1].Value == Payment) declaredPayments = count;
                    else declaredRefunds = count;
                }
                continue;
            }
            if (ended) throw new StatementFormatException(lineNumber, $"a row follows the '{ListEnd}' line");
            var fields = StatementText.Fields(text)?.Select(f => f.Trim()).ToList()
                ?? throw new StatementFormatException(lineNumber, "a quoted field is not closed");
            if (header is null)
            {
                header = fields.Select(Canonical).ToList();
                headerLine = lineNumber;
                column = StatementText.ColumnIndex(header);
                foreach (var required in new[] { "支付宝交易号", "商户订单号", "业务类型", "完成时间", Amount })
                    if (!column.ContainsKey(required))
                        throw new StatementFormatException(lineNumber,
                            $"the header has no column {required}; expected Alipay's 业务明细 columns");
                continue;
            }
            if (fields.Count != header.Count)
                throw new StatementFormatException(lineNumber, $"has {fields.Count} fields, the header has {header.Count}");
            string Field(string name) => column.TryGetValue(name, out var i) ? fields[i] : "";
            entries.Add(new StatementLine(lineNumber, ReadEntry(Field, lineNumber)));
        }

        if (header is null) throw new StatementFormatException(0, "the statement has no header row (支付宝交易号,商户订单号,…)");
        if (!ended)
            throw new StatementFormatException(lines.Count, $"the statement ends before its '{ListEnd}' line: the download may be truncated");
        CheckCount(declaredPayments, entries.Count(e => e.Entry.Kind == StatementLineKind.Payment), "交易合计");
        CheckCount(declaredRefunds, entries.Count(e => e.Entry.Kind == StatementLineKind.Refund), "退款合计");
        return new ParsedStatement(StatementFormat.AlipayTradeStatement, entries) { DeclaredDate = declaredDate };
    }

    /// <summary>Writes the statement of <paramref name="date"/> in GBK (GB18030), as Alipay does for
    /// <paramref name="account"/>; exported at 09:00 the next morning unless <paramref name="exportedAt"/> says otherwise.</summary>
    public static byte[] Write(DateOnly date, IReadOnlyList<StatementEntry> entries, string account = "20880000000000000156",
        DateTimeOffset? exportedAt = null)
    {
        var text = new StringBuilder();
        text.Append("#支付宝业务明细查询\r\n");
        text.Append($"#账号：[{account}]\r\n");
        text.Append($"#起始日期：[{ChineseMidnight(date)}]   终止日期：[{ChineseMidnight(date.AddDays(1))}]\r\n");
        text.Append("#-----------------------------------------业务明细列表----------------------------------------\r\n");
        text.Append(string.Join(',', Columns)).Append("\r\n");
        long paid = 0, refunded = 0;
        foreach (var e in entries)
        {
            var payment = e.Kind == StatementLineKind.Payment;
            if (e.Kind == StatementLineKind.Reversal)
                throw new ArgumentException("Alipay's statement has no reversal rows.", nameof(entries));
            paid += payment ? e.AmountFen : 0;
            refunded += payment ? 0 : e.AmountFen;
            var amount = ClerkText.YuanNumber(payment ? e.AmountFen : -e.AmountFen);
            var time = StatementText.FormatTime(e.ChannelTime);
            string[] row =
            [
                e.ChannelTransactionId + "\t", e.MerchantOrderId + "\t", payment ? Payment : Refund, "城乡居民基本医疗保险缴费", time, time,
                "\t", "\t", "\t", "\t", "\t", amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00",
                e.RefundId + "\t", "0.00", "0.00", "",
            ];
            text.Append(string.Join(',', row.Select(StatementText.Quote))).Append("\r\n");
        }
        text.Append("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
        text.Append($"#交易合计：{entries.Count(e => e.Kind == StatementLineKind.Payment)}笔，商家实收共{ClerkText.YuanNumber(paid)}元，商家优惠共0.00元\r\n");
        text.Append($"#退款合计：{entries.Count(e => e.Kind == StatementLineKind.Refund)}笔，商家实收退款共{ClerkText.YuanNumber(-refunded)}元，商家优惠退款共0.00元\r\n");
        var exported = exportedAt?.ToOffset(TimeSpan.FromHours(8)).DateTime ?? date.AddDays(1).ToDateTime(new TimeOnly(9, 0));
        text.Append($"#导出时间：[{exported.ToString("yyyy年MM月dd日 HH:mm:ss", CultureInfo.InvariantCulture)}]\r\n");
        return StatementText.Gb18030.GetBytes(text.ToString());
    }

    private static StatementEntry ReadEntry(Func<string, string> field, int lineNumber)
    {
        var transaction = field("支付宝交易号");
        if (transaction.Length == 0) throw new StatementFormatException(lineNumber, "支付宝交易号 is empty");
        var timeText = field("完成时间").Length > 0 ? field("完成时间") : field("创建时间");
        var time = StatementText.ParseTime(timeText, "完成时间", lineNumber);
        var amountText = field(Amount);
        var amount = StatementText.ParseAmount(amountText, Amount, lineNumber);
        var kind = field("业务类型") switch
        {
            Payment when amount >= 0 => StatementLineKind.Payment,
            Payment => throw new StatementFormatException(lineNumber, $"{Amount} '{amountText}' of a payment is negative"),
            Refund => StatementLineKind.Refund,
            var other => throw new StatementFormatException(lineNumber, $"业务类型 '{other}' is not {Payment} or {Refund}"),
        };
        return new StatementEntry(kind, transaction, Math.Abs(amount), time)
        {
            MerchantOrderId = field("商户订单号"),
            RefundId = kind == StatementLineKind.Refund ? field("退款批次号/请求号") : "",
        };
    }

    private static void CheckCount((int Count, int LineNumber)? declared, int actual, string label)
    {
        if (declared is { } d && d.Count != actual)
            throw new StatementFormatException(d.LineNumber, $"{label} says {d.Count}笔 but the statement lists {actual}");
    }

    // Half-width brackets in a header are read as the full-width ones Alipay uses.
    private static string Canonical(string name) => name.Replace('(', '（').Replace(')', '）');

    private static string ChineseMidnight(DateOnly date) => date.ToString("yyyy年MM月dd日", CultureInfo.InvariantCulture) + " 00:00:00";

    [GeneratedRegex(@"起始日期[：:]\[(\d{4})年(\d{2})月(\d{2})日")]
    private static partial Regex StartDate();

    [GeneratedRegex(@"^#(交易|退款)合计[：:](\d+)笔")]
    private static partial Regex Total();
}
