using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Medins.Notification.Channels;

/// <summary>
/// HMAC-SHA256 of a mobile number under a secret key (<c>Notification:AddressHashKey</c>, or <c>Channels:AddressHashKey</c>
/// from the deployment's Secret; base64, at least 32 bytes). Mobile numbers are few enough to enumerate, so a plain hash
/// would hide nothing. Without a key no hash is kept, and replies cannot be traced.
/// </summary>
public sealed class AddressHasher
{
    private readonly byte[]? _key;

    public AddressHasher(IConfiguration configuration)
    {
        var configured = configuration["Channels:AddressHashKey"] is { Length: > 0 } secret ? secret : configuration["Notification:AddressHashKey"];
        if (string.IsNullOrWhiteSpace(configured)) return;
        var key = Convert.FromBase64String(configured);
        if (key.Length < 32) throw new InvalidOperationException("Notification:AddressHashKey must be at least 32 bytes (base64).");
        _key = key;
    }

    public bool Enabled => _key is not null;

    /// <summary>Null without a key; the last 11 digits otherwise, so "+86 138…" and "138…" hash alike.</summary>
    public byte[]? Hash(string mobile)
    {
        if (_key is null) return null;
        var digits = new string(mobile.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length > 11) digits = digits[^11..];
        return HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(digits));
    }
}
