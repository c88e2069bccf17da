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
        }

        if (!string.IsNullOrWhiteSpace(options.TokenSigningKey))
        {
            var key = new byte[options.TokenSigningKey.Length];
            if (!Convert.TryFromBase64String(options.TokenSigningKey, key, out var length) || length < 32)
                problems.Add("Gateway:TokenSigningKey must be base64 of at least 32 bytes.");
        }

        if (options.RateLimit.PermitsPerSecond < 1) problems.Add("Gateway:RateLimit:PermitsPerSecond must be at least 1.");
        if (options.RateLimit.Burst < 1) problems.Add("Gateway:RateLimit:Burst must be at least 1.");

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
