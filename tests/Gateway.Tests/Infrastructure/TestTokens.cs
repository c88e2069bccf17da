using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>Compact HS256 JWTs, minted the way an issuer sharing the gateway's key would.</summary>
public static class TestTokens
{
    public const string Issuer = "county-sso";
    public const string Audience = "medins-gateway";

    public static readonly byte[] SigningKey = RandomNumberGenerator.GetBytes(32);
    public static string SigningKeyBase64 => Convert.ToBase64String(SigningKey);

    /// <summary>What a gateway accepting these tokens is configured with.</summary>
    public static IReadOnlyDictionary<string, string?> GatewaySettings => new Dictionary<string, string?>
    {
        ["Gateway:TokenSigningKey"] = SigningKeyBase64,
        ["Gateway:TokenIssuer"] = Issuer,
    };

    public static string Sign(object claims, byte[]? key = null, string algorithm = "HS256")
    {
        var header = Segment(new { alg = algorithm, typ = "JWT" });
        var payload = Segment(claims);
        var signature = HMACSHA256.HashData(key ?? SigningKey, Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>Standard claims of a good token (iss, aud, iat now, exp in 5 minutes) merged with, and overridden by, <paramref name="claims"/>;
    /// a claim set to null is left out.</summary>
    public static string SignValid(Dictionary<string, object?> claims, byte[]? key = null, string algorithm = "HS256")
    {
        var all = new Dictionary<string, object?>
        {
            ["iss"] = Issuer, ["aud"] = Audience, ["iat"] = In(TimeSpan.Zero), ["exp"] = In(TimeSpan.FromMinutes(5)),
        };
        foreach (var (name, value) in claims) all[name] = value;
        return Sign(all.Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value), key, algorithm);
    }

    public static long In(TimeSpan offset) => DateTimeOffset.UtcNow.Add(offset).ToUnixTimeSeconds();

    private static string Segment(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
}
