namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// The semantic checks of a policy document that a JSON Schema cannot express: references between sections, amounts
/// against standards, overlapping periods, duplicate codes, sensible dates. Runs after <see cref="PolicyReader"/>
/// and skips what the reader already reported missing.
/// </summary>
internal static class PolicyValidator
{
    private static readonly string[] PeriodKinds = ["concentrated", "mid-year", "special"];

    public static void Check(PolicyDocument doc, List<PolicyError> errors)
    {
        var year = doc.CoverageYear?.Value;
        CheckAppliesTo(doc, errors);
        if (doc.BenefitPeriod is { } bp && year is { } y)
        {
            if (bp.Start is { } s && s.Value.Year != y)
                errors.Add(new(s.Path, $"must fall in coverage year {y}"));
            if (bp.End is { } e && e.Value.Year != y)
                errors.Add(new(e.Path, $"must fall in coverage year {y}"));
            if (bp is { Start: { } s2, End: { } e2 } && e2.Value < s2.Value)
                errors.Add(new(e2.Path, "must not be before start"));
        }

        var tiers = new HashSet<int>();
        foreach (var tier in doc.Tiers ?? [])
            if (tier.Tier is { } t && !tiers.Add(t.Value))
                errors.Add(new(t.Path, $"tier {t.Value} is declared twice"));
        if (doc.Tiers is { Count: 0 })
            errors.Add(new("$.tiers", "must declare at least one tier"));
        if (doc.DefaultTier is { } dt && doc.Tiers is not null && !tiers.Contains(dt.Value))
            errors.Add(new(dt.Path, $"names tier {dt.Value}, which the policy does not declare"));

        var groups = CheckGroups(doc, tiers, errors);
        var funding = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in doc.FundingSources ?? [])
            if (source.Id is { } id && !funding.Add(id.Value))
                errors.Add(new(id.Path, $"funding source '{id.Value}' is declared twice"));

        var identityTags = CheckIdentities(doc, tiers, groups, funding, year, errors);
        // The compiled form keeps groups, tags and life-event rules as bits of one 64-bit mask.
        if (doc.PersonGroups is { Count: > 64 })
            errors.Add(new("$.personGroups", "at most 64 person groups"));
        if (identityTags.Count > 64)
            errors.Add(new("$.identities", "at most 64 distinct identity tags"));
        if (doc.LifeEventRules is { Count: > 64 })
            errors.Add(new("$.lifeEventRules", "at most 64 life-event rules"));
        CheckPrecedence(doc, errors);
        var eventRules = CheckLifeEventRules(doc, tiers, groups, errors);
        CheckPeriods(doc, groups, eventRules, identityTags, funding, year, errors);

