using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Medins.Platform.Hosting.Security;

/// <summary>
/// Signs and validates assertions as compact JWS (ES256: ECDSA P-256, SHA-256). Claims: <c>iss</c>, <c>sub</c>,
/// <c>aud</c>, <c>iat</c>, <c>exp</c>, <c>tenant</c>, <c>scope</c>, <c>roles</c> and, for event deliveries,
/// <c>body_sha256</c>. Only ES256 is accepted whatever a header says, every key is bound to one issuer, and the
/// signature is checked before any claim is read. Public keys only verify: a service that holds them cannot sign
/// for the gateway.
/// </summary>
public sealed class AssertionCodec
{
    private const int MaxTokenLength = 4096;
    private const int CacheLimit = 20_000;

    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ECDsa? _signingKey;
    private readonly string? _signingHeader;
    private readonly Dictionary<string, (string Issuer, ECDsa Key)> _trusted = new(StringComparer.Ordinal);
    // A validated token is only re-checked for expiry and audience: ECDSA verification is the costly part.
    private readonly ConcurrentDictionary<string, Assertion> _verified = new(StringComparer.Ordinal);
    // A service's own assertions, reused so the receiver's verified-token cache hits and no call pays a signature.
    private readonly ConcurrentDictionary<(string Issuer, string Subject, string Audience, string? Tenant, string Scope),
        (string Token, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)> _issued = new();

