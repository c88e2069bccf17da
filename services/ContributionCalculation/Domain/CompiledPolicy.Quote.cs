using System.Text;
using ErrorReason = Medins.Contribution.V1.ErrorReason;

namespace Medins.ContributionCalculation.Domain;

// The hot path. No LINQ, no boxing, no per-call collections: identity states live on the stack, lookups hit the
// frozen tables built by the constructor, and the explanation is written into a per-thread StringBuilder.
public sealed partial class CompiledPolicy
{
    // Per input identity code: a member index (≥ 0) or why it does not count.
    private const int Unknown = -1;
    private const int Duplicate = -2;
    private const int OtherGroup = -3;
    private const int ConditionUnmet = -4;
    private const int NotInPeriod = -5;
    private const int StackLimit = 64;

    [ThreadStatic]
    private static StringBuilder? t_explanation;

    public QuoteOutcome Quote(PersonFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (facts.CoverageYear != CoverageYear)
            return QuoteOutcome.Refused(ErrorReason.CoverageYearMismatch,
                $"本政策适用于{CoverageYear}年度，不能计算{facts.CoverageYear}年度的缴费。");
        var groupIndex = ResolveGroup(facts.PersonGroup);
        if (groupIndex < 0)
            return QuoteOutcome.Refused(ErrorReason.UnknownPersonGroup, $"本政策没有人员类别“{facts.PersonGroup}”。");
        var group = _groups[groupIndex];
        var groupBit = 1UL << groupIndex;
        var requestedTier = facts.Tier == 0 ? DefaultTier : facts.Tier;
        if (requestedTier <= 0 || requestedTier >= group.Standard.Length || group.Standard[requestedTier] < 0)
            return QuoteOutcome.Refused(ErrorReason.UnknownTier, $"本政策没有第{facts.Tier}档。");

        var pay = facts.PaymentDate;
        var codes = facts.IdentityCodes;
        var codeCount = codes.Count;
        Span<int> state = codeCount <= StackLimit ? stackalloc int[codeCount] : new int[codeCount];
        var heldTags = ResolveIdentities(facts, codes, state, groupBit);

        // The life-event rule that applies: the first of the event's kind, for this group, within its window.
        var eventRule = -1;
        var eventKindRules = 0UL;
        var lifeEvent = facts.LifeEvent;
        if (lifeEvent is not null && _eventRulesByKind.TryGetValue(lifeEvent.Kind, out var candidates))
            foreach (var r in candidates)
            {
                var rule = _eventRules[r];
                if ((rule.Groups & groupBit) == 0)
                    continue;
                eventKindRules |= 1UL << r;
                if (eventRule < 0 && Within(rule, lifeEvent.Date, pay))
                    eventRule = r;
            }

        // The collection period: one open to this person's event or identity wins over a general one.
        var periods = _periodsByGroup[groupIndex];
        PeriodData? period = null;
        foreach (var p in periods)
        {
            if (pay < p.From || pay > p.To)
                continue;
            if (p.Qualified)
            {
                if ((eventRule >= 0 && (p.EventRules & 1UL << eventRule) != 0) || (p.Tags & heldTags) != 0)
                {
                    period = p;
                    break;
                }
            }
            else
                period ??= p;
        }
        if (period is null)
        {
            var next = NextOpening(periods, pay, eventKindRules, heldTags);
            return QuoteOutcome.Refused(ErrorReason.OutsideCollectionPeriod, OutsideMessage(group, pay, next), next);
        }
        if (period.DayFirst > 0 && (pay.Day < period.DayFirst || pay.Day > period.DayLast))
        {
            var next = pay.Day < period.DayFirst
                ? new DateOnly(pay.Year, pay.Month, period.DayFirst)
                : new DateOnly(pay.Year, pay.Month, 1).AddMonths(1).AddDays(period.DayFirst - 1);
            DateOnly? nextDay = next <= period.To ? next : NextOpening(periods, period.To, eventKindRules, heldTags);
            return QuoteOutcome.Refused(ErrorReason.SettlementDays, SettlementMessage(period, pay, nextDay), nextDay);
        }
        if (period.RefusalReason is not null)
            return QuoteOutcome.Refused(period.RefusalReason, $"{period.RefusalMessage}〔{period.Clause}〕", null);

        // A period opened by identity tags admits only the identities carrying them.
        if ((period.Tags & heldTags) != 0 && !(eventRule >= 0 && (period.EventRules & 1UL << eventRule) != 0))
            for (var i = 0; i < codeCount; i++)
                if (state[i] >= 0 && (_rules[_members[state[i]].Rule].Tags & period.Tags) == 0)
                    state[i] = NotInPeriod;

        // The identity that applies: never two subsidies.
        var best = -1;
        var bestTier = requestedTier;
        long bestSubsidy = 0, bestPersonal = 0;
        var bestCapped = false;
        var held = 0;
        for (var i = 0; i < codeCount; i++)
        {
            if (state[i] < 0)
                continue;
            held++;
            var member = _members[state[i]];
            var rule = _rules[member.Rule];
            var tier = requestedTier;
            if ((rule.AllowedTiers & 1 << tier) == 0)
            {
                if (rule.Restriction == TierRestriction.Refuse)
                    return QuoteOutcome.Refused(ErrorReason.TierNotAllowed, TierMessage(member, rule), null);
                tier = rule.ForcedTier;
            }
            var standard = group.Standard[tier];
            var amount = SubsidyAmount(rule, tier, group.Standard);
            var subsidy = Math.Min(amount, standard);
            // Ranked by the subsidy (seed 000 三（三） "按其参保缴费时的最高资助标准身份进行资助"); what she pays, surcharge
            // included, only breaks ties.
            var personal = standard - subsidy + (period.Surcharge && (rule.Tags & period.WaivedTags) == 0 ? FiscalSubsidyFen : 0);
            if (best < 0 || Better(state[i], personal, subsidy, best, bestPersonal, bestSubsidy))
            {
                best = state[i];
                bestTier = tier;
                bestSubsidy = subsidy;
                bestPersonal = personal;
                bestCapped = amount > standard;
            }
        }
        var bestRule = best >= 0 ? _rules[_members[best].Rule] : null;

        var funding = -1;
        var fundingClause = "";
        if (bestRule is not null)
        {
            funding = bestRule.Funding;
            foreach (var o in bestRule.Overrides)
                if (pay >= o.From && pay <= o.To && (o.Groups & groupBit) != 0)
                {
                    funding = o.Funding;
                    fundingClause = o.Clause;
                    break;
                }
        }

        var surcharge = 0L;
        var surchargeWaived = false;
        if (period.Surcharge)
        {
            if (bestRule is not null && (bestRule.Tags & period.WaivedTags) != 0)
                surchargeWaived = true;
            else
                surcharge = FiscalSubsidyFen;
        }

        // Benefit start: the period's rule, or the life event's when earlier; then the identity's waiting period,
        // the coverage year and the birth date bound it.
        var birth = facts.BirthDate ?? (lifeEvent is not null && lifeEvent.Kind == LifeEventKinds.Newborn ? lifeEvent.Date : null);
        var start = StartOf(period.Start, period.Parameter, pay, default);
        var fromEvent = false;
        var mayPrecede = false;
        var previousYear = 0;
        if (eventRule >= 0)
        {
            var rule = _eventRules[eventRule];
            if (rule.PreviousYearStandard is not null && lifeEvent!.Date.Year < pay.Year && lifeEvent.Date.Year < CoverageYear)
                previousYear = lifeEvent.Date.Year;
            if (rule.Start != StartRuleKind.None)
            {
                var eventStart = StartOf(rule.Start, rule.Parameter, pay, lifeEvent!.Date);
                if (eventStart < start)
                {
                    start = eventStart;
                    fromEvent = true;
                    mayPrecede = rule.MayPrecede || previousYear != 0;
                }
            }
        }
        var noWaiting = false;
        if (bestRule is not null && !bestRule.WaitingApplies && start > pay)
        {
            start = pay;
            noWaiting = true;
        }
        if (!mayPrecede && start < BenefitPeriodStart)
            start = BenefitPeriodStart;
        if (birth is { } born && start < born)
            start = born;
        if (start > BenefitPeriodEnd)
            return QuoteOutcome.Refused(ErrorReason.NoBenefitInCoverageYear, NoBenefitMessage(period, pay, start), null);
        var reference = mayPrecede || pay > BenefitPeriodStart ? pay : BenefitPeriodStart;
        var waitingDays = Math.Max(0, start.DayNumber - reference.DayNumber);

        // The birth year's part, when a newborn's birth and payment fall in different years (Gaoyang §二(五)2).
        long previousStandard = 0, previousSubsidy = 0;
        if (previousYear != 0)
        {
            var prices = _eventRules[eventRule].PreviousYearStandard!;
            previousStandard = prices[bestTier];
            if (bestRule is not null)
                previousSubsidy = Math.Min(SubsidyAmount(bestRule, bestTier, prices), previousStandard);
        }

        var standardTotal = group.Standard[bestTier] + previousStandard;
        var subsidyTotal = bestSubsidy + previousSubsidy;
        var personalTotal = Math.Max(0, standardTotal - subsidyTotal + surcharge);

        var lineCount = 1 + (previousYear != 0 ? 1 : 0) + (bestSubsidy > 0 ? 1 : 0) + (previousSubsidy > 0 ? 1 : 0) + (surcharge > 0 ? 1 : 0);
        var lines = new PricedLine[lineCount];
        var n = 0;
        lines[n++] = new PricedLine(PricedLineKind.Standard, "", group.Name + _tierNames[bestTier] + "个人缴费标准", group.Standard[bestTier], "");
        if (previousYear != 0)
            lines[n++] = new PricedLine(PricedLineKind.Standard, "", _eventRules[eventRule].PreviousYearLabel, previousStandard, "");
        if (bestSubsidy > 0)
            lines[n++] = new PricedLine(PricedLineKind.Subsidy, _members[best].Category, _members[best].SubsidyLabel, bestSubsidy, _fundingIds[funding]);
        if (previousSubsidy > 0)
            lines[n++] = new PricedLine(PricedLineKind.Subsidy, _members[best].Category, _members[best].SubsidyLabel, previousSubsidy, _fundingIds[funding]);
        if (surcharge > 0)
            lines[n] = new PricedLine(PricedLineKind.Surcharge, "", period.SurchargeLabel, surcharge, "");

        var sb = t_explanation ??= new StringBuilder(512);
        sb.Clear();
        sb.Append(_heading);
        sb.Append(group.Name).Append('（').Append(_tierNames[bestTier]).Append("）个人缴费标准").AppendYuan(group.Standard[bestTier]).Cite(group.Clause).Append('。');
        if (previousYear != 0)
        {
            sb.Append("新生儿出生与缴费跨两个年度，另缴").Append(previousYear).Append("年度个人缴费部分").AppendYuan(previousStandard);
            if (previousSubsidy > 0)
                sb.Append("（其中资助").AppendYuan(previousSubsidy).Append('）');
            sb.Cite(_eventRules[eventRule].PreviousYearClause).Append("，分别享受两个年度的待遇。");
        }
        if (best >= 0)
            ExplainIdentity(sb, codes, state, best, bestRule!, bestTier, requestedTier, bestSubsidy, bestCapped, funding, fundingClause, held, group);
        else
            ExplainIgnored(sb, codes, state, group);
        if (surcharge > 0)
            sb.Append(period.Label).Append("，加收当年财政补助").AppendYuan(surcharge).Cite(period.SurchargeClause).Append('。');
        else if (surchargeWaived)
        {
            sb.Append("当年财政补助部分");
            if (period.WaiverFunding >= 0)
                sb.Append("由").Append(_fundingNames[period.WaiverFunding]).Append("落实，");
            sb.Append("不向个人加收").Cite(period.SurchargeClause).Append('。');
        }
        sb.Append("个人应缴").AppendYuan(personalTotal);
        if (personalTotal == 0 && subsidyTotal > 0)
            sb.Append("（全额资助，个人零缴费）");
        sb.Append("。缴费日期").AppendChinese(pay).Append("，属").Append(period.Label).Cite(period.Clause);
        if (eventRule >= 0)
        {
            var rule = _eventRules[eventRule];
            sb.Append("；").Append(rule.Label).Cite(rule.Clause);
            if (!fromEvent && rule.Start != StartRuleKind.None)
                sb.Append("（按本期间规则待遇开始更早）");
            if (fromEvent && rule.GapCovered)
                sb.Append("，中断期间待遇追溯享受");
        }
        else if (lifeEvent is not null)
            ExplainUnusedEvent(sb, lifeEvent, eventKindRules);
        sb.Append("；待遇享受期").AppendChinese(start).Append('至').AppendChinese(BenefitPeriodEnd);
        if (waitingDays > 0)
            sb.Append("，等待期").Append(waitingDays).Append('天');
        if (noWaiting)
            sb.Append("；").Append(_members[best].Name).Append("参保不设待遇享受等待期").Cite(bestRule!.WaitingClause);
        sb.Append('。').Append(_closing);

        var quote = new PricedQuote(PolicyId, Version, CoverageYear, bestTier, group.Id, standardTotal, subsidyTotal, surcharge,
            personalTotal, start, BenefitPeriodEnd, waitingDays, lines, sb.ToString(),
            previousYear != 0 ? [previousYear] : [])
        {
            EnrolHouseholdTogether = EnrolHouseholdTogether,
        };
        return QuoteOutcome.Priced(quote);
    }

