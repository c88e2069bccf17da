using System.Text;
using System.Text.Json;
using Medins.Platform.Hosting;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>
/// AIP-158 paging of ListPolicies: page_size 0 means the default, larger than the maximum is capped. The token is
/// opaque: base64 of the filter it was issued under and the last key returned, so it cannot be replayed under another filter.
/// </summary>
internal static class PolicyPageToken
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    private const string Kind = "policies";

    public static int PageSize(int requested) => requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    public static string Encode(string filter, string tenantId, int coverageYear, int version) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes<string[]>(
            [Kind, filter, tenantId, coverageYear.ToString(), version.ToString()]));

    /// <summary>The key to continue after; the smallest key for the first page. Throws INVALID_PAGE_TOKEN.</summary>
    public static (string TenantId, int CoverageYear, int Version) Decode(string token, string filter)
    {
        if (token.Length == 0) return ("", 0, 0);
        string[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<string[]>(Convert.FromBase64String(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or DecoderFallbackException)
        {
            parts = null;
        }
        if (parts is not { Length: 5 } || parts[0] != Kind || parts.Any(p => p is null)
            || !int.TryParse(parts[3], out var year) || !int.TryParse(parts[4], out var version))
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token is not a page token of this list.",
                ("page_token", "is not a page token of this list"));
        if (parts[1] != filter)
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token was issued for other filter values.",
                ("page_token", "was issued for other filter values: repeat the first request's filters"));
        return (parts[2], year, version);
    }
}
