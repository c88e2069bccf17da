namespace Medins.PaymentCollection.Reconciliation.Statements;

/// <summary>
/// Statement amounts in yuan with at most two decimals, to and from fen, in integer arithmetic: "380.00" is
/// exactly 38000 fen, and a text that is not exact (a third decimal, an exponent, a thousands separator) is refused.
/// </summary>
public static class Yuan
{
    // 13 integer digits keep every amount far inside long and far above any contribution.
    private const int MaxIntegerDigits = 13;

    public static bool TryParseFen(ReadOnlySpan<char> text, out long fen)
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

    /// <summary>"380.00", "-35.80", "0.01".</summary>
    public static string Format(long fen) => Medins.Platform.Hosting.ClerkText.YuanNumber(fen);
}
