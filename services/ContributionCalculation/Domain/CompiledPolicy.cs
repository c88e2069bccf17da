using System.Collections.Frozen;
using System.Text;

namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// A policy document parsed, validated and prepared for fast quoting. Built once per published version and
/// shared by every quote; <see cref="Quote"/> allocates nothing beyond its result.
/// </summary>
public sealed partial class CompiledPolicy
{
    /// <summary>The tenants this document applies to (Meishan's one policy serves each of its counties).</summary>
    public IReadOnlyList<string> TenantIds { get; }
    public int CoverageYear { get; }
    public string PolicyId { get; }
    public int Version { get; }
    public int DefaultTier { get; }
    /// <summary>Every eligible member of one household booklet must enrol together (Gaoyang).</summary>
    public bool EnrolHouseholdTogether { get; }

    /// <summary>The title of the document the policy encodes (for explanations and GetPolicy).</summary>
    public string PolicyName { get; }
    public DateOnly BenefitPeriodStart { get; }
    public DateOnly BenefitPeriodEnd { get; }
    /// <summary>The government's per-person subsidy of the year: informational, and charged as Lidu's July–September surcharge.</summary>
    public long FiscalSubsidyFen { get; }
    /// <summary>Basic insurance includes critical-illness insurance at no personal charge (Meishan §二(一)).</summary>
    public bool IncludesCriticalIllnessInsurance { get; }
    public IReadOnlyList<PolicyTierInfo> Tiers { get; }
    public IReadOnlyList<PersonGroupInfo> PersonGroups { get; }
    public IReadOnlyList<FundingSourceInfo> FundingSources { get; }
    public IReadOnlyList<IdentityInfo> Identities { get; }
    public IReadOnlyList<CollectionPeriodInfo> CollectionPeriods { get; }
    /// <summary>"highest-subsidy" or "import-order".</summary>
    public string PrecedenceRule { get; }
    public RefundRules Refunds { get; }
    public SupplementaryInsuranceOffer? SupplementaryInsurance { get; }
    /// <summary>What the bureau chose where the seed is silent, by JSON path (shown in the published document too).</summary>
    public IReadOnlyList<BureauParameter> BureauParameters { get; }

    /// <summary>Every problem in a policy document, each with its JSON path; empty when the document is valid.</summary>
    public static IReadOnlyList<PolicyError> Validate(string documentJson)
    {
        ArgumentNullException.ThrowIfNull(documentJson);
        var errors = new List<PolicyError>();
        if (PolicyReader.Read(documentJson, errors) is { } doc)
            PolicyValidator.Check(doc, errors);
        return errors;
    }

    /// <summary>
    /// Compiles a valid document; throws <see cref="PolicyInvalidException"/> listing every error otherwise. The id
    /// and version are those it is published under (empty and 0 when compiling a draft only to check it).
    /// </summary>
    public static CompiledPolicy Load(string documentJson, string policyId, int version)
    {
        ArgumentNullException.ThrowIfNull(documentJson);
        ArgumentNullException.ThrowIfNull(policyId);
        var errors = new List<PolicyError>();
        var doc = PolicyReader.Read(documentJson, errors);
        if (doc is not null)
            PolicyValidator.Check(doc, errors);
        if (doc is null || errors.Count > 0)
            throw new PolicyInvalidException(errors);
        return new CompiledPolicy(doc, policyId, version);
    }

    /// <summary>Finds an identity by canonical category or local code.</summary>
    public bool TryResolveIdentity(string code, out IdentityInfo identity)
    {
        if (_memberByCode.TryGetValue(code, out var index))
        {
            identity = Identities[index];
            return true;
        }
        identity = null!;
        return false;
    }

