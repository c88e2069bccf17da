using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Credentials;

/// <summary>
/// Finds the credential an API key belongs to by its SHA-256. Every configured hash is compared, in constant
/// time, whatever matches, so timing tells nothing about which or how many keys exist.
/// </summary>
public sealed class ApiKeyStore
{
    /// <summary>Longer keys are refused without hashing.</summary>
    public const int MaxKeyLength = 512;

    private readonly (byte[] Hash, GatewayCaller Caller)[] _entries;

    public ApiKeyStore(IOptions<GatewayOptions> options)
    {
        _entries = options.Value.Credentials
            .Select(c => (Convert.FromHexString(c.KeySha256), new GatewayCaller(c.Name, c.Scope,
                c.Scope == CallerScopes.Tenant ? c.TenantId : null, c.Roles.Distinct(StringComparer.Ordinal).ToArray())))
            .ToArray();
    }

    public CredentialResult Authenticate(string key)
    {
        if (key.Length == 0) return CredentialResult.Missing("The API key is empty.");
        if (key.Length > MaxKeyLength) return CredentialResult.Invalid("The API key is not valid.");

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        GatewayCaller? match = null;
        foreach (var (expected, caller) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(expected, hash))
                match ??= caller;
        }
        return match is null ? CredentialResult.Invalid("The API key is not valid.") : CredentialResult.Accepted(match);
    }
}
