using System.Buffers.Text;
using System.Text;

namespace Medins.PaymentCollection.Grpc;

/// <summary>
/// The opaque AIP page token of payment-collection's lists keyed by time-ordered ids (orders, refunds, reviews,
/// discrepancies): the last id returned and the filter it was returned under, so a token cannot be replayed against
/// another filter.
/// </summary>
internal static class IdPageToken
{
    private const string Version = "o1";

    public static string Encode(string filter, Guid lastId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Version}\n{lastId:N}\n{filter}"));

    /// <summary>The id to continue after, or null when the token is malformed or was issued for another filter.</summary>
    public static Guid? Decode(string token, string filter)
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
        if (parts.Length != 3 || parts[0] != Version || parts[2] != filter) return null;
        return Guid.TryParseExact(parts[1], "N", out var lastId) ? lastId : null;
    }
}