    private int ResolveGroup(string personGroup) =>
        string.IsNullOrEmpty(personGroup) ? _defaultGroup : _groupByName.TryGetValue(personGroup, out var g) ? g : -1;

    /// <summary>Marks each code with its member, or why it does not count; returns the tags of the counting ones.</summary>
    private ulong ResolveIdentities(PersonFacts facts, IReadOnlyList<string> codes, Span<int> state, ulong groupBit)
    {
        var tags = 0UL;
        for (var i = 0; i < state.Length; i++)
        {
            var code = codes[i];
            if (code is null || !_memberByCode.TryGetValue(code, out var member))
            {
                state[i] = Unknown;
                continue;
            }
            var duplicate = false;
            for (var j = 0; j < i && !duplicate; j++)
                duplicate = state[j] != Unknown && _memberByCode[codes[j]] == member;
            var rule = _rules[_members[member].Rule];
            if (duplicate)
                state[i] = Duplicate;
            else if ((rule.Groups & groupBit) == 0)
                state[i] = OtherGroup;
            else if (rule.Conditions.Length > 0 && !MeetsConditions(rule.Conditions, facts))
                state[i] = ConditionUnmet;
            else
            {
                state[i] = member;
                tags |= rule.Tags;
            }
        }
        return tags;
    }