        if (doc.Refunds?.Reasons is { } reasons)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var reason in reasons)
            {
                if (!RefundReasons.All.Contains(reason.Value))
                    errors.Add(new(reason.Path, $"unknown refund reason '{reason.Value}'; expected one of {string.Join(", ", RefundReasons.All.Order())}"));
                else if (!seen.Add(reason.Value))
                    errors.Add(new(reason.Path, $"refund reason '{reason.Value}' is listed twice"));
            }
        }
    }

    private static void CheckAppliesTo(PolicyDocument doc, List<PolicyError> errors)
    {
        if (doc.AppliesTo is null)
            return;
        if (doc.AppliesTo.Count == 0)
            errors.Add(new(doc.AppliesToPath, "must name at least one tenant"));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tenant in doc.AppliesTo)
        {
            if (!PolicyReader.Slug().IsMatch(tenant.Value))
                errors.Add(new(tenant.Path, "must be a tenant id such as cq-lidu"));
            else if (!seen.Add(tenant.Value))
                errors.Add(new(tenant.Path, $"tenant '{tenant.Value}' is listed twice"));
        }
    }

    /// <summary>Returns the declared groups with each one's standard by tier, for the checks that follow.</summary>
    private static Dictionary<string, Dictionary<int, long>> CheckGroups(PolicyDocument doc, HashSet<int> tiers, List<PolicyError> errors)
    {
        var groups = new Dictionary<string, Dictionary<int, long>>(StringComparer.Ordinal);
        var defaults = 0;
        foreach (var group in doc.PersonGroups ?? [])
        {
            if (group.IsDefault)
                defaults++;
            var standards = new Dictionary<int, long>();
            if (group.StandardFen is { } map)
            {
                foreach (var (tier, amount, path) in map.Entries)
                {
                    if (!tiers.Contains(tier))
                        errors.Add(new(path, $"names tier {tier}, which the policy does not declare"));
                    else
                        standards[tier] = amount.Value;
                }
                if (doc.Tiers is not null)
                    foreach (var tier in tiers.Order())
                        if (!map.Keys.Contains(tier))
                            errors.Add(new($"{map.Path}.tier{tier}", "is required: every person group prices every tier"));
            }
            if (group.Id is { } id && !groups.TryAdd(id.Value, standards))
                errors.Add(new(id.Path, $"person group '{id.Value}' is declared twice"));
        }
        if (doc.PersonGroups is { Count: 0 })
            errors.Add(new("$.personGroups", "must declare at least one person group"));
        else if (doc.PersonGroups is { Count: > 1 } && defaults != 1)
            errors.Add(new("$.personGroups", $"exactly one person group must be the default (found {defaults})"));
        return groups;
    }

    private static HashSet<string> CheckIdentities(PolicyDocument doc, HashSet<int> tiers,
        Dictionary<string, Dictionary<int, long>> groups, HashSet<string> funding, int? year, List<PolicyError> errors)
    {
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        var tags = new HashSet<string>(StringComparer.Ordinal);
        void Code(Located<string> code)
        {
            if (!codes.TryAdd(code.Value, code.Path))
                errors.Add(new(code.Path, $"code '{code.Value}' is already used at {codes[code.Value]}"));
        }

        foreach (var identity in doc.Identities ?? [])
        {
            foreach (var member in identity.Members ?? [])
            {
                if (member.Category is { } category)
                {
                    if (!IdentityCategories.IsKnown(category.Value))
                        errors.Add(new(category.Path, $"unknown canonical category '{category.Value}'; use the shared vocabulary or a '{IdentityCategories.LocalPrefix}' name"));
                    Code(category);
                }
                foreach (var local in member.LocalCodes ?? [])
                    Code(local);
            }
            foreach (var tag in identity.Tags ?? [])
                tags.Add(tag.Value);
            CheckGroupRefs(identity.PersonGroups, groups, errors);

            // The standards this identity can meet, per tier: the largest over the groups it applies to.
            var applicable = identity.PersonGroups is { Count: > 0 } named
                ? named.Where(g => groups.ContainsKey(g.Value)).Select(g => groups[g.Value]).ToList()
                : groups.Values.ToList();
            // A group whose standard is missing or malformed (already reported) gives no bound.
            long MaxStandard(int tier) => applicable.Count == 0 || applicable.Exists(s => !s.ContainsKey(tier))
                ? long.MaxValue
                : applicable.Max(s => s[tier]);

            var allowed = identity.TierRestriction?.AllowedTiers?.Select(t => t.Value).ToHashSet() ?? tiers;
            if (identity.Subsidy is { } subsidy)
            {
                foreach (var (tier, value, path) in subsidy.Entries)
                {
                    if (!tiers.Contains(tier))
                    {
                        errors.Add(new(path, $"names tier {tier}, which the policy does not declare"));
                        continue;
                    }
                    var amount = value.Kind switch
                    {
                        SubsidyKind.Fixed => value.Value,
                        SubsidyKind.FullTier when tiers.Contains((int)value.Value) => MaxStandard((int)value.Value),
                        _ => 0,
                    };
                    if (value.Kind == SubsidyKind.FullTier && !tiers.Contains((int)value.Value))
                        errors.Add(new(value.Path, $"names tier {value.Value}, which the policy does not declare"));
                    else if (amount > MaxStandard(tier) && doc.PersonGroups is not null)
                        errors.Add(new(path, $"subsidy of {amount} fen exceeds the tier-{tier} standard of {MaxStandard(tier)} fen"));
                }
                foreach (var tier in allowed.Where(tiers.Contains).Order())
                    if (!subsidy.Keys.Contains(tier))
                        errors.Add(new($"{subsidy.Path}.tier{tier}", $"is required: the identity may enrol in tier {tier}"));
            }
            if (identity.FundingSource is { } fs && doc.FundingSources is not null && !funding.Contains(fs.Value))
                errors.Add(new(fs.Path, $"names funding source '{fs.Value}', which $.fundingSources does not declare"));
            foreach (var over in identity.FundingOverrides ?? [])
            {
                CheckRange(over.From, over.To, year, errors);
                CheckGroupRefs(over.PersonGroups, groups, errors);
                if (over.FundingSource is { } ofs && doc.FundingSources is not null && !funding.Contains(ofs.Value))
                    errors.Add(new(ofs.Path, $"names funding source '{ofs.Value}', which $.fundingSources does not declare"));
            }
            if (identity.TierRestriction is { } restriction)
            {
                foreach (var tier in restriction.AllowedTiers ?? [])
                    if (!tiers.Contains(tier.Value))
                        errors.Add(new(tier.Path, $"names tier {tier.Value}, which the policy does not declare"));
                if (restriction.Otherwise is { } otherwise && otherwise.Value is not ("force" or "refuse"))
                    errors.Add(new(otherwise.Path, "must be force (enrol in the first allowed tier) or refuse (TIER_NOT_ALLOWED)"));
            }
            foreach (var condition in identity.Conditions ?? [])
            {
                if (condition is { MinAge: null, MaxAge: null, DisabilityGrades: null })
                    errors.Add(new(condition.Path, "must set minAge, maxAge or disabilityGrades"));
                if (condition is { MinAge: { } min, MaxAge: { } max } && min > max)
                    errors.Add(new(condition.Path + ".maxAge", "must not be below minAge"));
            }
        }
        return tags;
    }

    private static void CheckPrecedence(PolicyDocument doc, List<PolicyError> errors)
    {
        if (doc.Precedence is not { } precedence || precedence.Rule is not { } rule)
            return;
        if (rule.Value == "highest-subsidy")
        {
            if (precedence.ImportOrder is not null)
                errors.Add(new(precedence.ImportOrderPath, "only the import-order rule takes an import order"));
            return;
        }
        if (rule.Value != "import-order")
        {
            errors.Add(new(rule.Path, "must be highest-subsidy or import-order"));
            return;
        }
        if (precedence.ImportOrder is null)
        {
            errors.Add(new(precedence.ImportOrderPath, "is required for the import-order rule"));
            return;
        }
        // Each member must appear exactly once, by its category or one of its local codes.
        var memberOf = new Dictionary<string, MemberNode>(StringComparer.Ordinal);
        var members = (doc.Identities ?? []).SelectMany(i => i.Members ?? []).ToList();
        foreach (var member in members)
        {
            if (member.Category is { } c)
                memberOf.TryAdd(c.Value, member);
            foreach (var local in member.LocalCodes ?? [])
                memberOf.TryAdd(local.Value, member);
        }
        var placed = new HashSet<MemberNode>();
        foreach (var step in precedence.ImportOrder)
            foreach (var code in step)
            {
                if (!memberOf.TryGetValue(code.Value, out var member))
                    errors.Add(new(code.Path, $"code '{code.Value}' is not an identity of this policy"));
                else if (!placed.Add(member))
                    errors.Add(new(code.Path, $"identity '{member.Category?.Value}' is already placed in the import order"));
            }
        foreach (var member in members.Where(m => !placed.Contains(m)))
            errors.Add(new(precedence.ImportOrderPath, $"identity '{member.Category?.Value}' ({member.Path}) is missing from the import order"));
    }

    private static Dictionary<string, LifeEventRuleNode> CheckLifeEventRules(PolicyDocument doc, HashSet<int> tiers,
        Dictionary<string, Dictionary<int, long>> groups, List<PolicyError> errors)
    {
        var rules = new Dictionary<string, LifeEventRuleNode>(StringComparer.Ordinal);
        foreach (var rule in doc.LifeEventRules ?? [])
        {
            if (rule.Id is { } id && !rules.TryAdd(id.Value, rule))
                errors.Add(new(id.Path, $"life-event rule '{id.Value}' is declared twice"));
            if (rule.Event is { } ev && !LifeEventKinds.All.Contains(ev.Value))
                errors.Add(new(ev.Path, $"unknown life event '{ev.Value}'; expected one of {string.Join(", ", LifeEventKinds.All.Order())}"));
            CheckGroupRefs(rule.PersonGroups, groups, errors);
            if (rule is { WithinDays: not null, WithinMonths: { } months })
                errors.Add(new(months.Path, "give withinDays or withinMonths, not both"));
            if (rule.BenefitStart is { Kind: StartRuleKind.BenefitPeriodStart } start)
                errors.Add(new(start.Path, "a life-event rule starts benefits relative to payment or the event, not at the benefit period start"));
            if (rule.BirthYearPart is { } part)
            {
                if (rule.Event is { } e && e.Value != LifeEventKinds.Newborn)
                    errors.Add(new(part.Path, "only a newborn rule charges the birth year's part"));
                if (part.PreviousYearStandardFen is { } map)
                {
                    foreach (var (tier, _, path) in map.Entries)
                        if (!tiers.Contains(tier))
                            errors.Add(new(path, $"names tier {tier}, which the policy does not declare"));
                    foreach (var tier in tiers.Order())
                        if (!map.Keys.Contains(tier))
                            errors.Add(new($"{map.Path}.tier{tier}", "is required: the birth year's part is priced for every tier"));
                }
            }
        }
        return rules;
    }

    private static void CheckPeriods(PolicyDocument doc, Dictionary<string, Dictionary<int, long>> groups,
        Dictionary<string, LifeEventRuleNode> eventRules, HashSet<string> identityTags, HashSet<string> funding, int? year,
        List<PolicyError> errors)
    {
        var periods = doc.CollectionPeriods ?? [];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var period in periods)
        {
            if (period.Id is { } id && !ids.Add(id.Value))
                errors.Add(new(id.Path, $"collection period '{id.Value}' is declared twice"));
            if (period.Kind is { } kind && Array.IndexOf(PeriodKinds, kind.Value) < 0)
                errors.Add(new(kind.Path, "must be concentrated, mid-year or special"));
            CheckGroupRefs(period.PersonGroups, groups, errors);
            CheckRange(period.From, period.To, year, errors);
            foreach (var rule in period.OpenToLifeEventRules ?? [])
                if (doc.LifeEventRules is not null && !eventRules.ContainsKey(rule.Value))
                    errors.Add(new(rule.Path, $"names life-event rule '{rule.Value}', which $.lifeEventRules does not declare"));
            foreach (var tag in period.OpenToIdentityTags ?? [])
                if (doc.Identities is not null && !identityTags.Contains(tag.Value))
                    errors.Add(new(tag.Path, $"no identity carries the tag '{tag.Value}'"));
            if (period is { PaymentDayFirst: { } first, PaymentDayLast: { } last } && last.Value < first.Value)
                errors.Add(new(last.Path, "must not be before first"));
            if (period.Refusal is not null && period.BenefitStart is not null)
                errors.Add(new(period.Path + ".benefitStart", "a refusing period starts no benefits"));
            if (period.Refusal is null && period.BenefitStart is null)
                errors.Add(new(period.Path + ".benefitStart", "is required (or give a refusal)"));
            if (period.BenefitStart is { Kind: StartRuleKind.EventDate } eventStart)
                errors.Add(new(eventStart.Path, "event-date belongs to a life-event rule"));
            if (period.Surcharge is { } surcharge)
            {
                foreach (var tag in surcharge.WaivedForTags ?? [])
                    if (doc.Identities is not null && !identityTags.Contains(tag.Value))
                        errors.Add(new(tag.Path, $"no identity carries the tag '{tag.Value}'"));
                if (surcharge.WaiverFundingSource is { } wf && doc.FundingSources is not null && !funding.Contains(wf.Value))
                    errors.Add(new(wf.Path, $"names funding source '{wf.Value}', which $.fundingSources does not declare"));
                if (surcharge.WaiverFundingSource is not null && surcharge.WaivedForTags is null)
                    errors.Add(new(surcharge.Path + ".waivedForTags", "is required when a waiver funding source is given"));
            }
        }

        // Two periods overlap when they share a person group and admit the same people (same openTo) on a common day.
        for (var j = 0; j < periods.Count; j++)
            for (var i = 0; i < j; i++)
            {
                var (a, b) = (periods[i], periods[j]);
                if (a is not { From: { } af, To: { } at } || b is not { From: { } bf, To: { } bt })
                    continue;
                if (bf.Value > at.Value || af.Value > bt.Value || QualifierKey(a) != QualifierKey(b))
                    continue;
                var shared = SharedGroup(a, b, groups);
                if (shared is not null)
                    errors.Add(new(bf.Path, $"overlaps collection period '{a.Id?.Value}' ({a.Path}) for person group '{shared}'"));
            }

        foreach (var group in groups.Keys)
            if (periods.Count > 0 && !periods.Exists(p => p.Refusal is null && AppliesTo(p.PersonGroups, group)))
                errors.Add(new("$.collectionPeriods", $"person group '{group}' has no collection period"));
    }

    private static string QualifierKey(CollectionPeriodNode period) =>
        string.Join(",", (period.OpenToLifeEventRules ?? []).Select(r => "event:" + r.Value)
            .Concat((period.OpenToIdentityTags ?? []).Select(t => "tag:" + t.Value)).Order(StringComparer.Ordinal));

    private static string? SharedGroup(CollectionPeriodNode a, CollectionPeriodNode b, Dictionary<string, Dictionary<int, long>> groups) =>
        groups.Keys.Order(StringComparer.Ordinal).FirstOrDefault(g => AppliesTo(a.PersonGroups, g) && AppliesTo(b.PersonGroups, g));

    private static bool AppliesTo(List<Located<string>>? groups, string group) =>
        groups is null || groups.Count == 0 || groups.Exists(g => g.Value == group);

    private static void CheckGroupRefs(List<Located<string>>? refs, Dictionary<string, Dictionary<int, long>> groups, List<PolicyError> errors)
    {
        foreach (var group in refs ?? [])
            if (!groups.ContainsKey(group.Value))
                errors.Add(new(group.Path, $"names person group '{group.Value}', which $.personGroups does not declare"));
    }

    /// <summary>Campaigns open up to two years before their coverage year and never run past it.</summary>
    private static void CheckRange(Located<DateOnly>? from, Located<DateOnly>? to, int? year, List<PolicyError> errors)
    {
        if (year is { } y)
        {
            var earliest = new DateOnly(y - 2, 1, 1);
            var latest = new DateOnly(y, 12, 31);
            foreach (var date in new[] { from, to })
                if (date is { } d && (d.Value < earliest || d.Value > latest))
                    errors.Add(new(d.Path, $"must lie between {earliest:yyyy-MM-dd} and {latest:yyyy-MM-dd} for coverage year {y}"));
        }
        if (from is { } f && to is { } t && t.Value < f.Value)
            errors.Add(new(t.Path, "must not be before from"));
    }
}
