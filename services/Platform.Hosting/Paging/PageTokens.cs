using System.Buffers.Text;
using System.Text.Json;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Paging;

/// <summary>
/// AIP-158 paging for every list of the platform. <c>page_size</c> 0 means the default, larger than the maximum is
/// lowered to it, negative is refused (<see cref="CheckPageSize"/>). The page token is opaque to clients: base64url
/// JSON of the list's name, the filter it was issued under and the last key returned (keyset paging), so a token
/// cannot be replayed against another list or with other filters, and a forged one is refused with
/// INVALID_PAGE_TOKEN instead of skipping rows.
/// </summary>
public static class PageTokens
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    public static readonly string InvalidPageToken = ErrorReasons.Code(PlatformReason.InvalidPageToken);

    /// <summary>The rows to read for a page: 0 means the default, larger than the maximum is lowered to it.</summary>
    public static int PageSize(int requested) => requested <= 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    /// <summary>Refuses a negative page size, with the other problems of the request.</summary>
    public static RequestValidator CheckPageSize(this RequestValidator validator, int requested) =>
        validator.Check(requested >= 0, "page_size", "must not be negative");

    /// <summary>The token of the page after the row whose key is <paramref name="lastKey"/>.</summary>
    public static string Encode(string list, string filter, params string[] lastKey) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes<string[]>([list, filter, .. lastKey]));

    /// <summary>
    /// The last key of the previous page (<paramref name="keyLength"/> parts); empty for the first page (no token).
    /// Throws INVALID_PAGE_TOKEN for a token of another list, with other filters, or not issued here at all.
    /// </summary>
    public static string[] Decode(string token, string list, string filter, int keyLength)
    {
        if (string.IsNullOrEmpty(token)) return [];
        string[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            parts = null;
        }
        if (parts is null || parts.Length != 2 + keyLength || parts[0] != list || parts.Any(p => p is null))
            throw Invalid("is not a page token of this list");
        if (parts[1] != filter)
            throw Invalid("was issued for other filter values: repeat the first request's filters");
        return parts[2..];
    }

    /// <summary>The refusal of a token whose key does not parse as the list's key (a tampered token).</summary>
    public static RuleViolation Invalid(string description = "is not a page token of this list") =>
        new(InvalidPageToken, RefusalStatus.InvalidArgument, "The page token " + description + ".",
            fields: [new FieldProblem("page_token", description)]);
}
