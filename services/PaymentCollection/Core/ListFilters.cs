using System.Text.RegularExpressions;
using Medins.Platform.Hosting.Paging;

namespace Medins.PaymentCollection.Core;

/// <summary>The shapes of the list filters' values, checked before anything is read.</summary>
internal static partial class ListFilters
{
    /// <summary>A county (6 digits), township (9) or village (12) code; codes nest.</summary>
    public static bool IsDivisionCode(string code) => DivisionCode().IsMatch(code);

    /// <summary>A receipt number as the service gives them out: the coverage year, then a 10-digit serial.</summary>
    public static bool IsReceiptNumber(string number) => ReceiptNumber().IsMatch(number);

    /// <summary>
    /// The id to continue after, from the key of a list keyed by time-ordered ids (orders, refunds, reviews,
    /// discrepancies; written as 32 hex digits): null for the first page, INVALID_PAGE_TOKEN when it does not parse.
    /// </summary>
    public static Guid? AfterId(string[] lastKey) => lastKey switch
    {
        [] => null,
        [var id] when Guid.TryParseExact(id, "N", out var lastId) => lastId,
        _ => throw PageTokens.Invalid(),
    };

    [GeneratedRegex(@"\A([0-9]{6}|[0-9]{9}|[0-9]{12})\z", RegexOptions.CultureInvariant)]
    private static partial Regex DivisionCode();

    [GeneratedRegex(@"\A[0-9]{14}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReceiptNumber();
}
