using System.Globalization;

namespace Medins.IdentityRegistry.Domain;

public enum Sex
{
    Male,
    Female,
}

/// <summary>Why a text is not a citizen identity number.</summary>
public enum NationalIdError
{
    None,
    Missing,
    WrongLength,
    InvalidCharacter,
    UnknownProvince,
    InvalidBirthDate,
    BirthDateInFuture,
    CheckDigitMismatch,
}

/// <summary>
/// A GB 11643-1999 citizen identity number: 6-digit region, 8-digit birth date, 3-digit sequence (odd for men),
/// and an ISO 7064 MOD 11-2 check character. <see cref="ToString"/> is masked so the number cannot reach a log
/// by accident; only <see cref="Value"/> gives the full number.
/// </summary>
public readonly record struct NationalId
{
    public const int Length = 18;
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";

    // GB/T 2260 province-level codes; the first two digits of every region code are one of these.
    private static readonly HashSet<int> ProvinceCodes =
    [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
    ];

    // Nobody alive was born earlier; older dates are typing errors.
    private static readonly DateOnly EarliestBirthDate = new(1900, 1, 1);

    private NationalId(string value, DateOnly birthDate, Sex sex)
    {
        Value = value;
        BirthDate = birthDate;
        Sex = sex;
    }

    /// <summary>The full, normalised number (upper-case X). Never log it.</summary>
    public string Value { get; }
    public DateOnly BirthDate { get; }
    public Sex Sex { get; }

    /// <summary>First four and last four characters: <c>5001**********123X</c>.</summary>
    public string Mask() => MaskText(Value);

    public override string ToString() => Mask();

    /// <summary>Masks an already validated number the way <see cref="Mask"/> does.</summary>
    public static string MaskText(string value) =>
        value.Length == Length ? string.Concat(value.AsSpan(0, 4), new string('*', Length - 8), value.AsSpan(Length - 4)) : new string('*', value.Length);

    /// <summary>Validates and normalises <paramref name="input"/>; <paramref name="today"/> bounds the birth date.</summary>
    public static NationalIdError TryParse(string? input, DateOnly today, out NationalId id)
    {
        id = default;
        var text = input?.Trim().ToUpperInvariant() ?? "";
        if (text.Length == 0) return NationalIdError.Missing;
        if (text.Length != Length) return NationalIdError.WrongLength;
        for (var i = 0; i < Length - 1; i++)
            if (!char.IsAsciiDigit(text[i])) return NationalIdError.InvalidCharacter;
        if (!char.IsAsciiDigit(text[^1]) && text[^1] != 'X') return NationalIdError.InvalidCharacter;

        if (!ProvinceCodes.Contains(int.Parse(text.AsSpan(0, 2), CultureInfo.InvariantCulture)))
            return NationalIdError.UnknownProvince;
        if (!DateOnly.TryParseExact(text.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate)
            || birthDate < EarliestBirthDate)
            return NationalIdError.InvalidBirthDate;
        if (birthDate > today) return NationalIdError.BirthDateInFuture;
        if (CheckCharacter(text.AsSpan(0, Length - 1)) != text[^1]) return NationalIdError.CheckDigitMismatch;

        var sex = (text[16] - '0') % 2 == 1 ? Sex.Male : Sex.Female;
        id = new NationalId(text, birthDate, sex);
        return NationalIdError.None;
    }

    /// <summary>ISO 7064 MOD 11-2 over the first 17 digits.</summary>
    public static char CheckCharacter(ReadOnlySpan<char> first17Digits)
    {
        if (first17Digits.Length != Length - 1) throw new ArgumentException("Exactly 17 digits are needed.", nameof(first17Digits));
        var sum = 0;
        for (var i = 0; i < Weights.Length; i++) sum += (first17Digits[i] - '0') * Weights[i];
        return CheckCharacters[sum % 11];
    }

    /// <summary>A description for a field violation; it never repeats the number itself.</summary>
    public static string Describe(NationalIdError error) => error switch
    {
        NationalIdError.Missing => "is required",
        NationalIdError.WrongLength => "must be 18 characters (15-digit first-generation numbers are no longer accepted)",
        NationalIdError.InvalidCharacter => "must be 17 digits followed by a digit or X",
        NationalIdError.UnknownProvince => "does not start with a valid province code",
        NationalIdError.InvalidBirthDate => "does not contain a valid birth date",
        NationalIdError.BirthDateInFuture => "contains a birth date in the future",
        NationalIdError.CheckDigitMismatch => "has a wrong check character",
        _ => "is invalid",
    };
}