    /// <summary>
    /// Whether a paid contribution is refunded for <paramref name="reason"/> (one of <see cref="RefundReasons"/>): only
    /// reasons the policy lists and, where the policy says so, only when the event happened before benefits start —
    /// judged on <paramref name="eventDate"/>, the day of the death, enlistment or imprisonment, not on the day the
    /// refund is asked (seed 004 二（五）3 "在相应待遇享受期未开始前，因死亡、服役、服刑…"). <paramref name="refundableFen"/>
    /// is what is still the person's to get back (her payment less every differential refund made or pending); when
    /// nothing is left the enrolment still ends, with nothing to pay back.
    /// </summary>
    public RefundDecision DecideRefund(string reason, DateOnly eventDate, DateOnly benefitStart, long refundableFen)
    {
        if (!_refundReasons.Contains(reason))
            // No clause cited: the document states no such refund, so none of its clauses is the ground for refusing.
            return new(false, RefundDecisionReasons.ReasonNotInPolicy, 0,
                $"《{PolicyName}》未载明因“{RefundReasons.Names.GetValueOrDefault(reason, reason)}”退费，不予退费。");
        if (Refunds.OnlyBeforeBenefitStart && eventDate >= benefitStart)
            return new(false, RefundDecisionReasons.BenefitsStarted, 0,
                $"{Chinese(eventDate)}发生退费事由时待遇享受期已于{Chinese(benefitStart)}开始，不再退费{RefundCitation}。");
        if (refundableFen <= 0)
            return new(true, RefundDecisionReasons.Allowed, 0,
                $"暂停参保关系；个人缴费已无可退金额（未缴费或已全部退还），不再退费{RefundCitation}。");
        return new(true, RefundDecisionReasons.Allowed, refundableFen,
            $"暂停参保关系，依申请由税务部门退还个人缴费{ExactYuan(refundableFen)}{RefundCitation}。");
    }

    private string RefundCitation => Refunds.Clause.Length == 0 ? "" : $"〔{Refunds.Clause}〕";

    /// <summary>
    /// The refund owed when an identity is certified after the person paid: the paid personal amount less what the
    /// person would have paid holding the new identity on the same payment day — if the policy grants such refunds
    /// for a certification on <paramref name="certifiedOn"/> (during or after the concentrated collection period).
    /// </summary>
    public RefundDecision DecideDifferentialRefund(PricedQuote paid, PersonFacts factsWithNewIdentity, DateOnly certifiedOn)
    {
        ArgumentNullException.ThrowIfNull(paid);
        return DecideDifferentialRefund(paid.PolicyId, paid.PersonalFen, factsWithNewIdentity, certifiedOn);
    }

    /// <inheritdoc cref="DecideDifferentialRefund(PricedQuote, PersonFacts, DateOnly)"/>
    /// <param name="paidPolicyId">The policy that priced the payment.</param>
    /// <param name="paidPersonalFen">What the person paid herself.</param>
    public RefundDecision DecideDifferentialRefund(string paidPolicyId, long paidPersonalFen, PersonFacts factsWithNewIdentity,
        DateOnly certifiedOn)
    {
        ArgumentNullException.ThrowIfNull(factsWithNewIdentity);
        if (paidPolicyId != PolicyId)
            return new(false, RefundDecisionReasons.NotThisPolicy, 0, $"该缴费由政策{paidPolicyId}计价，不适用{PolicyId}。");
        var during = IsInConcentratedPeriod(factsWithNewIdentity.PersonGroup, certifiedOn);
        var granted = during ? Refunds.DifferentialRefundDuringCollectionPeriod : Refunds.DifferentialRefundAfterCollectionPeriod;
        if (!granted)
            return new(false, RefundDecisionReasons.NoDifferentialRefund, 0,
                $"资助参保后身份再次发生变化的，不再进行差额资助{RefundCitation}。");
        var requote = Quote(factsWithNewIdentity);
        if (requote.Quote is not { } now || now.PersonalFen >= paidPersonalFen)
            return new(false, RefundDecisionReasons.NothingToRefund, 0, "按新认定的身份计算，个人应缴金额未减少，无需退费。");
        var amount = paidPersonalFen - now.PersonalFen;
        return new(true, RefundDecisionReasons.Allowed, amount,
            $"{(during ? "集中征缴期间" : "集中征缴期结束后")}认定为资助对象，退还个人已缴与应缴之差{ExactYuan(amount)}{RefundCitation}。")
        {
            Requote = now,
        };
    }

    private bool IsInConcentratedPeriod(string personGroup, DateOnly day)
    {
        var group = ResolveGroup(personGroup);
        if (group < 0)
            return false;
        foreach (var period in _periodsByGroup[group])
            if (period.IsConcentrated && day >= period.From && day <= period.To)
                return true;
        return false;
    }

    // ---- Compiled form ---------------------------------------------------------------------------------------

    private sealed class GroupData
    {
        public required string Id;
        public required string Name;
        public required string Clause;
        /// <summary>Indexed by tier number; -1 where the tier is not offered.</summary>
        public required long[] Standard;
    }

