using Medins.Identity.V1;

namespace Medins;

public static class ResidentIdentities
{
    /// <summary>
    /// The identity codes a quote prices on a given day: every certified identity valid that day, as the tenant's
    /// local code where the list gave one (the policy maps local codes), else the canonical category. Which one
    /// wins is the policy's rule (highest subsidy, or Meishan's import order), not the caller's.
    /// </summary>
    public static IEnumerable<string> IdentityCodesOn(this Resident resident, DateOnly day) =>
        resident.CertifiedIdentities
            .Where(i => (i.ValidFrom.ToDateOnly() ?? DateOnly.MinValue) <= day && day <= (i.ValidTo.ToDateOnly() ?? DateOnly.MaxValue))
            .Select(i => i.LocalCode.Length > 0 ? i.LocalCode : i.Category)
            .Distinct();
}
