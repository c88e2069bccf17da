using System.Text;
using System.Text.Json;
using Grpc.Core;
using Medins.Platform.Hosting;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>
/// AIP-158 paging: page_size 0 means the default, larger than the maximum is capped, negative is refused. The
/// page token is opaque to clients: base64 of the list's name, its filter and the last key returned, so a token
/// cannot be replayed against another list or filter.
/// </summary>
internal static class PageTokens
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static int PageSize(int requested) => requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    public static string Encode(string list, string filter, params string[] lastKey) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes<string[]>([list, filter, .. lastKey]));

    /// <summary>The last key of the previous page; empty for the first page. Throws INVALID_PAGE_TOKEN.</summary>
    public static string[] Decode(string token, string list, string filter, int keyLength)
    {
        if (token.Length == 0) return [];
        string[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<string[]>(Convert.FromBase64String(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or DecoderFallbackException)
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
