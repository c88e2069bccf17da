using System.Buffers.Text;
using System.Text;

namespace Medins.PaymentCollection.Grpc;

/// <summary>
/// The opaque AIP page token of ListPaymentOrders: the last order id returned and the filter it was returned
/// under, so a token cannot be replayed against another filter.
/// </summary>
internal static class OrderPageToken
{
    private const string Version = "o1";

    public static string Encode(string residentFilter, Guid lastOrderId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Version}\n{lastOrderId:N}\n{residentFilter}"));

    /// <summary>The order to continue after, or null when the token is malformed or was issued for another filter.</summary>
    public static Guid? Decode(string token, string residentFilter)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return null;
        }
        var parts = text.Split('\n', 3);
        if (parts.Length != 3 || parts[0] != Version || parts[2] != residentFilter) return null;
        return Guid.TryParseExact(parts[1], "N", out var lastOrderId) ? lastOrderId : null;
    }
}
