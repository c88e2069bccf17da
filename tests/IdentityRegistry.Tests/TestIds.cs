namespace Medins.IdentityRegistry.Tests;

/// <summary>
/// Builds valid GB 11643-1999 numbers for tests, computing the check character here by the standard's own
/// definition (ISO 7064 MOD 11-2) rather than through the code under test.
/// </summary>
internal static class TestIds
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    public static string Make(string region, DateOnly birthDate, int sequence)
    {
        var body = $"{region}{birthDate:yyyyMMdd}{sequence:D3}";
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += (body[i] - '0') * Weights[i];
        return body + "10X98765432"[sum % 11];
    }

    /// <summary>A valid number whose check character is <paramref name="check"/>.</summary>
    public static string MakeEndingIn(char check, string region, DateOnly birthDate) =>
        Enumerable.Range(1, 999).Select(s => Make(region, birthDate, s)).First(id => id[^1] == check);

    /// <summary>The same number with its check character replaced by a wrong one.</summary>
    public static string WithWrongCheck(string id) => id[..17] + (id[^1] == '0' ? '1' : '0');
}
