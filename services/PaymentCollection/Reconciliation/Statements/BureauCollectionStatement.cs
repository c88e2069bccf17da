using System.Globalization;
using System.Text;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>
/// The platform's own daily collection statement, which every channel without a statement format of its own sends
/// (the tax e-bureau, 渝快办, bank counters and terminals, village POS machines, schools, village cash remittances).
/// UTF-8 CSV, one physical line per record:
/// <code>
/// #medins-collection-statement,1
/// #channel,tax_e_bureau
/// #date,2023-11-20
/// collection_time,transaction_id,order_id,kind,amount_yuan,refund_id
/// 2023-11-20 10:01:02,TAX2023112000000001,0190e6a1-…,payment,380.00,
/// 2023-11-20 16:40:00,TAX2023112000000001,0190e6a1-…,refund,380.00,TAXR2023112000000001
/// #total,2,380.00,380.00
/// </code>
/// collection_time is Beijing time on the statement's day; transaction_id is the channel's own number for the money
/// (the one its confirmation sent); order_id is the platform's order id when the channel knows it, else empty; kind
/// is <c>payment</c> or <c>refund</c> (a refund names its payment's transaction_id and its own refund_id);
/// amount_yuan is positive with two decimals. The closing <c>#total</c> line gives the number of records, the sum of
/// payments and the sum of refunds, so a truncated file is refused.
/// </summary>
public static class BureauCollectionStatement
{
    public const string Magic = "#medins-collection-statement";
    public const int Version = 1;
    public static readonly IReadOnlyList<string> Columns = ["collection_time", "transaction_id", "order_id", "kind", "amount_yuan", "refund_id"];

