using System.Collections.Concurrent;
using Medins.ContributionCalculation.Domain;

namespace Medins.ContributionCalculation.Data;

/// <summary>
/// Compiled policies per (tenant, coverage year, version). Published versions never change, so an entry never goes
/// stale and needs no expiry; the set is small (tenants × years × versions).
/// </summary>
public sealed class CompiledPolicyCache
{
    private readonly ConcurrentDictionary<(string TenantId, int CoverageYear, int Version), CompiledPolicy> _compiled = new();

    public bool TryGet(string tenantId, int coverageYear, int version, out CompiledPolicy policy) =>
        _compiled.TryGetValue((tenantId, coverageYear, version), out policy!);

    /// <summary>Compiles a stored document once; throws <see cref="PolicyInvalidException"/> for a document the engine rejects.</summary>
    public CompiledPolicy Add(string tenantId, int coverageYear, int version, string policyId, string documentText) =>
        _compiled.GetOrAdd((tenantId, coverageYear, version), _ => CompiledPolicy.Load(documentText, policyId, version));
}
