using System.Text.RegularExpressions;

namespace Medins.Gateway.Credentials;

public static class CallerScopes
{
    public const string Tenant = "tenant";
    public const string City = "city";

    public static bool IsKnown(string? scope) => scope is Tenant or City;
}

/// <summary>
/// Who is calling, as established from a credential: the client's name, its scope, for tenant scope its tenant, and
/// its roles. After enforcement, <see cref="TenantId"/> is the tenant the call acts in (for city scope the one the
/// caller named, if any, or <c>*</c>).
/// </summary>
public sealed record GatewayCaller(string Client, string Scope, string? TenantId, IReadOnlyList<string> Roles)
{
    public bool IsCityScope => Scope == CallerScopes.City;

    /// <summary>The tenant the caller assertion names: null for a city-wide call (no tenant, or <c>*</c>).</summary>
    public string? AssertedTenant => TenantId is null or "*" ? null : TenantId;
}

/// <summary>The shapes of names that end up in caller assertions.</summary>
public static partial class Identifiers
{
    /// <summary>Client names and tenant ids: letters, digits, '.', '_' and '-', up to 64 characters.</summary>
    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
