using Medins.Platform.Hosting.Security;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Credentials;

/// <summary>Refuses to start with credentials or keys that would fail, or silently widen access, at run time.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (credential, i) in options.Credentials.Select((c, i) => (c, i)))
        {
            var at = $"Gateway:Credentials:{i}";
            if (!Identifiers.IsValid(credential.Name)) problems.Add($"{at}:Name must be letters, digits, '.', '_' or '-'.");
            else if (!names.Add(credential.Name)) problems.Add($"{at}:Name '{credential.Name}' is used twice.");
            if (credential.KeySha256.Length != 64 || !credential.KeySha256.All(char.IsAsciiHexDigit))
                problems.Add($"{at}:KeySha256 must be 64 hex digits (the SHA-256 of the key).");
            else if (!hashes.Add(credential.KeySha256)) problems.Add($"{at}:KeySha256 is used by another credential.");
            switch (credential.Scope)
            {
                case CallerScopes.Tenant when !Identifiers.IsValid(credential.TenantId):
                    problems.Add($"{at}:TenantId is required for a tenant-scope credential.");
                    break;
                case CallerScopes.City when !string.IsNullOrEmpty(credential.TenantId):
                    problems.Add($"{at}:TenantId must be empty for a city-scope credential.");
                    break;
                case CallerScopes.Tenant or CallerScopes.City:
                    break;
                default:
                    problems.Add($"{at}:Scope must be 'tenant' or 'city'.");
                    break;
            }
            // No default: a credential's power is always written down next to it.
            if (credential.Roles.Count == 0)
                problems.Add($"{at}:Roles is required: list what the credential may do ({string.Join(", ", Roles.All)}).");
            foreach (var role in credential.Roles.Where(r => !Roles.IsKnown(r)))
                problems.Add($"{at}:Roles names '{role}', which is not one of {string.Join(", ", Roles.All)}.");
        }

        if (!string.IsNullOrWhiteSpace(options.TokenSigningKey))
        {
            var key = new byte[options.TokenSigningKey.Length];
            if (!Convert.TryFromBase64String(options.TokenSigningKey, key, out var length) || length < 32)
                problems.Add("Gateway:TokenSigningKey must be base64 of at least 32 bytes.");
            if (string.IsNullOrWhiteSpace(options.TokenIssuer))
                problems.Add("Gateway:TokenIssuer is required with Gateway:TokenSigningKey: tokens are accepted from that issuer only.");
            if (string.IsNullOrWhiteSpace(options.TokenAudience))
                problems.Add("Gateway:TokenAudience must not be empty.");
        }
        if (options.TokenMaxLifetime <= TimeSpan.Zero) problems.Add("Gateway:TokenMaxLifetime must be positive.");

        var limits = options.RateLimit;
        if (limits.PermitsPerSecond is not null || limits.Burst is not null)
            problems.Add("Gateway:RateLimit:PermitsPerSecond and :Burst are no longer read: set Gateway:RateLimit:PerTenant:Permits " +
                "and :Burst (and PerCredential, PerCallbackRoute) instead.");
        Bucket(problems, "PerTenant", limits.PerTenant);
        Bucket(problems, "PerCredential", limits.PerCredential);
        Bucket(problems, "PerCallbackRoute", limits.PerCallbackRoute);

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Bucket(List<string> problems, string name, RateLimitBucketOptions bucket)
    {
        var at = $"Gateway:RateLimit:{name}";
        if (bucket.Permits < 1) problems.Add($"{at}:Permits must be at least 1.");
        if (bucket.Burst < 1) problems.Add($"{at}:Burst must be at least 1.");
        if (bucket.Period <= TimeSpan.Zero) problems.Add($"{at}:Period must be positive.");
    }
}