    private sealed class RuleData
    {
        public required string Label;
        public required string Clause;
        /// <summary>Indexed by tier number.</summary>
        public required SubsidyKind[] Kind;
        public required long[] Value;
        public required int Funding;
        public required OverrideData[] Overrides;
        public required bool WaitingApplies;
        public required string WaitingClause;
        public required ulong Tags;
        public required ulong Groups;
        /// <summary>Bit t set when tier t is allowed; all bits when unrestricted.</summary>
        public required int AllowedTiers;
        public required TierRestriction Restriction;
        public required int ForcedTier;
        public required string RestrictionClause;
        public required ConditionData[] Conditions;
        public required string ConditionText;
    }

    private enum TierRestriction : byte { None, Force, Refuse }

    private readonly record struct OverrideData(DateOnly From, DateOnly To, ulong Groups, int Funding, string Clause);

    private readonly record struct ConditionData(int MinAge, int MaxAge, int GradeMask);

    private sealed class MemberData
    {
        public required int Rule;
        public required string Category;
        public required string Name;
        public required string SubsidyLabel;
        public required int Rank;
    }

    private sealed class EventRuleData
    {
        public required string Id;
        public required string Kind;
        public required string Label;
        public required string Clause;
        public required ulong Groups;
        public required int WithinDays;
        public required int WithinMonths;
        public required StartRuleKind Start;
        public required int Parameter;
        public required bool MayPrecede;
        public required bool GapCovered;
        public required long[]? PreviousYearStandard;
        public required string PreviousYearClause;
        public required string PreviousYearLabel;
    }

    private sealed class PeriodData
    {
        public required string Id;
        public required string Label;
        public required string Clause;
        public required bool IsConcentrated;
        public required DateOnly From;
        public required DateOnly To;
        public required ulong EventRules;
        public required ulong Tags;
        public required int DayFirst;
        public required int DayLast;
        public required string DaysClause;
        public required StartRuleKind Start;
        public required int Parameter;
        public required bool Surcharge;
        public required ulong WaivedTags;
        public required int WaiverFunding;
        public required string SurchargeClause;
        public required string SurchargeLabel;
        public required string? RefusalReason;
        public required string RefusalMessage;
        public bool Qualified => EventRules != 0 || Tags != 0;
    }

    private readonly string[] _tierNames;
    private readonly GroupData[] _groups;
    private readonly int _defaultGroup;
    private readonly FrozenDictionary<string, int> _groupByName;
    private readonly string[] _fundingIds;
    private readonly string[] _fundingNames;
    private readonly RuleData[] _rules;
    private readonly MemberData[] _members;
    private readonly FrozenDictionary<string, int> _memberByCode;
    private readonly bool _importOrder;
    private readonly string _precedenceText;
    private readonly string _precedenceClause;
    private readonly EventRuleData[] _eventRules;
    private readonly FrozenDictionary<string, int[]> _eventRulesByKind;
    private readonly PeriodData[][] _periodsByGroup;
    private readonly FrozenSet<string> _refundReasons;
    private readonly string _heading;
    private readonly string _closing;

