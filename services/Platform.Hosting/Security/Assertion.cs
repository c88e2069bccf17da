using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Security;

/// <summary>
/// Headers that carry who speaks for a call. Only these are believed: the tenant, scope and client headers the
/// gateway used to set are informative at most.
/// </summary>
public static class AssertionHeaders
{
    /// <summary>The caller's assertion, signed by the gateway, audience the service it is addressed to.</summary>
    public const string Caller = "x-medins-caller";
    /// <summary>The calling platform service's own assertion (service-to-service calls and event deliveries).</summary>
    public const string Service = "x-medins-service";
    /// <summary>Dapr's app API token, which the sidecar sends on every call to the app (APP_API_TOKEN).</summary>
    public const string DaprApiToken = "dapr-api-token";
}

/// <summary>The roles a credential can hold, as they appear in assertions and configuration.</summary>
public static class Roles
{
    public const string Read = "read";
    public const string Collect = "collect";
    public const string Manage = "manage";
    public const string Audit = "audit";

    public static readonly IReadOnlyList<string> All = [Read, Collect, Manage, Audit];

    public static bool IsKnown(string? role) => role is Read or Collect or Manage or Audit;
}

/// <summary>The two scopes a caller can have.</summary>
public static class Scopes
{
    public const string Tenant = "tenant";
    public const string City = "city";
    /// <summary>A platform service acting on its own (background work, event deliveries).</summary>
    public const string Service = "service";
}

/// <summary>
/// A short-lived statement, signed by its issuer, of who a caller is: the gateway's assertion of a credential (issuer
/// <c>gateway</c>, subject the credential's name) or a service's assertion of itself (issuer = subject = its app id).
/// </summary>
/// <param name="Issuer">Who signed: <c>gateway</c> or a service's app id. Each signing key is bound to one issuer.</param>
/// <param name="Subject">The credential's name, or the service's app id.</param>
/// <param name="Audience">The one service (app id) that may accept it.</param>
/// <param name="TenantId">The tenant the call acts in; null for a city-wide call or a service acting for no tenant.</param>
/// <param name="Scope"><see cref="Scopes.Tenant"/>, <see cref="Scopes.City"/> or <see cref="Scopes.Service"/>.</param>
/// <param name="Roles">What the credential may do (see <see cref="Security.Roles"/>); empty for service assertions.</param>
/// <param name="BodyDigest">Base64url SHA-256 of the request body it was signed for (event deliveries), else null.</param>
public sealed record Assertion(
    string Issuer,
    string Subject,
    string Audience,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string? TenantId,
    string Scope,
    IReadOnlyList<string> Roles,
    string? BodyDigest = null)
{
    /// <summary>The issuer name of assertions made for callers at the edge.</summary>
    public const string GatewayIssuer = "gateway";

    public bool IsCityScope => Scope == Scopes.City;

    public bool HasRole(string role) => Roles.Contains(role, StringComparer.Ordinal);
}

/// <summary>The reason codes (google.rpc.ErrorInfo.reason) of a refused assertion.</summary>
public static class AssertionReasons
{
    public static readonly string Missing = ErrorReasons.Code(PlatformReason.CallerAssertionMissing);
    public static readonly string Malformed = ErrorReasons.Code(PlatformReason.CallerAssertionMalformed);
    public static readonly string UnknownKey = ErrorReasons.Code(PlatformReason.CallerAssertionKeyUnknown);
    public static readonly string BadSignature = ErrorReasons.Code(PlatformReason.CallerAssertionSignatureInvalid);
    public static readonly string WrongIssuer = ErrorReasons.Code(PlatformReason.CallerAssertionIssuerInvalid);
    public static readonly string WrongAudience = ErrorReasons.Code(PlatformReason.CallerAssertionAudienceInvalid);
    public static readonly string Expired = ErrorReasons.Code(PlatformReason.CallerAssertionExpired);
    public static readonly string NotYetValid = ErrorReasons.Code(PlatformReason.CallerAssertionNotYetValid);
    public static readonly string LifetimeTooLong = ErrorReasons.Code(PlatformReason.CallerAssertionLifetimeTooLong);
    public static readonly string BodyMismatch = ErrorReasons.Code(PlatformReason.CallerAssertionBodyMismatch);
}

/// <summary>The outcome of validating one token: the assertion, or why it was refused.</summary>
public readonly record struct AssertionCheck(Assertion? Assertion, string Reason, string Message)
{
    public bool IsValid => Assertion is not null;

    public static AssertionCheck Valid(Assertion assertion) => new(assertion, "", "");

    public static AssertionCheck Refused(string reason, string message) => new(null, reason, message);
}
