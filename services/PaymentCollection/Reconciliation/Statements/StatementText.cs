using System.Globalization;
using System.Text;

namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>What the three readers share: decoding, physical lines, CSV fields and Beijing times.</summary>
internal static class StatementText
{
    public const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static StatementText() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Alipay's files are GBK, which GB18030 includes; the others are UTF-8 (a byte-order mark is dropped).</summary>
    public static Encoding Gb18030 => Encoding.GetEncoding("GB18030");

    /// <summary>UTF-8 when the bytes are valid UTF-8, GB18030 otherwise; a leading byte-order mark is dropped.</summary>
    public static string Decode(byte[] content)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(content);
        }
        catch (DecoderFallbackException)
        {
            text = Gb18030.GetString(content);
        }
        return text.TrimStart('\uFEFF');
    }

    /// <summary>Physical lines without their line ends, numbered from 1; a final empty line is not a line.</summary>
    public static List<string> Lines(string text)
    {
        var lines = text.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    /// <summary>The comma-separated fields of one line (RFC 4180 quotes allowed within the line), or null when a
    /// quote is left open.</summary>
    public static List<string>? Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        if (quoted) return null;
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>A field as a CSV writer must put it: quoted when it holds a comma, a quote or a line end.</summary>
    public static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\r', '\n']) < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";

    public static DateTimeOffset? ParseTime(string text) =>
        DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? new DateTimeOffset(local, Beijing)
            : null;

    public static string FormatTime(DateTimeOffset instant) =>
        instant.ToOffset(Beijing).ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Column positions by name (the first, if a name repeats).</summary>
    public static Dictionary<string, int> ColumnIndex(IReadOnlyList<string> header)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++) index.TryAdd(header[i], i);
        return index;
    }

    // 13 integer digits keep every amount far inside long and far above any contribution.
    private const int MaxIntegerDigits = 13;

    /// <summary>
    /// A statement amount in yuan with at most two decimals, to fen in integer arithmetic: "380.00" is exactly 38000
    /// fen, "-35.80" is -3580 (statements list reversals with a sign), and a text that is not exact (a third decimal, an
    /// exponent, a thousands separator) is refused. Statements take their own syntax; a provider's API amounts are read
    /// by the channel adapters' stricter <c>Channels.Yuan</c>. Amounts are written by <c>ClerkText.YuanNumber</c>.
    /// </summary>
    public static bool TryParseYuan(ReadOnlySpan<char> text, out long fen)
    {
        fen = 0;
        var negative = text.Length > 0 && text[0] == '-';
        if (negative || (text.Length > 0 && text[0] == '+')) text = text[1..];
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? [] : text[(dot + 1)..];
        if (whole.Length is 0 or > MaxIntegerDigits || (dot >= 0 && fraction.Length is 0 or > 2)) return false;
        long value = 0;
        foreach (var c in whole)
        {
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        for (var i = 0; i < 2; i++)
        {
            var c = i < fraction.Length ? fraction[i] : '0';
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        fen = negative ? -value : value;
        return true;
    }

    public static long ParseAmount(string text, string column, int lineNumber)
    {
        if (!TryParseYuan(text, out var fen))
            throw new StatementFormatException(lineNumber, $"{column} '{text}' is not an amount in yuan with at most two decimals");
        return fen;
    }

    public static DateTimeOffset ParseTime(string text, string column, int lineNumber) =>
        ParseTime(text) ?? throw new StatementFormatException(lineNumber, $"{column} '{text}' is not a time ({TimeFormat})");
}
