using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Medins.Gateway.Credentials;

/// <summary>
/// Reads the caller's credential from the request: an API key in <c>x-api-key</c>, or <c>Authorization: Bearer</c>
/// carrying either an API key or an HS256 token.
/// </summary>
public sealed class CredentialResolver(ApiKeyStore apiKeys, SignedTokenValidator tokens)
{
    public const string ApiKeyHeader = "x-api-key";

    public CredentialResult Resolve(IHeaderDictionary headers)
    {
        var apiKey = headers[ApiKeyHeader];
        if (!StringValues.IsNullOrEmpty(apiKey))
        {
            return apiKey.Count == 1
                ? apiKeys.Authenticate(apiKey[0]!.Trim())
                : CredentialResult.Invalid($"Send one '{ApiKeyHeader}'.");
        }

        var authorization = headers[HeaderNames.Authorization];
        if (StringValues.IsNullOrEmpty(authorization))
            return CredentialResult.Missing($"Send an API key in '{ApiKeyHeader}' or 'Authorization: Bearer'.");
        if (authorization.Count != 1) return CredentialResult.Invalid("Send one 'Authorization' header.");

        var value = authorization[0]!.Trim();
        const string bearer = "Bearer ";
        if (!value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
            return CredentialResult.Invalid("Only 'Authorization: Bearer' credentials are accepted.");
        var credential = value[bearer.Length..].Trim();
        if (credential.Length == 0) return CredentialResult.Missing("The bearer credential is empty.");

        return SignedTokenValidator.LooksLikeToken(credential) ? tokens.Validate(credential) : apiKeys.Authenticate(credential);
    }
}
