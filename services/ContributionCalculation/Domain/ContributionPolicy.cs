using System.Text.Json;
using System.Text.Json.Serialization;

namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// A tenant's contribution policy for one coverage year, as published data. This walking-skeleton form holds the
/// tiers' personal standards and the benefit period; the full rule model (subsidised identities, periods,
/// waiting periods) grows here.
/// </summary>
public sealed record ContributionPolicy(
    [property: JsonPropertyName("defaultTier")] int DefaultTier,
    [property: JsonPropertyName("tiers")] IReadOnlyList<PolicyTier> Tiers,
    [property: JsonPropertyName("benefitStart")] DateOnly BenefitStart,
    [property: JsonPropertyName("benefitEnd")] DateOnly BenefitEnd)
{
    public static ContributionPolicy Parse(string json) =>
        JsonSerializer.Deserialize<ContributionPolicy>(json)
        ?? throw new FormatException("The policy document is empty.");
}

public sealed record PolicyTier(
    [property: JsonPropertyName("tier")] int Tier,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("personalStandardFen")] long PersonalStandardFen);

/// <summary>A priced contribution: the only amount ever collected is <see cref="PersonalFen"/>.</summary>
public sealed record QuoteResult(int Tier, long StandardFen, long SubsidyFen, long PersonalFen,
    DateOnly BenefitStart, DateOnly BenefitEnd, IReadOnlyList<QuoteLineItem> Lines);

public sealed record QuoteLineItem(string Kind, string Description, long AmountFen);

public sealed class UnknownTierException(int tier) : Exception($"The policy has no tier {tier}.")
{
    public int Tier { get; } = tier;
}

/// <summary>Prices a contribution: a pure function of the policy and the request.</summary>
public static class QuoteCalculator
{
    public static QuoteResult Quote(ContributionPolicy policy, int requestedTier)
    {
        var tierNumber = requestedTier == 0 ? policy.DefaultTier : requestedTier;
        var tier = policy.Tiers.FirstOrDefault(t => t.Tier == tierNumber) ?? throw new UnknownTierException(tierNumber);
        var lines = new List<QuoteLineItem> { new("standard", tier.Name, tier.PersonalStandardFen) };
        return new QuoteResult(tier.Tier, tier.PersonalStandardFen, 0, tier.PersonalStandardFen,
            policy.BenefitStart, policy.BenefitEnd, lines);
    }
}
