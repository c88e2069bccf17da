using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>
/// The opaque AIP page token of ListVillageCashBalances: the last village returned and the day and division it was
/// returned for, so a token cannot be replayed against another query.
/// </summary>
internal static class VillageBalancePageToken
{
    private const string Version = "v1";

    public static string Encode(DateOnly date, string divisionCode, string lastVillage) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Version}\n{Day(date)}\n{divisionCode}\n{lastVillage}"));

    /// <summary>The village to continue after, or null when the token is malformed or was issued for another query.</summary>
    public static string? Decode(string token, DateOnly date, string divisionCode)
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
        return parts.Length == 4 && parts[0] == Version && parts[1] == Day(date)
               && parts[2] == divisionCode && parts[3].Length > 0
            ? parts[3]
            : null;
    }

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
