using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using ErrorReason = Medins.Contribution.V1.ErrorReason;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>
/// Properties every quote of every shipped policy must have, checked on many random person facts from a seeded
/// generator (so a failure replays exactly).
/// </summary>
public sealed class QuotePropertyTests
{
    private const int Cases = 4000;

    public static TheoryData<string> Policies => new(ShippedPolicies.All);

    [Theory]
    [MemberData(nameof(Policies))]
    public void Quote_RandomFacts_PersonalPlusSubsidiesEqualsStandardPlusSurchargeAndNeverNegative(string file)
    {
        var policy = ShippedPolicies.Load(file);
        var generator = new FactsGenerator(policy, seed: 1);
        var priced = 0;
        for (var i = 0; i < Cases; i++)
        {
            var facts = generator.Next();
            if (policy.Quote(facts).Quote is not { } quote)
                continue;
            priced++;
            var context = Describe(facts);
            Assert.True(quote.PersonalFen + quote.SubsidyFen == quote.StandardFen + quote.SurchargeFen, context);
            Assert.True(quote.PersonalFen >= 0, context);
            Assert.True(quote.SubsidyFen <= quote.StandardFen, context);
            Assert.True(quote.StandardFen == quote.Lines.Where(l => l.Kind == PricedLineKind.Standard).Sum(l => l.AmountFen), context);
            Assert.True(quote.SubsidyFen == quote.Lines.Where(l => l.Kind == PricedLineKind.Subsidy).Sum(l => l.AmountFen), context);
            Assert.True(quote.SurchargeFen == quote.Lines.Where(l => l.Kind == PricedLineKind.Surcharge).Sum(l => l.AmountFen), context);
            Assert.True(quote.Lines.All(l => l.AmountFen > 0 || l.Kind == PricedLineKind.Standard), context);
            Assert.True(quote.BenefitStart <= quote.BenefitEnd, context);
            Assert.True(quote.BenefitEnd == policy.BenefitPeriodEnd, context);
            Assert.True(quote.WaitingDays >= 0, context);
            Assert.Contains(policy.PolicyName, quote.Explanation);
        }
        Assert.True(priced > Cases / 10, $"only {priced} of {Cases} random facts were priced: the generator misses the policy");
    }

