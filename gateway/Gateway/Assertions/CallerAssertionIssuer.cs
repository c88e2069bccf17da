using System.Collections.Concurrent;
using System.Security.Cryptography;
using Medins.Gateway.Credentials;
using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Assertions;

/// <summary>
/// Mints the caller assertion (issuer <c>gateway</c>) a service believes instead of headers: subject = the
/// credential's name, audience = the service's app id, the tenant (none for a city-wide call), the scope and the
/// credential's roles. A minted assertion is reused for the same caller and audience while more than half its
/// lifetime is left, so the December peak does not pay an ECDSA signature per call.
/// </summary>
public sealed class CallerAssertionIssuer(AssertionCodec codec, IOptions<AuthOptions> auth, TimeProvider time)
{
    private const int CacheLimit = 10_000;

    private readonly TimeSpan _lifetime = auth.Value.AssertionLifetime;
    private readonly ConcurrentDictionary<Key, Minted> _minted = new();

    public string AssertionFor(GatewayCaller caller, string audience)
    {
        // Scope and roles belong to the key: two tokens with one subject may grant different things.
        var key = new Key(caller.Client, caller.Scope, caller.AssertedTenant, audience, string.Join(' ', caller.Roles));
        var now = time.GetUtcNow();
        if (_minted.TryGetValue(key, out var minted) && minted.ExpiresAt - now > _lifetime / 2) return minted.Token;

        var assertion = new Assertion(Assertion.GatewayIssuer, caller.Client, audience, now, now + _lifetime,
            caller.AssertedTenant, caller.Scope, caller.Roles);
        var token = codec.Sign(assertion);
        // Keys come only from authenticated callers, yet a city caller can name many tenants: stay bounded.
        if (_minted.Count >= CacheLimit) _minted.Clear();
        _minted[key] = new Minted(token, assertion.ExpiresAt);
        return token;
    }

    private readonly record struct Key(string Client, string Scope, string? Tenant, string Audience, string Roles);

    private sealed record Minted(string Token, DateTimeOffset ExpiresAt);
}

/// <summary>
/// The gateway cannot work without signing: every proxied call carries an assertion. Refuses to start without a
/// usable <c>Auth:SigningKey</c>, or with an assertion lifetime the services would refuse.
/// </summary>
public sealed class GatewayAuthValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SigningKey))
            problems.Add("Auth:SigningKey is required: the gateway signs an assertion of the caller for every call it passes " +
                "to a service. Set it to the PEM of this gateway's ECDSA P-256 private key (from a Secret), Auth:SigningKeyId to " +
                "its id, and give the services that id and public key in their Auth:TrustedKeys with Issuer 'gateway'.");
        else if (string.IsNullOrWhiteSpace(options.SigningKeyId))
            problems.Add("Auth:SigningKeyId is required: the id the services know the gateway's public key by.");
        else
        {
            try
            {
                _ = new AssertionCodec(new AuthOptions { SigningKey = options.SigningKey, SigningKeyId = options.SigningKeyId }, TimeProvider.System);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException or InvalidOperationException)
            {
                problems.Add($"Auth:SigningKey is not a usable ECDSA P-256 private key: {e.Message}");
            }
        }
        if (options.AssertionLifetime <= TimeSpan.Zero || options.AssertionLifetime > options.MaxLifetime)
            problems.Add("Auth:AssertionLifetime must be positive and no longer than Auth:MaxLifetime.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