    private static bool MeetsConditions(ConditionData[] conditions, PersonFacts facts)
    {
        var age = facts.BirthDate is { } birth ? AgeOn(birth, facts.PaymentDate) : -1;
        foreach (var c in conditions)
        {
            if ((c.MinAge >= 0 || c.MaxAge >= 0) && age < 0)
                continue;
            if (c.MinAge >= 0 && age < c.MinAge)
                continue;
            if (c.MaxAge >= 0 && age > c.MaxAge)
                continue;
            if (c.GradeMask != 0 && (facts.DisabilityGrade is not { } grade || grade is < 0 or > 30 || (c.GradeMask & 1 << grade) == 0))
                continue;
            return true;
        }
        return false;
    }

    private static int AgeOn(DateOnly birth, DateOnly day)
    {
        var age = day.Year - birth.Year;
        if (day.Month < birth.Month || (day.Month == birth.Month && day.Day < birth.Day))
            age--;
        return age;
    }

    private static bool Within(EventRuleData rule, DateOnly eventDate, DateOnly pay)
    {
        if (eventDate > pay)
            return false;
        if (rule.WithinDays >= 0 && pay.DayNumber - eventDate.DayNumber > rule.WithinDays)
            return false;
        return rule.WithinMonths < 0 || pay <= eventDate.AddMonths(rule.WithinMonths);
    }