    private CompiledPolicy(PolicyDocument doc, string policyId, int version)
    {
        PolicyId = policyId;
        Version = version;
        PolicyName = doc.Name!;
        TenantIds = doc.AppliesTo!.Select(t => t.Value).ToArray();
        CoverageYear = doc.CoverageYear!.Value;
        BenefitPeriodStart = doc.BenefitPeriod!.Start!.Value;
        BenefitPeriodEnd = doc.BenefitPeriod.End!.Value;
        FiscalSubsidyFen = doc.FiscalSubsidyFen!.Value;
        IncludesCriticalIllnessInsurance = doc.IncludesCriticalIllnessInsurance;
        EnrolHouseholdTogether = doc.EnrolHouseholdTogether;
        DefaultTier = doc.DefaultTier!.Value;

        var tierNodes = doc.Tiers!.OrderBy(t => t.Tier!.Value).ToList();
        var maxTier = tierNodes[^1].Tier!.Value;
        _tierNames = new string[maxTier + 1];
        foreach (var tier in tierNodes)
            _tierNames[tier.Tier!.Value] = tier.Name!;
        Tiers = tierNodes.Select(t => new PolicyTierInfo(t.Tier!.Value, t.Name!)).ToArray();

        // Person groups: a single group is the default even when not marked.
        var groupNodes = doc.PersonGroups!;
        _groups = new GroupData[groupNodes.Count];
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var g = 0; g < groupNodes.Count; g++)
        {
            var standard = new long[maxTier + 1];
            Array.Fill(standard, -1);
            foreach (var (tier, amount, _) in groupNodes[g].StandardFen!.Entries)
                standard[tier] = amount.Value;
            _groups[g] = new GroupData { Id = groupNodes[g].Id!.Value, Name = groupNodes[g].Name!, Clause = groupNodes[g].Clause!, Standard = standard };
            groupIndex[_groups[g].Id] = g;
            if (groupNodes[g].IsDefault)
                _defaultGroup = g;
        }
        _groupByName = groupIndex.ToFrozenDictionary(StringComparer.Ordinal);
        PersonGroups = _groups.Select((g, i) => new PersonGroupInfo(g.Id, g.Name, i == _defaultGroup,
            Enumerable.Range(1, maxTier).Where(t => g.Standard[t] >= 0).ToFrozenDictionary(t => t, t => g.Standard[t]), g.Clause)).ToArray();
        ulong GroupMask(List<Located<string>>? names) =>
            names is null || names.Count == 0 ? ulong.MaxValue : names.Aggregate(0UL, (mask, n) => mask | 1UL << groupIndex[n.Value]);

        _fundingIds = doc.FundingSources!.Select(f => f.Id!.Value).ToArray();
        _fundingNames = doc.FundingSources!.Select(f => f.Name!).ToArray();
        FundingSources = _fundingIds.Select((id, i) => new FundingSourceInfo(id, _fundingNames[i])).ToArray();
        int Funding(string id) => Array.IndexOf(_fundingIds, id);

        var tagIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        ulong TagMask(List<Located<string>>? tags)
        {
            var mask = 0UL;
            foreach (var tag in tags ?? [])
            {
                if (!tagIndex.TryGetValue(tag.Value, out var bit))
                    tagIndex[tag.Value] = bit = tagIndex.Count;
                mask |= 1UL << bit;
            }
            return mask;
        }

        // Identities: one rule per row, one member per canonical category; codes resolve to members.
        var precedence = doc.Precedence!;
        _importOrder = precedence.Rule!.Value == "import-order";
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        if (_importOrder)
            for (var step = 0; step < precedence.ImportOrder!.Count; step++)
                foreach (var code in precedence.ImportOrder[step])
                    rank[code.Value] = step;
        _precedenceText = _importOrder ? "按导盘顺序确定（后导入的身份覆盖先导入的身份）" : "按缴费时最高资助标准的身份资助（就高不就低）";
        _precedenceClause = precedence.Clause ?? "";

