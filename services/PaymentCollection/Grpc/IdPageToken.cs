using System.Buffers.Text;
using System.Text;
using Medins.Platform.Hosting;

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

    public const string InvalidPageToken = "INVALID_PAGE_TOKEN";

    /// <summary>
    /// The id to continue after; null for the first page (no token). A token that is malformed or was returned for
    /// other filters is refused with INVALID_PAGE_TOKEN, as every other service's lists refuse it (AIP-158).
    /// </summary>
    public static Guid? After(string token, string filter)
    {
        if (token.Length == 0) return null;
        return Decode(token, filter) ?? throw RpcErrors.InvalidArgument(InvalidPageToken,
            "The page token is not a next_page_token of this list with these filters.",
            ("page_token", "must be a next_page_token returned for the same filters"));
    }

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