    /// <summary>Import order: the later import stands. Otherwise (and within one import step) the highest subsidy, then
    /// the lower amount the person pays; ties keep the earlier row of the policy.</summary>
    private bool Better(int member, long personal, long subsidy, int best, long bestPersonal, long bestSubsidy)
    {
        var (rank, bestRank) = (_members[member].Rank, _members[best].Rank);
        if (_importOrder && rank != bestRank)
            return rank > bestRank;
        if (subsidy != bestSubsidy)
            return subsidy > bestSubsidy;
        return personal < bestPersonal || (personal == bestPersonal && member < best);
    }

    private static long SubsidyAmount(RuleData rule, int tier, long[] standards) => rule.Kind[tier] switch
    {
        SubsidyKind.Fixed => rule.Value[tier],
        SubsidyKind.Share => standards[tier] * rule.Value[tier] / 10_000,
        SubsidyKind.FullTier => Math.Max(0, standards[(int)rule.Value[tier]]),
        _ => 0,
    };

    private DateOnly StartOf(StartRuleKind rule, int parameter, DateOnly pay, DateOnly eventDate) => rule switch
    {
        StartRuleKind.BenefitPeriodStart => BenefitPeriodStart,
        StartRuleKind.FirstOfNextMonth => new DateOnly(pay.Year, pay.Month, 1).AddMonths(1),
        StartRuleKind.DaysAfterPayment => pay.AddDays(parameter),
        StartRuleKind.NthMonthCountingPaymentMonth => new DateOnly(pay.Year, pay.Month, 1).AddMonths(parameter - 1),
        StartRuleKind.PaymentDay => pay,
        StartRuleKind.DayAfterPayment => pay.AddDays(1),
        StartRuleKind.EventDate => eventDate,
        _ => BenefitPeriodStart,
    };

