using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Medins.Platform.Hosting;

namespace Medins.QuotaTracking.Grpc;

/// <summary>
/// AIP-158 paging: the token is opaque to clients (base64url JSON) and carries the last key returned plus the
/// filter it was issued for, so a token replayed with a different filter is refused instead of skipping rows.
/// </summary>
internal sealed record VillagePageToken(
    [property: JsonPropertyName("y")] int CoverageYear,
    [property: JsonPropertyName("after")] string AfterVillageCode)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    /// <summary>The first page for an empty token; INVALID_ARGUMENT for a token this filter did not issue.</summary>
    public static VillagePageToken Decode(string token, int coverageYear)
    {
        if (string.IsNullOrEmpty(token)) return new VillagePageToken(coverageYear, "");
        VillagePageToken? decoded = null;
        try
        {
            decoded = JsonSerializer.Deserialize<VillagePageToken>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Falls through to the refusal below.
        }
        if (decoded is null || decoded.AfterVillageCode is null || decoded.CoverageYear != coverageYear)
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN",
                "The page token is not one this listing issued; repeat the request's other fields unchanged.",
                ("page_token", "was not issued for this coverage_year"));
        return decoded;
    }

    /// <summary>0 means the default; larger than the maximum is lowered to it (AIP-158).</summary>
    public static int PageSize(int requested) => requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);
}

/// <summary>
/// AIP-158 paging for the other lists: base64url JSON of the list's name, its filter and the last key returned, so a
/// token cannot be replayed against another list or filter.
/// </summary>
internal static class KeysetToken
{
    public static string Encode(string list, string filter, params string[] lastKey) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes<string[]>([list, filter, .. lastKey]));

    /// <summary>The last key of the previous page; empty for the first page. Throws INVALID_PAGE_TOKEN.</summary>
    public static string[] Decode(string token, string list, string filter, int keyLength)
    {
        if (token.Length == 0) return [];
        string[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            parts = null;
        }
        if (parts is null || parts.Length != 2 + keyLength || parts[0] != list || parts.Any(p => p is null))
            throw Invalid("is not a page token of this list");
        if (parts[1] != filter)
            throw Invalid("was issued for other filter values: repeat the first request's filters");
        return parts[2..];
    }

    private static RuleViolation Invalid(string description) =>
        RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token " + description + ".", ("page_token", description));
}
