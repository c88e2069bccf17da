using System.Security.Cryptography;
using System.Text;

namespace Medins.ChannelSimulation;

/// <summary>The signatures as the providers' documentation describes them, written from that description.</summary>
internal static class ProviderCrypto
{
    public static string RsaSign(byte[] pkcs8PrivateKey, byte[] data)
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8PrivateKey, out _);
        return Convert.ToBase64String(rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    public static bool RsaVerify(byte[] publicKey, byte[] data, string signature)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
            return rsa.VerifyData(data, Convert.FromBase64String(signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A key nobody trusts, to forge with.</summary>
    public static byte[] ForgerKey { get; } = NewPrivateKey();

    public static string Hmac(byte[] key, string text) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string Nonce(int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ =>
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[RandomNumberGenerator.GetInt32(62)]));

    private static byte[] NewPrivateKey()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKey();
    }
}