    public AssertionCodec(AuthOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            if (string.IsNullOrWhiteSpace(options.SigningKeyId))
                throw new InvalidOperationException("Auth:SigningKeyId must name the signing key.");
            _signingKey = ECDsa.Create();
            _signingKey.ImportFromPem(options.SigningKey);
            if (_signingKey.KeySize != 256) throw new InvalidOperationException("Auth:SigningKey must be an ECDSA P-256 key.");
            _signingHeader = Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
            {
                ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = options.SigningKeyId,
            }));
        }
        foreach (var trusted in options.TrustedKeys)
        {
            if (string.IsNullOrWhiteSpace(trusted.Id) || string.IsNullOrWhiteSpace(trusted.Issuer))
                throw new InvalidOperationException("Every Auth:TrustedKeys entry needs an Id and an Issuer.");
            if (!_trusted.TryAdd(trusted.Id, (trusted.Issuer, LoadPublicKey(trusted.PublicKey, trusted.Id))))
                throw new InvalidOperationException($"Auth:TrustedKeys names key '{trusted.Id}' twice.");
        }
    }

    public bool CanSign => _signingKey is not null;

    /// <summary>Signs an assertion; its times come from the caller (see <see cref="Issue"/> for the usual case).</summary>
    public string Sign(Assertion assertion)
    {
        if (_signingKey is null) throw new InvalidOperationException("Auth:SigningKey is not configured: this process cannot sign.");
        var claims = new Dictionary<string, object>
        {
            ["iss"] = assertion.Issuer,
            ["sub"] = assertion.Subject,
            ["aud"] = assertion.Audience,
            ["iat"] = assertion.IssuedAt.ToUnixTimeSeconds(),
            ["exp"] = assertion.ExpiresAt.ToUnixTimeSeconds(),
            ["scope"] = assertion.Scope,
            ["roles"] = assertion.Roles,
        };
        if (assertion.TenantId is not null) claims["tenant"] = assertion.TenantId;
        if (assertion.BodyDigest is not null) claims["body_sha256"] = assertion.BodyDigest;
        var signingInput = _signingHeader + "." + Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _signingKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Encode(signature);
    }

    /// <summary>An assertion valid from now for <see cref="AuthOptions.AssertionLifetime"/>.</summary>
    public string Issue(string issuer, string subject, string audience, string? tenantId, string scope,
        IReadOnlyList<string> roles, string? bodyDigest = null)
    {
        var now = _time.GetUtcNow();
        return Sign(new Assertion(issuer, subject, audience, now, now + _options.AssertionLifetime, tenantId, scope, roles, bodyDigest));
    }

    /// <summary>
    /// Like <see cref="Issue"/> with no roles, but hands out the token issued earlier for the same issuer, subject,
    /// audience, tenant and scope while more than half of its lifetime remains (the gateway's caller assertions work
    /// the same way). Bounded: a full cache starts over.
    /// </summary>
    public string IssueReusable(string issuer, string subject, string audience, string? tenantId, string scope)
    {
        var key = (issuer, subject, audience, tenantId, scope);
        var now = _time.GetUtcNow();
        if (_issued.TryGetValue(key, out var earlier) && earlier.ExpiresAt - now > _options.AssertionLifetime / 2
            && earlier.IssuedAt <= now)
            return earlier.Token;

        var assertion = new Assertion(issuer, subject, audience, now, now + _options.AssertionLifetime, tenantId, scope, []);
        var token = Sign(assertion);
        if (_issued.Count >= CacheLimit) _issued.Clear();
        _issued[key] = (token, assertion.IssuedAt, assertion.ExpiresAt);
        return token;
    }

    /// <summary>Base64url SHA-256 of a body, as <see cref="Assertion.BodyDigest"/> carries it.</summary>
    public static string Digest(ReadOnlySpan<byte> body) => Encode(SHA256.HashData(body));

    /// <summary>
    /// Validates a token for <paramref name="audience"/>: a trusted key, its issuer, the signature, the times (with
    /// <see cref="AuthOptions.ClockSkew"/>) and a lifetime no longer than <see cref="AuthOptions.MaxLifetime"/>.
    /// </summary>
    public AssertionCheck Validate(string? token, string audience)
    {
        if (string.IsNullOrEmpty(token)) return AssertionCheck.Refused(AssertionReasons.Missing, "The call carries no caller assertion.");
        if (!_verified.TryGetValue(token, out var assertion))
        {
            var check = Verify(token);
            if (!check.IsValid) return check;
            assertion = check.Assertion!;
            if (_verified.Count >= CacheLimit) _verified.Clear();
            _verified[token] = assertion;
        }

        var now = _time.GetUtcNow();
        if (assertion.ExpiresAt + _options.ClockSkew <= now)
            return AssertionCheck.Refused(AssertionReasons.Expired, "The caller assertion has expired.");
        if (assertion.IssuedAt - _options.ClockSkew > now)
            return AssertionCheck.Refused(AssertionReasons.NotYetValid, "The caller assertion is not valid yet.");
        if (!string.Equals(assertion.Audience, audience, StringComparison.Ordinal))
            return AssertionCheck.Refused(AssertionReasons.WrongAudience, "The caller assertion is addressed to another service.");
        return AssertionCheck.Valid(assertion);
    }

    private AssertionCheck Verify(string token)
    {
        var malformed = AssertionCheck.Refused(AssertionReasons.Malformed, "The caller assertion is not a valid token.");
        if (token.Length > MaxTokenLength) return malformed;
        var parts = token.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0)) return malformed;
        if (!TryDecode(parts[0], out var header) || !TryDecode(parts[2], out var signature)) return malformed;

        string? kid;
        try
        {
            using var document = JsonDocument.Parse(header);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "alg") != "ES256" || root.TryGetProperty("crit", out _))
                return malformed;
            kid = String(root, "kid");
        }
        catch (JsonException)
        {
            return malformed;
        }
        if (kid is null || !_trusted.TryGetValue(kid, out var key))
            return AssertionCheck.Refused(AssertionReasons.UnknownKey, "The caller assertion is signed with a key this service does not trust.");
        if (!key.Key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256,
                DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            return AssertionCheck.Refused(AssertionReasons.BadSignature, "The caller assertion's signature is not valid.");

        if (!TryDecode(parts[1], out var payload)) return malformed;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var claims = document.RootElement;
            if (claims.ValueKind != JsonValueKind.Object) return malformed;
            var issuer = String(claims, "iss");
            var subject = String(claims, "sub");
            var audience = String(claims, "aud");
            var scope = String(claims, "scope");
            if (issuer is null || subject is null || audience is null || scope is null
                || NumericDate(claims, "iat") is not { } issuedAt || NumericDate(claims, "exp") is not { } expiresAt)
                return malformed;
            if (!string.Equals(issuer, key.Issuer, StringComparison.Ordinal))
                return AssertionCheck.Refused(AssertionReasons.WrongIssuer, "The caller assertion's key belongs to another issuer.");
            if (expiresAt - issuedAt > _options.MaxLifetime || expiresAt < issuedAt)
                return AssertionCheck.Refused(AssertionReasons.LifetimeTooLong, "The caller assertion lives longer than this service accepts.");
            var roles = new List<string>();
            if (claims.TryGetProperty("roles", out var roleArray))
            {
                if (roleArray.ValueKind != JsonValueKind.Array) return malformed;
                foreach (var role in roleArray.EnumerateArray())
                    if (role.ValueKind == JsonValueKind.String && Roles.IsKnown(role.GetString())) roles.Add(role.GetString()!);
            }
            return AssertionCheck.Valid(new Assertion(issuer, subject, audience, issuedAt, expiresAt,
                String(claims, "tenant"), scope, roles, String(claims, "body_sha256")));
        }
        catch (JsonException)
        {
            return malformed;
        }
    }

    /// <summary>A new P-256 key pair as PEM (PKCS#8 private, SubjectPublicKeyInfo public): for key rotation and tests.</summary>
    public static (string PrivateKeyPem, string PublicKeyPem) GenerateKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key.ExportPkcs8PrivateKeyPem(), key.ExportSubjectPublicKeyInfoPem());
    }

    private static ECDsa LoadPublicKey(string pem, string id)
    {
        if (string.IsNullOrWhiteSpace(pem)) throw new InvalidOperationException($"Auth:TrustedKeys '{id}' has no PublicKey.");
        if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            return certificate.GetECDsaPublicKey()
                ?? throw new InvalidOperationException($"Auth:TrustedKeys '{id}' is not an ECDSA certificate.");
        }
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? NumericDate(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number) return null;
        if (!value.TryGetInt64(out var seconds) || seconds < 0 || seconds > 253402300799) return null;
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private static string Encode(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);

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
