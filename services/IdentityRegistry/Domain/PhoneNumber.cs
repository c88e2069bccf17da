using System.Text.RegularExpressions;

namespace Medins.IdentityRegistry.Domain;

/// <summary>A mainland China mobile number (11 digits starting 13–19), used for SMS notices.</summary>
public static partial class PhoneNumber
{
    [GeneratedRegex(@"^1[3-9][0-9]{9}$")]
    private static partial Regex MobilePattern();

    /// <summary>The normalised number (spaces and dashes removed), or null when it is not a mobile number.</summary>
    public static string? Normalise(string? input)
    {
        var digits = (input ?? "").Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return MobilePattern().IsMatch(digits) ? digits : null;
    }

    /// <summary>First three and last four digits: <c>138****1234</c>.</summary>
    public static string Mask(string phone) =>
        phone.Length > 7 ? string.Concat(phone.AsSpan(0, 3), new string('*', phone.Length - 7), phone.AsSpan(phone.Length - 4)) : new string('*', phone.Length);
}