    [Theory]
    [MemberData(nameof(Policies))]
    // Was "never raises the personal amount": seed 000 三（三） ranks identities by subsidy ("最高资助标准身份"), so in
    // Lidu's July–September a 低保 (pays 38, surcharge waived) who also holds 优抚对象 (380) pays 380 + the surcharge.
    // What never falls is the subsidy; the amount paid rises only by a surcharge the newly applied identity is not spared.
    public void Quote_AddingAnIdentity_NeverLowersTheSubsidy(string file)
    {
        var policy = ShippedPolicies.Load(file);
        var generator = new FactsGenerator(policy, seed: 2);
        var compared = 0;
        for (var i = 0; i < Cases; i++)
        {
            var facts = generator.Next();
            var more = facts with { IdentityCodes = [.. facts.IdentityCodes, generator.AnyCode()] };
            var before = policy.Quote(facts);
            var after = policy.Quote(more);
            if (before.Quote is not { } q1)
                continue;
            var context = Describe(more);
            var q2 = after.Quote ?? throw new Xunit.Sdk.XunitException($"adding an identity refused a priced quote ({after.Refusal!.Reason}): {context}");
            Assert.True(q2.SubsidyFen >= q1.SubsidyFen, $"subsidy {q1.SubsidyFen} → {q2.SubsidyFen}: {context}");
            Assert.True(q2.PersonalFen - q2.SurchargeFen <= q1.PersonalFen - q1.SurchargeFen,
                $"{q1.PersonalFen} → {q2.PersonalFen} beyond the surcharge: {context}");
            compared++;
        }
        Assert.True(compared > Cases / 10, $"only {compared} comparisons");
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Quote_SameFacts_SameQuoteEvenFromAnotherLoadOfTheDocument(string file)
    {
        var policy = ShippedPolicies.Load(file);
        var again = ShippedPolicies.Load(file);
        var generator = new FactsGenerator(policy, seed: 3);
        for (var i = 0; i < Cases / 4; i++)
        {
            var facts = generator.Next();
            var first = policy.Quote(facts);
            var second = again.Quote(facts with { IdentityCodes = facts.IdentityCodes.ToArray() });
            var context = Describe(facts);
            if (first.Quote is { } a)
            {
                var b = second.Quote ?? throw new Xunit.Sdk.XunitException("second quote refused: " + context);
                Assert.True(a.Lines.SequenceEqual(b.Lines), context);
                Assert.True(a with { Lines = [], AdditionalCoverageYears = [] } == b with { Lines = [], AdditionalCoverageYears = [] }, context);
                Assert.True(a.AdditionalCoverageYears.SequenceEqual(b.AdditionalCoverageYears), context);
            }
            else
                Assert.True(first.Refusal == second.Refusal, context);
        }
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Quote_Refusal_HasReasonMessageAndLaterNextDate(string file)
    {
        var policy = ShippedPolicies.Load(file);
        var generator = new FactsGenerator(policy, seed: 4);
        for (var i = 0; i < Cases; i++)
        {
            var facts = generator.Next();
            if (policy.Quote(facts).Refusal is not { } refusal)
                continue;
            var context = Describe(facts);
            Assert.Matches("^[A-Z_]+$", refusal.Reason);
            Assert.False(string.IsNullOrWhiteSpace(refusal.Message), context);
            if (refusal.NextPossibleDate is { } next)
            {
                Assert.True(next > facts.PaymentDate, context);
                // The next date really is open to the same person.
                var nextReason = policy.Quote(facts with { PaymentDate = next }).Refusal?.Reason;
                Assert.True(nextReason != ErrorReasons.Code(ErrorReason.SettlementDays)
                            && nextReason != ErrorReasons.Code(ErrorReason.OutsideCollectionPeriod), context);
            }
        }
    }

    private static string Describe(PersonFacts facts) =>
        $"pay {facts.PaymentDate:yyyy-MM-dd}, tier {facts.Tier}, group '{facts.PersonGroup}', ids [{string.Join(",", facts.IdentityCodes)}], " +
        $"event {facts.LifeEvent?.Kind}@{facts.LifeEvent?.Date:yyyy-MM-dd}, born {facts.BirthDate:yyyy-MM-dd}, grade {facts.DisabilityGrade}";

    /// <summary>Random but plausible facts for one policy: its own tiers, groups and codes, and a few strangers.</summary>
    private sealed class FactsGenerator(CompiledPolicy policy, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly string[] _codes = policy.Identities.SelectMany(i => i.LocalCodes.Prepend(i.Category)).Append("not-a-code").ToArray();
        private readonly string[] _groups = policy.PersonGroups.Select(g => g.Id).Prepend("").ToArray();
        private static readonly string[] EventKinds = [.. LifeEventKinds.All];
        private static readonly DateOnly First = new(2023, 8, 1);

        public string AnyCode() => _codes[_random.Next(_codes.Length)];

        public PersonFacts Next()
        {
            var pay = First.AddDays(_random.Next(0, 560));
            var codes = new string[_random.Next(0, 4)];
            for (var i = 0; i < codes.Length; i++)
                codes[i] = AnyCode();
            var birth = _random.Next(5) == 0 ? (DateOnly?)null : pay.AddDays(-_random.Next(0, 90 * 366));
            LifeEventFact? lifeEvent = null;
            if (_random.Next(3) == 0)
            {
                var kind = EventKinds[_random.Next(EventKinds.Length)];
                var date = pay.AddDays(-_random.Next(0, 420));
                lifeEvent = new LifeEventFact(kind, date);
                if (kind == LifeEventKinds.Newborn)
                    birth = date;
            }
            return new PersonFacts
            {
                CoverageYear = policy.CoverageYear,
                Tier = _random.Next(0, policy.Tiers.Count + 1),
                PaymentDate = pay,
                PersonGroup = _groups[_random.Next(_groups.Length)],
                IdentityCodes = codes,
                BirthDate = birth,
                LifeEvent = lifeEvent,
                DisabilityGrade = _random.Next(4) == 0 ? _random.Next(1, 5) : null,
            };
        }
    }
}
