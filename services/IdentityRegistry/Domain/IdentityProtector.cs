using System.Security.Cryptography;
using System.Text;

namespace Medins.IdentityRegistry.Domain;

/// <summary>Configuration section <c>IdentityRegistry</c>: the two secrets that protect ID numbers at rest.</summary>
public sealed class IdentityProtectionOptions
{
    public const string Section = "IdentityRegistry";

    /// <summary>Base64 of 32 bytes: the AES-256-GCM key for ID numbers and phones.</summary>
    public string? IdEncryptionKey { get; set; }

    /// <summary>Base64 of at least 32 bytes: the HMAC-SHA256 key of the lookup hash.</summary>
    public string? IdLookupKey { get; set; }
}

/// <summary>
/// Encrypts personal identifiers at rest (AES-256-GCM, a fresh nonce each time, bound to the row and column they
/// belong to) and derives the keyed lookup hash that finds a person by ID number without storing it in clear.
/// </summary>
public sealed class IdentityProtector
{
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int MinimumLookupKeySize = 32;

    // Setting up a cipher or HMAC key costs more than sealing one ID number, and neither object may be shared between
    // threads: each thread keeps its own (a bulk load seals a million numbers on every core).
    private readonly ThreadLocal<AesGcm> _cipher;
    private readonly ThreadLocal<IncrementalHash> _lookup;

    // Asking the system generator for 12 bytes costs as much as the encryption itself; nonces are drawn from a
    // per-thread buffer of its output instead, refilled when used up (each nonce still used once only).
    private const int NoncePoolSize = 12 * 512;
    [ThreadStatic] private static byte[]? _noncePool;
    [ThreadStatic] private static int _noncePoolUsed;

    private IdentityProtector(byte[] encryptionKey, byte[] lookupKey)
    {
        _cipher = new ThreadLocal<AesGcm>(() => new AesGcm(encryptionKey, TagSize));
        _lookup = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, lookupKey));
    }

    /// <summary>Problems with the configured keys (never their values); empty when both are usable.</summary>
    public static IReadOnlyList<string> Validate(IdentityProtectionOptions options)
    {
        var problems = new List<string>();
        var encryption = Decode(options.IdEncryptionKey, $"{IdentityProtectionOptions.Section}:IdEncryptionKey", problems);
        var lookup = Decode(options.IdLookupKey, $"{IdentityProtectionOptions.Section}:IdLookupKey", problems);
        if (encryption is not null && encryption.Length != 32)
            problems.Add($"{IdentityProtectionOptions.Section}:IdEncryptionKey must be 32 bytes (AES-256), not {encryption.Length}.");
        if (lookup is not null && lookup.Length < MinimumLookupKeySize)
            problems.Add($"{IdentityProtectionOptions.Section}:IdLookupKey must be at least {MinimumLookupKeySize} bytes.");
        if (encryption is not null && lookup is not null && encryption.AsSpan().SequenceEqual(lookup))
            problems.Add("The encryption and lookup keys must differ.");
        return problems;
    }

    public static IdentityProtector Create(IdentityProtectionOptions options)
    {
        var problems = Validate(options);
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(" ", problems));
        return new IdentityProtector(Convert.FromBase64String(options.IdEncryptionKey!), Convert.FromBase64String(options.IdLookupKey!));
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/>; <paramref name="binding"/> (such as tenant, row id and column) must be
    /// given again to open it, so a ciphertext copied to another row does not decrypt.
    /// </summary>
    public byte[] Encrypt(string plaintext, string binding)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var result = new byte[1 + NonceSize + TagSize + plain.Length];
        result[0] = FormatVersion;
        var nonce = result.AsSpan(1, NonceSize);
        NextNonce(nonce);
        _cipher.Value!.Encrypt(nonce, plain, result.AsSpan(1 + NonceSize + TagSize), result.AsSpan(1 + NonceSize, TagSize),
            Encoding.UTF8.GetBytes(binding));
        return result;
    }

    private static void NextNonce(Span<byte> nonce)
    {
        if (_noncePool is null || _noncePoolUsed + NonceSize > NoncePoolSize)
        {
            _noncePool ??= new byte[NoncePoolSize];
            RandomNumberGenerator.Fill(_noncePool);
            _noncePoolUsed = 0;
        }
        var drawn = _noncePool.AsSpan(_noncePoolUsed, NonceSize);
        drawn.CopyTo(nonce);
        drawn.Clear();
        _noncePoolUsed += NonceSize;
    }

    /// <summary>Opens what <see cref="Encrypt"/> sealed; throws <see cref="CryptographicException"/> if it was altered.</summary>
    public string Decrypt(byte[] sealedValue, string binding)
    {
        if (sealedValue.Length < 1 + NonceSize + TagSize || sealedValue[0] != FormatVersion)
            throw new CryptographicException("Unknown ciphertext format.");
        var plain = new byte[sealedValue.Length - 1 - NonceSize - TagSize];
        _cipher.Value!.Decrypt(sealedValue.AsSpan(1, NonceSize), sealedValue.AsSpan(1 + NonceSize + TagSize),
            sealedValue.AsSpan(1 + NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(binding));
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Deterministic keyed hash of the normalised number: equal numbers, equal hashes; useless without the key.</summary>
    public byte[] LookupHash(NationalId id)
    {
        Span<byte> text = stackalloc byte[NationalId.Length];
        Encoding.ASCII.GetBytes(id.Value, text);
        var hmac = _lookup.Value!;
        hmac.AppendData(text);
        return hmac.GetHashAndReset();
    }

    private static byte[]? Decode(string? base64, string name, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            problems.Add($"{name} is not configured.");
            return null;
        }
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            problems.Add($"{name} is not valid base64.");
            return null;
        }
    }
}
