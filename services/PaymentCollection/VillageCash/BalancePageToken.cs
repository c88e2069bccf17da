using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>
/// The opaque AIP page tokens of the cash balance lists: the list's version tag, the day and division they were
/// returned for (so a token cannot be replayed against another query or list), and the last key returned.
/// </summary>
internal static class BalancePageToken
{
    /// <summary>ListVillageCashBalances: the key is the last village.</summary>
    public const string Villages = "v1";
    /// <summary>ListAgentCashBalances: the key is the last (village, agent).</summary>
    public const string Agents = "a1";

    public static string Encode(string list, DateOnly date, string divisionCode, params string[] lastKey) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Join('\n', new[] { list, Day(date), divisionCode }.Concat(lastKey))));

    /// <summary>The key to continue after, or null when the token is malformed or was issued for another query.</summary>
    public static string[]? Decode(string list, string token, DateOnly date, string divisionCode, int keyParts)
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
        var parts = text.Split('\n');
        return parts.Length == 3 + keyParts && parts[0] == list && parts[1] == Day(date) && parts[2] == divisionCode
               && parts.Skip(3).All(p => p.Length > 0)
            ? parts[3..]
            : null;
    }

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