    public static ParsedStatement Read(byte[] content)
    {
        var lines = StatementText.Lines(StatementText.Decode(content));
        string? channel = null;
        (DateOnly, int)? date = null;
        var channelLine = 0;
        List<string>? header = null;
        Dictionary<string, int> column = [];
        var entries = new List<StatementLine>();
        (int Count, long Payments, long Refunds, int LineNumber)? total = null;
        var sawMagic = false;

        for (var at = 0; at < lines.Count; at++)
        {
            var lineNumber = at + 1;
            var text = lines[at];
            if (text.Trim().Length == 0) continue;
            var fields = StatementText.Fields(text)?.Select(f => f.Trim()).ToList()
                ?? throw new StatementFormatException(lineNumber, "a quoted field is not closed");
            if (total is not null) throw new StatementFormatException(lineNumber, "nothing may follow the #total line");
            if (!sawMagic)
            {
                if (fields is not [Magic, var version])
                    throw new StatementFormatException(lineNumber, $"a collection statement starts with '{Magic},{Version}'");
                if (version != Version.ToString(CultureInfo.InvariantCulture))
                    throw new StatementFormatException(lineNumber, $"version {version} is not supported (expected {Version})");
                sawMagic = true;
                continue;
            }
            switch (fields[0])
            {
                case "#channel" when fields.Count == 2 && header is null:
                    (channel, channelLine) = (fields[1], lineNumber);
                    continue;
                case "#date" when fields.Count == 2 && header is null:
                    date = DateOnly.TryParseExact(fields[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                        ? (d, lineNumber)
                        : throw new StatementFormatException(lineNumber, $"#date '{fields[1]}' is not a date (yyyy-MM-dd)");
                    continue;
                case "#total" when fields.Count == 4 && header is not null:
                    total = (int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                            ? count
                            : throw new StatementFormatException(lineNumber, $"#total count '{fields[1]}' is not a number"),
                        StatementText.ParseAmount(fields[2], "#total payments", lineNumber),
                        StatementText.ParseAmount(fields[3], "#total refunds", lineNumber), lineNumber);
                    continue;
            }
            if (fields[0].StartsWith('#'))
                throw new StatementFormatException(lineNumber, $"'{fields[0]}' is not a line of a collection statement here");
            if (header is null)
            {
                if (channel is null || date is null)
                    throw new StatementFormatException(lineNumber, "#channel and #date must come before the header");
                header = fields;
                column = StatementText.ColumnIndex(header);
                foreach (var required in Columns)
                    if (!column.ContainsKey(required))
                        throw new StatementFormatException(lineNumber, $"the header has no column {required}");
                continue;
            }
            if (fields.Count != header.Count)
                throw new StatementFormatException(lineNumber, $"has {fields.Count} fields, the header has {header.Count}");
            string Field(string name) => fields[column[name]];
            entries.Add(new StatementLine(lineNumber, ReadEntry(Field, lineNumber)));
        }

        if (!sawMagic) throw new StatementFormatException(0, "the statement is empty");
        if (total is not { } t)
            throw new StatementFormatException(lines.Count, "the statement ends without its #total line: it may be truncated");
        var payments = entries.Where(e => e.Entry.Kind == StatementLineKind.Payment).Sum(e => e.Entry.AmountFen);
        var refunds = entries.Where(e => e.Entry.Kind == StatementLineKind.Refund).Sum(e => e.Entry.AmountFen);
        if (t.Count != entries.Count || t.Payments != payments || t.Refunds != refunds)
            throw new StatementFormatException(t.LineNumber,
                $"#total says {t.Count} records, {ClerkText.YuanNumber(t.Payments)} paid and {ClerkText.YuanNumber(t.Refunds)} refunded, but the " +
                $"records are {entries.Count}, {ClerkText.YuanNumber(payments)} and {ClerkText.YuanNumber(refunds)}");
        return new ParsedStatement(StatementFormat.BureauCollectionStatement, entries)
        {
            DeclaredDate = date,
            DeclaredChannel = (channel!, channelLine),
        };
    }

    public static byte[] Write(string channel, DateOnly date, IReadOnlyList<StatementEntry> entries)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Magic},{Version}\n#channel,{channel}\n#date,{date:yyyy-MM-dd}\n");
        text.Append(string.Join(',', Columns)).Append('\n');
        foreach (var e in entries)
        {
            if (e.Kind == StatementLineKind.Reversal)
                throw new ArgumentException("A collection statement records a reversal as a refund.", nameof(entries));
            string[] row =
            [
                StatementText.FormatTime(e.ChannelTime), e.ChannelTransactionId, e.MerchantOrderId,
                e.Kind == StatementLineKind.Payment ? "payment" : "refund", ClerkText.YuanNumber(e.AmountFen), e.RefundId,
            ];
            text.Append(string.Join(',', row.Select(StatementText.Quote))).Append('\n');
        }
        var payments = entries.Where(e => e.Kind == StatementLineKind.Payment).Sum(e => e.AmountFen);
        var refunds = entries.Where(e => e.Kind == StatementLineKind.Refund).Sum(e => e.AmountFen);
        text.Append(CultureInfo.InvariantCulture, $"#total,{entries.Count},{ClerkText.YuanNumber(payments)},{ClerkText.YuanNumber(refunds)}\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static StatementEntry ReadEntry(Func<string, string> field, int lineNumber)
    {
        var time = StatementText.ParseTime(field("collection_time"), "collection_time", lineNumber);
        var transaction = field("transaction_id");
        if (transaction.Length == 0) throw new StatementFormatException(lineNumber, "transaction_id is empty");
        var kind = field("kind") switch
        {
            "payment" => StatementLineKind.Payment,
            "refund" => StatementLineKind.Refund,
            var other => throw new StatementFormatException(lineNumber, $"kind '{other}' is not payment or refund"),
        };
        var amount = StatementText.ParseAmount(field("amount_yuan"), "amount_yuan", lineNumber);
        if (amount <= 0) throw new StatementFormatException(lineNumber, $"amount_yuan '{field("amount_yuan")}' must be positive");
        var refundId = field("refund_id");
        if (kind == StatementLineKind.Refund && refundId.Length == 0)
            throw new StatementFormatException(lineNumber, "a refund needs its refund_id");
        return new StatementEntry(kind, transaction, amount, time)
        {
            MerchantOrderId = field("order_id"),
            RefundId = kind == StatementLineKind.Refund ? refundId : "",
        };
    }
}
