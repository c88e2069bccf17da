using System.Diagnostics.CodeAnalysis;

namespace Medins.PaymentCollection.Channels;

/// <summary>Amounts written in yuan with at most two decimals (Alipay's <c>total_amount</c>), read and written in
/// integer fen without ever passing through floating point.</summary>
public static class Yuan
{
    // Far above any contribution, far below long overflow: 100 billion yuan.
    private const long MaxYuan = 100_000_000_000;

    /// <summary>"380.00" → 38000. Accepts "380", "380.5", "380.50"; refuses signs, exponents, spaces, leading
    /// zeros ("0380"), a bare or trailing point, and a third decimal.</summary>
    public static bool TryParseFen(string? text, out long fen)
    {
        fen = 0;
        if (string.IsNullOrEmpty(text)) return false;
        var point = text.IndexOf('.');
        var whole = point < 0 ? text : text[..point];
        var decimals = point < 0 ? "" : text[(point + 1)..];
        if (whole.Length == 0 || (whole.Length > 1 && whole[0] == '0') || !whole.All(char.IsAsciiDigit)) return false;
        if (point >= 0 && (decimals.Length is 0 or > 2 || !decimals.All(char.IsAsciiDigit))) return false;
        if (whole.Length > 12) return false;
        var yuan = long.Parse(whole, System.Globalization.CultureInfo.InvariantCulture);
        if (yuan > MaxYuan) return false;
        var cents = decimals.Length switch
        {
            0 => 0,
            1 => (decimals[0] - '0') * 10,
            _ => (decimals[0] - '0') * 10 + (decimals[1] - '0'),
        };
        fen = yuan * 100 + cents;
        return true;
    }

    /// <summary>38000 → "380.00".</summary>
    public static string FromFen(long fen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fen);
        return Medins.Platform.Hosting.ClerkText.YuanNumber(fen);
    }
}

/// <summary>
/// The order number a provider is given: the order id's 32 hex digits, which fits every channel (WeChat Pay allows
/// 6–32 letters and digits; Alipay 64).
/// </summary>
public static class OutTradeNo
{
    public static string From(Guid orderId) => orderId.ToString("N");

    public static bool TryParse([NotNullWhen(true)] string? outTradeNo, out Guid orderId)
    {
        orderId = Guid.Empty;
        return outTradeNo is { Length: 32 } && Guid.TryParseExact(outTradeNo, "N", out orderId);
    }
}