    /// <summary>The first day after <paramref name="after"/> on which a period this person may use opens.</summary>
    private static DateOnly? NextOpening(PeriodData[] periods, DateOnly after, ulong eventKindRules, ulong heldTags)
    {
        foreach (var p in periods)
            if (p.From > after && p.RefusalReason is null && (!p.Qualified || (p.EventRules & eventKindRules) != 0 || (p.Tags & heldTags) != 0))
                return p.From;
        return null;
    }

    private void ExplainIdentity(StringBuilder sb, IReadOnlyList<string> codes, Span<int> state, int best, RuleData rule, int tier,
        int requestedTier, long subsidy, bool capped, int funding, string fundingClause, int held, GroupData group)
    {
        var member = _members[best];
        sb.Append("资助身份：").Append(member.Name);
        if (!rule.Label.Contains(member.Name, StringComparison.Ordinal))
            sb.Append("（").Append(rule.Label).Append('）');
        if (subsidy > 0)
        {
            sb.Append("，资助").AppendYuan(subsidy);
            if (capped)
                sb.Append("（资助以本档标准为限）");
            sb.Append("，由").Append(_fundingNames[funding]).Append("承担");
        }
        else
            sb.Append("，本政策未定资助金额，暂不资助");
        sb.Cite(rule.Clause);
        if (fundingClause.Length > 0 && fundingClause != rule.Clause)
            sb.Cite(fundingClause);
        sb.Append('。');
        if (tier != requestedTier)
            sb.Append(member.Name).Append("按").Append(_tierNames[tier]).Append("参保").Cite(rule.RestrictionClause).Append('。');
        if (held > 1)
        {
            sb.Append("另持有身份");
            var first = true;
            for (var i = 0; i < state.Length; i++)
                if (state[i] >= 0 && state[i] != best)
                {
                    sb.Append(first ? "：" : "、").Append(_members[state[i]].Name);
                    first = false;
                }
            sb.Append("；多重身份").Append(_precedenceText).Append("，只享受一项资助，不重复享受").Cite(_precedenceClause).Append('。');
        }
        ExplainIgnored(sb, codes, state, group);
    }

