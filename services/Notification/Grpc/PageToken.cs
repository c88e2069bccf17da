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
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public DateTimeOffset CreatedAt => DateTimeOffset.UnixEpoch.AddTicks(CreatedUnixMicros * TimeSpan.TicksPerMicrosecond);

    public static MessagePageToken After(string filter, DateTimeOffset createdAt, Guid messageId) =>
        new(filter, (createdAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond, messageId);

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    /// <summary>Null for an empty token (the first page); INVALID_ARGUMENT for a token this filter did not issue.</summary>
    public static MessagePageToken? Decode(string token, string filter)
    {
        if (string.IsNullOrEmpty(token)) return null;
        MessagePageToken? decoded = null;
        try
        {
            decoded = JsonSerializer.Deserialize<MessagePageToken>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Falls through to the refusal below.
        }
        if (decoded is null || decoded.Filter != filter || decoded.MessageId == Guid.Empty)
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN",
                "The page token is not one this listing issued; repeat the request's other fields unchanged.",
                ("page_token", "was not issued for these filters"));
        return decoded;
    }

    /// <summary>0 means the default; larger than the maximum is lowered to it (AIP-158).</summary>
    public static int PageSize(int requested) => requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);
}
