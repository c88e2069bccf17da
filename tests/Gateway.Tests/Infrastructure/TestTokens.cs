using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>Compact HS256 JWTs, minted the way an issuer sharing the gateway's key would.</summary>
public static class TestTokens
{
    public static readonly byte[] SigningKey = RandomNumberGenerator.GetBytes(32);
    public static string SigningKeyBase64 => Convert.ToBase64String(SigningKey);

    public static string Sign(object claims, byte[]? key = null, string algorithm = "HS256")
    {
        var header = Segment(new { alg = algorithm, typ = "JWT" });
        var payload = Segment(claims);
        var signature = HMACSHA256.HashData(key ?? SigningKey, Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url.EncodeToString(signature)}";
    }

    public static long In(TimeSpan offset) => DateTimeOffset.UtcNow.Add(offset).ToUnixTimeSeconds();

    private static string Segment(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
}