    private void ExplainIgnored(StringBuilder sb, IReadOnlyList<string> codes, Span<int> state, GroupData group)
    {
        var first = true;
        for (var i = 0; i < state.Length; i++)
            if (state[i] == Unknown)
            {
                sb.Append(first ? "未纳入本政策的身份代码：" : "、").Append(codes[i]);
                first = false;
            }
        if (!first)
            sb.Append("（不予资助）。");
        for (var i = 0; i < state.Length; i++)
        {
            if (state[i] is Unknown or Duplicate || state[i] >= 0)
                continue;
            var member = _members[_memberByCode[codes[i]]];
            sb.Append("身份").Append(member.Name);
            var rule = _rules[member.Rule];
            switch (state[i])
            {
                case OtherGroup:
                    sb.Append("不适用于").Append(group.Name).Cite(rule.Clause);
                    break;
                case ConditionUnmet:
                    sb.Append("不符合资助条件（").Append(rule.ConditionText).Append('）').Cite(rule.Clause);
                    break;
                default:
                    sb.Append("不能在本期间参保缴费");
                    break;
            }
            sb.Append('。');
        }
    }

    private void ExplainUnusedEvent(StringBuilder sb, LifeEventFact lifeEvent, ulong eventKindRules)
    {
        if (LifeEventKinds.Names.TryGetValue(lifeEvent.Kind, out var name))
        {
            sb.Append("；").Append(name).Append('（').AppendChinese(lifeEvent.Date).Append('）');
            sb.Append(eventKindRules != 0 ? "已超出本政策规定的期限，按一般规则计算" : "在本政策中无特别规定，按一般规则计算");
        }
        else
            sb.Append("；事件类型“").Append(lifeEvent.Kind).Append("”未识别，按一般规则计算");
    }

    private string OutsideMessage(GroupData group, DateOnly pay, DateOnly? next)
    {
        var sb = new StringBuilder();
        sb.AppendChinese(pay).Append("不在").Append(group.Name).Append(CoverageYear).Append("年度的参保缴费期内");
        if (next is { } day)
            sb.Append("，下一个可缴费日为").AppendChinese(day);
        else
            sb.Append("，本年度已无可缴费的期间");
        return sb.Append('。').ToString();
    }

    private static string SettlementMessage(PeriodData period, DateOnly pay, DateOnly? next)
    {
        var sb = new StringBuilder();
        sb.AppendChinese(pay).Append("为费款结算期，不办理缴费业务（每月").Append(period.DayFirst).Append("日至").Append(period.DayLast)
            .Append("日为缴费时段）").Cite(period.DaysClause);
        if (next is { } day)
            sb.Append("，下一个可缴费日为").AppendChinese(day);
        else
            sb.Append("，本年度征缴期已结束");
        return sb.Append('。').ToString();
    }

    private string NoBenefitMessage(PeriodData period, DateOnly pay, DateOnly start) =>
        new StringBuilder().AppendChinese(pay).Append("缴费，按").Append(period.Label).Append("规则待遇自").AppendChinese(start)
            .Append("起享受，已超出").Append(CoverageYear).Append("年度待遇享受期").Cite(period.Clause).Append("，请参加下一年度参保。").ToString();

    private string TierMessage(MemberData member, RuleData rule)
    {
        var sb = new StringBuilder().Append(member.Name).Append("只能按");
        var first = true;
        for (var t = 1; t < _tierNames.Length; t++)
            if ((rule.AllowedTiers & 1 << t) != 0 && _tierNames[t] is { } name)
            {
                sb.Append(first ? "" : "、").Append(name);
                first = false;
            }
        return sb.Append("参保").Cite(rule.RestrictionClause).Append('。').ToString();
    }
}

internal static class CitationFormatting
{
    public static StringBuilder Cite(this StringBuilder sb, string clause) =>
        clause.Length == 0 ? sb : sb.Append('〔').Append(clause).Append('〕');
}
