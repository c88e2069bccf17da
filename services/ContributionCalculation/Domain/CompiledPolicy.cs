namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// A policy document parsed, validated and prepared for fast quoting. Built once per published version and
/// shared by every quote; <see cref="Quote"/> allocates nothing beyond its result.
/// </summary>
public sealed class CompiledPolicy
{
    /// <summary>The tenants this document applies to (Meishan's one policy serves each of its counties).</summary>
    public IReadOnlyList<string> TenantIds { get; } = [];
    public int CoverageYear { get; }
    public string PolicyId { get; } = "";
    public int Version { get; }
    public int DefaultTier { get; }
    /// <summary>Every eligible member of one household booklet must enrol together (Gaoyang).</summary>
    public bool EnrolHouseholdTogether { get; }

    /// <summary>Every problem in a policy document, each with its JSON path; empty when the document is valid.</summary>
    public static IReadOnlyList<PolicyError> Validate(string documentJson) =>
        throw new NotImplementedException("The policy engine is being built.");

    /// <summary>Compiles a valid document; throws <see cref="PolicyInvalidException"/> listing every error otherwise.</summary>
    public static CompiledPolicy Load(string documentJson, string policyId, int version) =>
        throw new NotImplementedException("The policy engine is being built.");

    public QuoteOutcome Quote(PersonFacts facts) =>
        throw new NotImplementedException("The policy engine is being built.");
}

public sealed class PolicyInvalidException(IReadOnlyList<PolicyError> errors)
    : Exception("The policy document is invalid: " + string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}")))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}