        var rules = new List<RuleData>();
        var members = new List<MemberData>();
        var identities = new List<IdentityInfo>();
        var memberByCode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in doc.Identities!)
        {
            var kinds = new SubsidyKind[maxTier + 1];
            var values = new long[maxTier + 1];
            foreach (var (tier, subsidy, _) in node.Subsidy!.Entries)
            {
                kinds[tier] = subsidy.Kind;
                values[tier] = subsidy.Value;
            }
            var allowed = node.TierRestriction?.AllowedTiers?.Aggregate(0, (mask, t) => mask | 1 << t.Value) ?? -1;
            var restriction = node.TierRestriction is null ? TierRestriction.None
                : node.TierRestriction.Otherwise!.Value == "force" ? TierRestriction.Force : TierRestriction.Refuse;
            var rule = new RuleData
            {
                Label = node.Label!,
                Clause = node.Clause!,
                Kind = kinds,
                Value = values,
                Funding = Funding(node.FundingSource!.Value),
                Overrides = (node.FundingOverrides ?? []).Select(o => new OverrideData(o.From!.Value, o.To!.Value,
                    GroupMask(o.PersonGroups), Funding(o.FundingSource!.Value), o.Clause!)).ToArray(),
                WaitingApplies = node.WaitingPeriodApplies,
                WaitingClause = node.WaitingPeriodClause ?? "",
                Tags = TagMask(node.Tags),
                Groups = GroupMask(node.PersonGroups),
                AllowedTiers = allowed,
                Restriction = restriction,
                ForcedTier = restriction == TierRestriction.Force ? node.TierRestriction!.AllowedTiers!.Min(t => t.Value) : 0,
                RestrictionClause = node.TierRestriction?.Clause ?? "",
                Conditions = (node.Conditions ?? []).Select(c => new ConditionData(c.MinAge ?? -1, c.MaxAge ?? -1,
                    (c.DisabilityGrades ?? []).Aggregate(0, (mask, g) => mask | 1 << g))).ToArray(),
                ConditionText = ConditionText(node.Conditions),
            };
            rules.Add(rule);
            foreach (var member in node.Members!)
            {
                var category = member.Category!.Value;
                var name = member.Name ?? IdentityCategories.All.GetValueOrDefault(category, category);
                var codes = member.LocalCodes!.Select(c => c.Value).ToArray();
                var memberRank = _importOrder ? codes.Prepend(category).Where(rank.ContainsKey).Select(c => rank[c]).First() : -1;
                memberByCode[category] = members.Count;
                foreach (var code in codes)
                    memberByCode[code] = members.Count;
                members.Add(new MemberData { Rule = rules.Count - 1, Category = category, Name = name, SubsidyLabel = name + "资助", Rank = memberRank });
                identities.Add(new IdentityInfo(category, name, codes, rule.Label, _fundingIds[rule.Funding], rule.WaitingApplies,
                    (node.Tags ?? []).Select(t => t.Value).ToArray(), (node.PersonGroups ?? []).Select(g => g.Value).ToArray(),
                    _importOrder ? memberRank : null, rule.Clause));
            }
        }
        _rules = rules.ToArray();
        _members = members.ToArray();
        _memberByCode = memberByCode.ToFrozenDictionary(StringComparer.Ordinal);
        Identities = identities.ToArray();
        PrecedenceRule = precedence.Rule.Value;

        var eventRules = doc.LifeEventRules ?? [];
        var eventIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        _eventRules = new EventRuleData[eventRules.Count];
        for (var e = 0; e < eventRules.Count; e++)
        {
            var node = eventRules[e];
            long[]? previous = null;
            if (node.BirthYearPart?.PreviousYearStandardFen is { } prev)
            {
                previous = new long[maxTier + 1];
                foreach (var (tier, amount, _) in prev.Entries)
                    previous[tier] = amount.Value;
            }
            _eventRules[e] = new EventRuleData
            {
                Id = node.Id!.Value,
                Kind = node.Event!.Value,
                Label = node.Label!,
                Clause = node.Clause!,
                Groups = GroupMask(node.PersonGroups),
                WithinDays = node.WithinDays?.Value ?? -1,
                WithinMonths = node.WithinMonths?.Value ?? -1,
                Start = node.BenefitStart?.Kind ?? StartRuleKind.None,
                Parameter = node.BenefitStart?.Parameter ?? 0,
                MayPrecede = node.StartMayPrecedeCoverageYear,
                GapCovered = node.GapCovered,
                PreviousYearStandard = previous,
                PreviousYearClause = node.BirthYearPart?.Clause ?? "",
                PreviousYearLabel = $"{CoverageYear - 1}年度个人缴费部分（新生儿跨年度参保）",
            };
            eventIndex[_eventRules[e].Id] = e;
        }
        _eventRulesByKind = _eventRules.Select((r, i) => (r.Kind, i)).GroupBy(x => x.Kind, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.i).ToArray(), StringComparer.Ordinal);

        var periodNodes = doc.CollectionPeriods!;
        var periods = periodNodes.Select(p => new PeriodData
        {
            Id = p.Id!.Value,
            Label = p.Label!,
            Clause = p.Clause!,
            IsConcentrated = p.Kind!.Value == "concentrated",
            From = p.From!.Value,
            To = p.To!.Value,
            EventRules = (p.OpenToLifeEventRules ?? []).Aggregate(0UL, (mask, r) => mask | 1UL << eventIndex[r.Value]),
            Tags = TagMask(p.OpenToIdentityTags),
            DayFirst = p.PaymentDayFirst?.Value ?? 0,
            DayLast = p.PaymentDayLast?.Value ?? 0,
            DaysClause = p.PaymentDaysClause ?? "",
            Start = p.BenefitStart?.Kind ?? StartRuleKind.None,
            Parameter = p.BenefitStart?.Parameter ?? 0,
            Surcharge = p.Surcharge?.FiscalSubsidy ?? false,
            WaivedTags = TagMask(p.Surcharge?.WaivedForTags),
            WaiverFunding = p.Surcharge?.WaiverFundingSource is { } wf ? Funding(wf.Value) : -1,
            SurchargeClause = p.Surcharge?.Clause ?? "",
            SurchargeLabel = $"加收当年财政补助（{p.Label}）",
            RefusalReason = p.Refusal?.Reason,
            RefusalMessage = p.Refusal?.Message ?? "",
        }).ToArray();
        _periodsByGroup = new PeriodData[_groups.Length][];
        for (var g = 0; g < _groups.Length; g++)
        {
            var bit = 1UL << g;
            _periodsByGroup[g] = periods.Where((_, i) => (GroupMask(periodNodes[i].PersonGroups) & bit) != 0).OrderBy(p => p.From).ToArray();
        }
        CollectionPeriods = periodNodes.Select((p, i) => new CollectionPeriodInfo(periods[i].Id, periods[i].Label, p.Kind!.Value,
            periods[i].From, periods[i].To, (p.PersonGroups ?? []).Select(g => g.Value).ToArray(), periods[i].Qualified,
            periods[i].RefusalReason, periods[i].Clause)).ToArray();

        var refunds = doc.Refunds!;
        Refunds = new RefundRules(refunds.Reasons!.Select(r => r.Value).ToArray(), refunds.OnlyBeforeBenefitStart,
            refunds.DifferentialDuringCollection, refunds.DifferentialAfterCollection, refunds.Clause ?? "");
        _refundReasons = Refunds.Reasons.ToFrozenSet(StringComparer.Ordinal);
        BureauParameters = doc.BureauParameters.ToArray();
        if (doc.SupplementaryInsurance is { } si)
            SupplementaryInsurance = new SupplementaryInsuranceOffer(si.Name!, si.Voluntary, si.AfterBasicContributionPaid, si.Clause ?? "");

        _heading = PolicyId.Length == 0 ? $"按《{PolicyName}》计算：" : $"按《{PolicyName}》（{PolicyId}，第{Version}版）计算：";
        var closing = new StringBuilder();
        if (IncludesCriticalIllnessInsurance)
            closing.Append("参加基本医疗保险即自动参加大病保险，个人无需另缴。");
        if (SupplementaryInsurance is { } offer)
            closing.Append("完成基本医疗保险个人缴费后，可").Append(offer.Voluntary ? "自愿" : "").Append("参加").Append(offer.Name)
                .Cite(offer.Clause).Append('。');
        _closing = closing.ToString();
    }

    private static string ConditionText(List<ConditionNode>? conditions)
    {
        if (conditions is null || conditions.Count == 0)
            return "";
        var parts = conditions.Select(c =>
        {
            var words = new List<string>();
            if (c.MinAge is { } min)
                words.Add($"年满{min}周岁");
            if (c.MaxAge is { } max)
                words.Add($"未满{max + 1}周岁");
            if (c.DisabilityGrades is { } grades)
                words.Add($"残疾等级为{string.Join("、", grades)}级");
            return string.Join("且", words);
        });
        return "须" + string.Join("或", parts);
    }

    /// <summary>Money paid back is stated to the fen: 3800 → "38.00元".</summary>
    private static string ExactYuan(long fen) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{fen / 100}.{fen % 100:D2}元");

    private static string Chinese(DateOnly date) => new StringBuilder().AppendChinese(date).ToString();
}

public sealed class PolicyInvalidException(IReadOnlyList<PolicyError> errors)
    : Exception("The policy document is invalid: " + string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}")))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}

internal static class ExplanationFormatting
{
    /// <summary>Fen as yuan the way a clerk says it: 38000 → "380元", 35050 → "350.5元".</summary>
    public static StringBuilder AppendYuan(this StringBuilder sb, long fen)
    {
        sb.Append(fen / 100);
        var rest = fen % 100;
        if (rest != 0)
        {
            sb.Append('.').Append((char)('0' + rest / 10));
            if (rest % 10 != 0)
                sb.Append((char)('0' + rest % 10));
        }
        return sb.Append('元');
    }

    public static StringBuilder AppendChinese(this StringBuilder sb, DateOnly date) =>
        sb.Append(date.Year).Append('年').Append(date.Month).Append('月').Append(date.Day).Append('日');
}
