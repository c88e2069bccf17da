using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Credentials;

/// <summary>
/// Validates compact JWTs signed with HS256 and the key in <c>Gateway:TokenSigningKey</c>. Claims: <c>iss</c>
/// (= <c>Gateway:TokenIssuer</c>), <c>aud</c> (names <c>Gateway:TokenAudience</c>), <c>sub</c> (client name),
/// <c>scope</c> (<c>tenant</c> or <c>city</c>), <c>tenant</c> (required for tenant scope), <c>roles</c> (required, a
/// non-empty subset of read/collect/manage/audit), <c>iat</c> and <c>exp</c> (required, at most
/// <c>Gateway:TokenMaxLifetime</c> apart); <c>nbf</c> is honoured when present. Only HS256 is accepted, whatever the
/// header says.
/// </summary>
public sealed class SignedTokenValidator
{
    /// <summary>Tolerated clock difference between the token's issuer and the gateway.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private const int MaxTokenLength = 8192;

    private readonly byte[]? _key;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;

    public SignedTokenValidator(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _options = options.Value;
        var key = _options.TokenSigningKey;
        _key = string.IsNullOrWhiteSpace(key) ? null : Convert.FromBase64String(key);
        _time = time;
    }

    /// <summary>Three base64url segments, the first a JSON object: what a JWT looks like, and an API key does not.</summary>
    public static bool LooksLikeToken(string value) =>
        value.StartsWith("eyJ", StringComparison.Ordinal) && value.Count(c => c == '.') == 2;

    public CredentialResult Validate(string token)
    {
        if (_key is null) return CredentialResult.Invalid("Signed tokens are not accepted by this gateway.");
        if (token.Length > MaxTokenLength) return CredentialResult.Invalid("The token is not valid.");

        var parts = token.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0)) return CredentialResult.Invalid("The token is not valid.");

        // The signature is checked before anything in the payload is believed.
        if (!TryDecode(parts[0], out var header) || !IsHs256(header)) return CredentialResult.Invalid("The token is not valid.");
        if (!TryDecode(parts[2], out var signature)) return CredentialResult.Invalid("The token is not valid.");
        var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
            return CredentialResult.Invalid("The token's signature is not valid.");

        if (!TryDecode(parts[1], out var payload)) return CredentialResult.Invalid("The token is not valid.");
        return ReadClaims(payload);
    }

    private CredentialResult ReadClaims(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var claims = document.RootElement;
            if (claims.ValueKind != JsonValueKind.Object) return CredentialResult.Invalid("The token is not valid.");

            if (String(claims, "iss") is not { } issuer || !string.Equals(issuer, _options.TokenIssuer, StringComparison.Ordinal))
                return CredentialResult.Invalid("The token is not from an issuer this gateway trusts (iss).");
            if (!NamesAudience(claims, _options.TokenAudience))
                return CredentialResult.Invalid("The token is not addressed to this gateway (aud).");

            var now = _time.GetUtcNow();
            if (NumericDate(claims, "exp") is not { } expires)
                return CredentialResult.Invalid("The token has no expiry.");
            if (NumericDate(claims, "iat") is not { } issued)
                return CredentialResult.Invalid("The token has no issue time (iat).");
            if (expires - issued > _options.TokenMaxLifetime || expires < issued)
                return CredentialResult.Invalid("The token lives longer than this gateway accepts.");
            if (expires + ClockSkew <= now) return CredentialResult.Invalid("The token has expired.");
            if (issued - ClockSkew > now) return CredentialResult.Invalid("The token is not valid yet.");
            if (NumericDate(claims, "nbf") is { } notBefore && notBefore - ClockSkew > now)
                return CredentialResult.Invalid("The token is not valid yet.");

            var subject = String(claims, "sub");
            var scope = String(claims, "scope");
            var tenant = String(claims, "tenant");
            if (!Identifiers.IsValid(subject)) return CredentialResult.Invalid("The token names no valid client (sub).");
            if (!CallerScopes.IsKnown(scope)) return CredentialResult.Invalid("The token's scope must be 'tenant' or 'city'.");
            if (scope == CallerScopes.Tenant && !Identifiers.IsValid(tenant))
                return CredentialResult.Invalid("A tenant-scope token must name its tenant.");
            if (RolesOf(claims) is not { } roles)
                return CredentialResult.Invalid($"The token must list its roles, each one of {string.Join(", ", Roles.All)}.");

            return CredentialResult.Accepted(new GatewayCaller(subject!, scope!, scope == CallerScopes.Tenant ? tenant : null, roles));
        }
        catch (JsonException)
        {
            return CredentialResult.Invalid("The token is not valid.");
        }
    }

    private static bool IsHs256(byte[] header)
    {
        try
        {
            using var document = JsonDocument.Parse(header);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && String(document.RootElement, "alg") == "HS256"
                && !document.RootElement.TryGetProperty("crit", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The <c>roles</c> claim when it is a non-empty array of known roles; null otherwise (an unknown role refuses the token).</summary>
    private static IReadOnlyList<string>? RolesOf(JsonElement claims)
    {
        if (!claims.TryGetProperty("roles", out var value) || value.ValueKind != JsonValueKind.Array) return null;
        var roles = new List<string>();
        foreach (var role in value.EnumerateArray())
        {
            if (role.ValueKind != JsonValueKind.String || role.GetString() is not { } name || !Roles.IsKnown(name)) return null;
            if (!roles.Contains(name, StringComparer.Ordinal)) roles.Add(name);
        }
        return roles.Count == 0 ? null : roles;
    }

    /// <summary>RFC 7519: <c>aud</c> is one string or an array of them.</summary>
    private static bool NamesAudience(JsonElement claims, string audience)
    {
        if (!claims.TryGetProperty("aud", out var value)) return false;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() == audience,
            JsonValueKind.Array => value.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == audience),
            _ => false,
        };
    }

    private static string? String(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? NumericDate(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number) return null;
        if (!value.TryGetDouble(out var seconds) || double.IsNaN(seconds) || seconds < 0 || seconds > 253402300799) return null;
        return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
    }

    private static bool TryDecode(string segment, out byte[] bytes)
    {
        try
        {
            bytes = Base64Url.DecodeFromChars(segment);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
