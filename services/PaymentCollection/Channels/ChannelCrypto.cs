using System.Security.Cryptography;
using System.Text;

namespace Medins.PaymentCollection.Channels;

/// <summary>The signatures the providers document: SHA256withRSA (PKCS#1 v1.5) and HMAC-SHA256.</summary>
internal static class ChannelCrypto
{
    public static string SignRsaSha256(ChannelMerchant merchant, ReadOnlySpan<byte> data)
    {
        using var rsa = merchant.SigningRsa();
        return Convert.ToBase64String(rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary>False for a wrong signature and for one that is not even base64.</summary>
    public static bool VerifyRsaSha256(ChannelMerchant merchant, ReadOnlySpan<byte> data, string? signatureBase64)
    {
        if (string.IsNullOrEmpty(signatureBase64)) return false;
        var signature = new byte[signatureBase64.Length];
        if (!Convert.TryFromBase64String(signatureBase64, signature, out var length)) return false;
        using var rsa = merchant.ProviderRsa();
        return rsa.VerifyData(data, signature.AsSpan(0, length), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public static string HmacSha256Hex(byte[] key, ReadOnlySpan<byte> data) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, data));

    /// <summary>Compares in constant time, so a forger learns nothing from how long a refusal takes.</summary>
    public static bool VerifyHmacSha256Hex(byte[] key, ReadOnlySpan<byte> data, string? signatureHex)
    {
        if (string.IsNullOrEmpty(signatureHex) || signatureHex.Length != 64) return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, data), given);
    }

    /// <summary>Lines joined as the providers sign them, each ending with '\n', the raw body kept byte for byte.</summary>
    public static byte[] Lines(IEnumerable<string> leading, ReadOnlySpan<byte> body, bool newlineAfterBody)
    {
        var head = Encoding.UTF8.GetBytes(string.Concat(leading.Select(l => l + "\n")));
        var message = new byte[head.Length + body.Length + (newlineAfterBody ? 1 : 0)];
        head.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(head.Length));
        if (newlineAfterBody) message[^1] = (byte)'\n';
        return message;
    }

    public static string Nonce() => RandomNumberGenerator.GetHexString(32, lowercase: false);

    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
