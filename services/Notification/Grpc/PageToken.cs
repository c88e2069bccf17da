using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Medins.Platform.Hosting;

namespace Medins.Notification.Grpc;

/// <summary>
/// AIP-158 paging: the token is opaque to clients (base64url JSON) and carries the last key returned (newest first:
/// creation time, then message id) plus the filter it was issued for, so a token replayed with another filter is refused.
/// </summary>
internal sealed record MessagePageToken(
    [property: JsonPropertyName("r")] string Filter,
    [property: JsonPropertyName("t")] long CreatedUnixMicros,
    [property: JsonPropertyName("id")] Guid MessageId)
{
    public const int DefaultPageSize = PageTokens.DefaultPageSize;
    public const int MaxPageSize = PageTokens.MaxPageSize;

    public DateTimeOffset CreatedAt => DateTimeOffset.UnixEpoch.AddTicks(CreatedUnixMicros * TimeSpan.TicksPerMicrosecond);

    public static MessagePageToken After(string filter, DateTimeOffset createdAt, Guid messageId) =>
        new(filter, (createdAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond, messageId);

    public string Encode() => PageTokens.Encode(this);

    /// <summary>Null for an empty token (the first page); INVALID_ARGUMENT for a token this filter did not issue.</summary>
    public static MessagePageToken? Decode(string token, string filter) =>
        PageTokens.Decode<MessagePageToken>(token, t => t.Filter == filter && t.MessageId != Guid.Empty);

    public static int PageSize(int requested) => PageTokens.PageSize(requested);
}

/// <summary>
/// The token of a list ordered by a text key (templates by key, channel and version; officials by id): the last key
/// returned and the filter it was issued for.
/// </summary>
internal sealed record KeyPageToken(
    [property: JsonPropertyName("r")] string Filter,
    [property: JsonPropertyName("k")] string[] Key)
{
    public string Encode() => PageTokens.Encode(this);

    /// <summary>Null for an empty token (the first page); INVALID_ARGUMENT for a token this filter did not issue.</summary>
    public static KeyPageToken? Decode(string token, string filter, int keyLength) =>
        PageTokens.Decode<KeyPageToken>(token, t => t.Filter == filter && t.Key is { } key && key.Length == keyLength
            && key.All(part => part is not null));
}

/// <summary>What every notification page token shares: encoding, the refusal of foreign tokens, page sizes.</summary>
internal static class PageTokens
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>0 means the default; larger than the maximum is lowered to it (AIP-158).</summary>
    public static int PageSize(int requested) => requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    public static string Encode<T>(T token) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(token));

    public static T? Decode<T>(string token, Func<T, bool> issuedForThisList) where T : class
    {
        if (string.IsNullOrEmpty(token)) return null;
        T? decoded = null;
        try
        {
            decoded = JsonSerializer.Deserialize<T>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            // Falls through to the refusal below.
        }
        if (decoded is null || !issuedForThisList(decoded))
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN",
                "The page token is not one this listing issued; repeat the request's other fields unchanged.",
                ("page_token", "was not issued for these filters"));
        return decoded;
    }
}
