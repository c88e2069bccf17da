namespace Medins.Platform.Testing;

/// <summary>Makes valid GB 11643 citizen ID numbers for tests, independently of the registry's own validator.</summary>
public static class NationalIds
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckChars = "10X98765432";

    /// <param name="region">Six-digit administrative code, e.g. "500118".</param>
    /// <param name="sequence">Three-digit order code; odd for men, even for women.</param>
    public static string Make(string region, DateOnly birthDate, int sequence)
    {
        var body = $"{region}{birthDate:yyyyMMdd}{sequence % 1000:D3}";
        var sum = body.Select((c, i) => (c - '0') * Weights[i]).Sum();
        return body + CheckChars[sum % 11];
    }
}
