using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// Reads a policy document (JSON with // comments and trailing commas) into <see cref="PolicyDocument"/>, reporting
/// every structural problem (unknown or missing fields, wrong types, malformed values) with its JSON path.
/// </summary>
internal static partial class PolicyReader
{
    internal static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 32,
    };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    internal static partial Regex Slug();

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*(:[a-z0-9]+(-[a-z0-9]+)*)?$")]
    internal static partial Regex FundingId();

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    internal static partial Regex ReasonCode();

    [GeneratedRegex("^tier([1-9])$")]
    private static partial Regex TierKey();

    public static PolicyDocument? Read(string json, List<PolicyError> errors)
    {
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(json, Options);
        }
        catch (JsonException ex)
        {
            errors.Add(new("$", $"not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {ex.Message}"));
            return null;
        }

        using (parsed)
        {
            var root = Obj.Open(parsed.RootElement, "$", errors,
                "$schema", "formatVersion", "policyName", "source", "appliesTo", "coverageYear", "benefitPeriod", "fiscalSubsidy",
                "includesCriticalIllnessInsurance", "enrolHouseholdTogether", "tiers", "defaultTier", "personGroups",
                "fundingSources", "identities", "precedence", "lifeEventRules", "collectionPeriods", "refunds",
                "supplementaryInsurance");
            if (root is null)
                return null;
            root.String("$schema", required: false);
            var doc = new PolicyDocument
            {
                FormatVersion = root.Int("formatVersion", required: true, 1, 1)?.Value,
                Name = root.String("policyName", required: true),
                Source = root.String("source", required: false),
                AppliesTo = root.Array("appliesTo", required: true, (e, p) => Str(e, p, errors)),
                CoverageYear = root.Int("coverageYear", required: true, 2000, 2100),
                IncludesCriticalIllnessInsurance = root.Bool("includesCriticalIllnessInsurance") ?? false,
                EnrolHouseholdTogether = root.Bool("enrolHouseholdTogether") ?? false,
                DefaultTier = root.Int("defaultTier", required: true, 1, 9),
            };
            if (root.Object("benefitPeriod", required: true, "start", "end", "clause", "source", "note") is { } bp)
                doc.BenefitPeriod = new BenefitPeriodNode
                {
                    Path = bp.Path, Start = bp.Date("start", required: true), End = bp.Date("end", required: true),
                    Clause = bp.String("clause", required: false),
                };
            if (root.Object("fiscalSubsidy", required: true, "amountFen", "clause", "source", "note") is { } fs)
            {
                doc.FiscalSubsidyFen = fs.Long("amountFen", required: true);
                doc.FiscalSubsidyClause = fs.String("clause", required: false);
            }
            doc.Tiers = root.Array("tiers", required: true, (e, p) => Obj.Open(e, p, errors, "tier", "name") is { } o
                ? new TierNode { Path = p, Tier = o.Int("tier", required: true, 1, 9), Name = o.String("name", required: true) }
                : null);
            doc.PersonGroups = root.Array("personGroups", required: true, (e, p) => ReadGroup(e, p, errors));
            doc.FundingSources = root.Array("fundingSources", required: true, (e, p) => Obj.Open(e, p, errors, "id", "name", "source", "note") is { } o
                ? new FundingSourceNode { Path = p, Id = o.Located("id", required: true, FundingId(), "an id such as medical-assistance-fund or fiscal-special-fund:civil-affairs"), Name = o.String("name", required: true) }
                : null);
            doc.Identities = root.Array("identities", required: true, (e, p) => ReadIdentity(e, p, errors));
            if (root.Object("precedence", required: true, "rule", "importOrder", "clause", "source", "note") is { } pr)
            {
                doc.Precedence = new PrecedenceNode
                {
                    Path = pr.Path,
                    Rule = pr.Located("rule", required: true, null, null),
                    ImportOrderPath = pr.PathOf("importOrder"),
                    ImportOrder = pr.Array("importOrder", required: false,
                        (e, p) => Obj.ArrayOf(e, p, errors, (e2, p2) => Str(e2, p2, errors), minItems: 1)),
                    Clause = pr.String("clause", required: false),
                };
            }
            doc.LifeEventRules = root.Array("lifeEventRules", required: false, (e, p) => ReadLifeEventRule(e, p, errors)) ?? [];
            doc.CollectionPeriods = root.Array("collectionPeriods", required: true, (e, p) => ReadPeriod(e, p, errors), minItems: 1);
            if (root.Object("refunds", required: true, "reasons", "onlyBeforeBenefitStart", "differentialRefundForIdentityCertifiedAfterPayment", "clause", "source", "note") is { } rf)
            {
                var node = new RefundNode
                {
                    Path = rf.Path,
                    Reasons = rf.Array("reasons", required: true, (e, p) => Str(e, p, errors)),
                    OnlyBeforeBenefitStart = rf.Bool("onlyBeforeBenefitStart") ?? true,
                    Clause = rf.String("clause", required: false),
                };
                if (rf.Object("differentialRefundForIdentityCertifiedAfterPayment", required: true,
                        "duringCollectionPeriod", "afterCollectionPeriod", "clause", "source", "note") is { } dr)
                {
                    node.DifferentialDuringCollection = dr.Bool("duringCollectionPeriod", required: true) ?? false;
                    node.DifferentialAfterCollection = dr.Bool("afterCollectionPeriod", required: true) ?? false;
                    dr.String("clause", required: false);
                }
                doc.Refunds = node;
            }
            if (root.Object("supplementaryInsurance", required: false, "name", "voluntary", "afterBasicContributionPaid", "clause") is { } si)
                doc.SupplementaryInsurance = new SupplementaryNode
                {
                    Path = si.Path,
                    Name = si.String("name", required: true),
                    Voluntary = si.Bool("voluntary") ?? true,
                    AfterBasicContributionPaid = si.Bool("afterBasicContributionPaid") ?? true,
                    Clause = si.String("clause", required: false),
                };
            ReadSources(parsed.RootElement, "$", doc.BureauParameters, errors);
            return doc;
        }
    }

    /// <summary>
    /// Every object below the root that says <c>"source": "bureau"</c> holds a rule or number its seed does not state:
    /// the bureau chose it, and its <c>note</c> says what the seed leaves open (<c>"seed"</c>, the default, needs none).
    /// Which objects may carry a source is checked where each is read.
    /// </summary>
    private static void ReadSources(JsonElement element, string path, List<BureauParameter> sink, List<PolicyError> errors)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var child in element.EnumerateArray())
                ReadSources(child, $"{path}[{index++}]", sink, errors);
            return;
        }
        if (element.ValueKind != JsonValueKind.Object)
            return;
        if (path != "$")
        {
            var hasSource = element.TryGetProperty("source", out var source);
            var hasNote = element.TryGetProperty("note", out var note);
            var bureau = hasSource && source.ValueKind == JsonValueKind.String && source.GetString() == "bureau";
            if (hasSource && !bureau && !(source.ValueKind == JsonValueKind.String && source.GetString() == "seed"))
                errors.Add(new(Obj.Join(path, "source"), "must be \"seed\" (the seed states it) or \"bureau\" (the bureau chose it)"));
            var noteText = hasNote && note.ValueKind == JsonValueKind.String ? note.GetString()! : "";
            if (hasNote && note.ValueKind != JsonValueKind.String)
                errors.Add(new(Obj.Join(path, "note"), "must be a string"));
            else if (bureau && noteText.Trim().Length == 0)
                errors.Add(new(Obj.Join(path, "note"), "a bureau parameter must say what its seed leaves open"));
            else if (hasNote && !bureau)
                errors.Add(new(Obj.Join(path, "note"), "only a bureau parameter (\"source\": \"bureau\") takes a note"));
            if (bureau && noteText.Trim().Length > 0)
                sink.Add(new BureauParameter(path, noteText));
        }
        foreach (var property in element.EnumerateObject())
            ReadSources(property.Value, Obj.Join(path, property.Name), sink, errors);
    }

    private static PersonGroupNode? ReadGroup(JsonElement e, string path, List<PolicyError> errors)
    {
        if (Obj.Open(e, path, errors, "id", "name", "default", "standardFen", "clause", "source", "note") is not { } o)
            return null;
        return new PersonGroupNode
        {
            Path = path,
            Id = o.Located("id", required: true, Slug(), "a lower-case id such as resident or university-student"),
            Name = o.String("name", required: true),
            IsDefault = o.Bool("default") ?? false,
            StandardFen = o.TierMap("standardFen", required: true, (v, p) => LongOf(v, p, errors)),
            Clause = o.String("clause", required: true),
        };
    }

    private static IdentityNode? ReadIdentity(JsonElement e, string path, List<PolicyError> errors)
    {
        if (Obj.Open(e, path, errors, "label", "members", "subsidy", "fundingSource", "fundingOverrides", "waitingPeriod",
                "tags", "personGroups", "tierRestriction", "eligibleIf", "clause", "source", "note") is not { } o)
            return null;
        var node = new IdentityNode
        {
            Path = path,
            Label = o.String("label", required: true),
            Members = o.Array("members", required: true, (m, p) => ReadMember(m, p, errors), minItems: 1),
            Subsidy = o.TierMap("subsidy", required: true, (v, p) => ReadSubsidy(v, p, errors)),
            FundingSource = o.Located("fundingSource", required: true, null, null),
            FundingOverrides = o.Array("fundingOverrides", required: false, (f, p) => Obj.Open(f, p, errors, "from", "to", "personGroups", "fundingSource", "clause") is { } fo
                ? new FundingOverrideNode
                {
                    Path = p, From = fo.Date("from", required: true), To = fo.Date("to", required: true),
                    PersonGroups = fo.Array("personGroups", required: false, (g, gp) => Str(g, gp, errors)),
                    FundingSource = fo.Located("fundingSource", required: true, null, null),
                    Clause = fo.String("clause", required: true),
                }
                : null),
            Tags = o.Array("tags", required: false, (t, p) => SlugOf(t, p, errors)),
            PersonGroups = o.Array("personGroups", required: false, (g, p) => Str(g, p, errors)),
            Clause = o.String("clause", required: true),
        };
        if (o.Object("waitingPeriod", required: false, "applies", "clause") is { } wp)
        {
            node.WaitingPeriodApplies = wp.Bool("applies", required: true) ?? true;
            node.WaitingPeriodClause = wp.String("clause", required: true);
        }
        if (o.Object("tierRestriction", required: false, "allowedTiers", "otherwise", "clause") is { } tr)
            node.TierRestriction = new TierRestrictionNode
            {
                Path = tr.Path,
                AllowedTiers = tr.Array("allowedTiers", required: true, (t, p) => IntOf(t, p, errors, 1, 9), minItems: 1),
                Otherwise = tr.Located("otherwise", required: true, null, null),
                Clause = tr.String("clause", required: true),
            };
        if (o.Object("eligibleIf", required: false, "anyOf") is { } el)
        {
            node.ConditionsPath = el.PathOf("anyOf");
            node.Conditions = el.Array("anyOf", required: true, (c, p) => Obj.Open(c, p, errors, "minAge", "maxAge", "disabilityGrades") is { } co
                ? new ConditionNode
                {
                    Path = p,
                    MinAge = co.Int("minAge", required: false, 0, 150)?.Value,
                    MaxAge = co.Int("maxAge", required: false, 0, 150)?.Value,
                    DisabilityGrades = co.Array("disabilityGrades", required: false, (g, gp) => IntOf(g, gp, errors, 1, 10), minItems: 1)
                        ?.Select(g => g.Value).ToList(),
                }
                : null, minItems: 1);
        }
        return node;
    }

    private static MemberNode? ReadMember(JsonElement e, string path, List<PolicyError> errors)
    {
        if (Obj.Open(e, path, errors, "category", "name", "localCodes") is not { } o)
            return null;
        return new MemberNode
        {
            Path = path,
            Category = o.Located("category", required: true, null, null),
            Name = o.String("name", required: false),
            LocalCodes = o.Array("localCodes", required: false, (c, p) => Str(c, p, errors)) ?? [],
        };
    }

    private static SubsidyNode? ReadSubsidy(JsonElement e, string path, List<PolicyError> errors)
    {
        if (Obj.Open(e, path, errors, "fixedFen", "shareBasisPoints", "fullTier") is not { } o)
            return null;
        var present = (o.Has("fixedFen") ? 1 : 0) + (o.Has("shareBasisPoints") ? 1 : 0) + (o.Has("fullTier") ? 1 : 0);
        if (present != 1)
        {
            errors.Add(new(path, "must have exactly one of fixedFen, shareBasisPoints, fullTier"));
            return null;
        }
        if (o.Long("fixedFen", required: false) is { } fixedFen)
            return new SubsidyNode { Path = fixedFen.Path, Kind = SubsidyKind.Fixed, Value = fixedFen.Value };
        if (o.Int("shareBasisPoints", required: false, 0, 10000) is { } share)
            return new SubsidyNode { Path = share.Path, Kind = SubsidyKind.Share, Value = share.Value };
        if (o.Int("fullTier", required: false, 1, 9) is { } full)
            return new SubsidyNode { Path = full.Path, Kind = SubsidyKind.FullTier, Value = full.Value };
        return null;
    }

    private static LifeEventRuleNode? ReadLifeEventRule(JsonElement e, string path, List<PolicyError> errors)
    {
        if (Obj.Open(e, path, errors, "id", "event", "label", "personGroups", "withinDays", "withinMonths", "benefitStart",
                "startMayPrecedeCoverageYear", "gapCovered", "birthYearPart", "clause", "source", "note") is not { } o)
            return null;
        var node = new LifeEventRuleNode
        {
            Path = path,
            Id = o.Located("id", required: true, Slug(), "a lower-case id such as newborn-within-90-days"),
            Event = o.Located("event", required: true, null, null),
            Label = o.String("label", required: true),
            PersonGroups = o.Array("personGroups", required: false, (g, p) => Str(g, p, errors)),
            WithinDays = o.Int("withinDays", required: false, 0, 3660),
            WithinMonths = o.Int("withinMonths", required: false, 0, 120),
            BenefitStart = o.Object("benefitStart", required: false, "rule", "days", "month") is { } bs ? ReadStartRule(bs, errors) : null,
            StartMayPrecedeCoverageYear = o.Bool("startMayPrecedeCoverageYear") ?? false,
            GapCovered = o.Bool("gapCovered") ?? false,
            Clause = o.String("clause", required: true),
        };
        if (o.Object("birthYearPart", required: false, "previousYearStandardFen", "clause", "source", "note") is { } by)
            node.BirthYearPart = new BirthYearPartNode
            {
                Path = by.Path,
                PreviousYearStandardFen = by.TierMap("previousYearStandardFen", required: true, (v, p) => LongOf(v, p, errors)),
                Clause = by.String("clause", required: true),
            };
        return node;
    }

    private static CollectionPeriodNode? ReadPeriod(JsonElement e, string path, List<PolicyError> errors)
    {
        if (Obj.Open(e, path, errors, "id", "label", "kind", "personGroups", "from", "to", "openTo", "paymentDaysOfMonth",
                "benefitStart", "surcharge", "refusal", "clause", "source", "note") is not { } o)
            return null;
        var node = new CollectionPeriodNode
        {
            Path = path,
            Id = o.Located("id", required: true, Slug(), "a lower-case id such as concentrated"),
            Label = o.String("label", required: true),
            Kind = o.Located("kind", required: true, null, null),
            PersonGroups = o.Array("personGroups", required: false, (g, p) => Str(g, p, errors)),
            From = o.Date("from", required: true),
            To = o.Date("to", required: true),
            BenefitStart = o.Object("benefitStart", required: false, "rule", "days", "month") is { } bs ? ReadStartRule(bs, errors) : null,
            Clause = o.String("clause", required: true),
        };
        if (o.Object("openTo", required: false, "lifeEventRules", "identityTags") is { } open)
        {
            node.OpenToLifeEventRules = open.Array("lifeEventRules", required: false, (r, p) => Str(r, p, errors), minItems: 1);
            node.OpenToIdentityTags = open.Array("identityTags", required: false, (t, p) => Str(t, p, errors), minItems: 1);
            if (node.OpenToLifeEventRules is null && node.OpenToIdentityTags is null)
                errors.Add(new(open.Path, "must name lifeEventRules or identityTags"));
        }
        if (o.Object("paymentDaysOfMonth", required: false, "first", "last", "clause", "source", "note") is { } pd)
        {
            node.PaymentDayFirst = pd.Int("first", required: true, 1, 31);
            node.PaymentDayLast = pd.Int("last", required: true, 1, 31);
            node.PaymentDaysClause = pd.String("clause", required: true);
        }
        if (o.Object("surcharge", required: false, "fiscalSubsidy", "waivedForTags", "waiverFundingSource", "clause") is { } sc)
            node.Surcharge = new SurchargeNode
            {
                Path = sc.Path,
                FiscalSubsidy = sc.Bool("fiscalSubsidy", required: true) ?? false,
                WaivedForTags = sc.Array("waivedForTags", required: false, (t, p) => Str(t, p, errors)),
                WaiverFundingSource = sc.Located("waiverFundingSource", required: false, null, null),
                Clause = sc.String("clause", required: true),
            };
        if (o.Object("refusal", required: false, "reason", "message") is { } rf)
            node.Refusal = new RefusalNode
            {
                Path = rf.Path,
                Reason = rf.Located("reason", required: true, ReasonCode(), "an upper-case reason code such as ALREADY_COVERED")?.Value,
                Message = rf.String("message", required: true),
            };
        return node;
    }

    private static StartRuleNode ReadStartRule(Obj o, List<PolicyError> errors)
    {
        var rule = o.String("rule", required: true);
        var node = new StartRuleNode { Path = o.PathOf("rule") };
        node.Kind = rule switch
        {
            "benefit-period-start" => StartRuleKind.BenefitPeriodStart,
            "first-of-next-month" => StartRuleKind.FirstOfNextMonth,
            "days-after-payment" => StartRuleKind.DaysAfterPayment,
            "nth-month-counting-payment-month" => StartRuleKind.NthMonthCountingPaymentMonth,
            "payment-day" => StartRuleKind.PaymentDay,
            "day-after-payment" => StartRuleKind.DayAfterPayment,
            "event-date" => StartRuleKind.EventDate,
            null => StartRuleKind.None,
            _ => Unknown(),
        };
        StartRuleKind Unknown()
        {
            errors.Add(new(o.PathOf("rule"), $"unknown rule '{rule}'; expected benefit-period-start, first-of-next-month, days-after-payment, " +
                "nth-month-counting-payment-month, payment-day, day-after-payment or event-date"));
            return StartRuleKind.None;
        }
        var days = o.Int("days", required: node.Kind == StartRuleKind.DaysAfterPayment, 1, 366);
        var month = o.Int("month", required: node.Kind == StartRuleKind.NthMonthCountingPaymentMonth, 1, 12);
        if (days is { } d && node.Kind != StartRuleKind.DaysAfterPayment)
            errors.Add(new(d.Path, "only the days-after-payment rule takes days"));
        if (month is { } m && node.Kind != StartRuleKind.NthMonthCountingPaymentMonth)
            errors.Add(new(m.Path, "only the nth-month-counting-payment-month rule takes month"));
        node.Parameter = days?.Value ?? month?.Value ?? 0;
        // A malformed rule (already reported) still counts as given, so it is not also reported missing.
        return node;
    }

    private static Located<string>? Str(JsonElement e, string path, List<PolicyError> errors)
    {
        if (e.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(path, "must be a string"));
            return null;
        }
        var s = e.GetString()!;
        if (s.Length == 0)
        {
            errors.Add(new(path, "must not be empty"));
            return null;
        }
        return new Located<string>(s, path);
    }

    private static Located<string>? SlugOf(JsonElement e, string path, List<PolicyError> errors)
    {
        var s = Str(e, path, errors);
        if (s is { } v && !Slug().IsMatch(v.Value))
        {
            errors.Add(new(path, "must be a lower-case id (letters, digits, hyphens)"));
            return null;
        }
        return s;
    }

    private static Located<int>? IntOf(JsonElement e, string path, List<PolicyError> errors, int min, int max)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var v))
        {
            errors.Add(new(path, "must be an integer"));
            return null;
        }
        if (v < min || v > max)
        {
            errors.Add(new(path, $"must be between {min} and {max}"));
            return null;
        }
        return new Located<int>(v, path);
    }

    private static Located<long>? LongOf(JsonElement e, string path, List<PolicyError> errors)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v))
        {
            errors.Add(new(path, "must be an integer amount in fen"));
            return null;
        }
        if (v < 0)
        {
            errors.Add(new(path, "must not be negative"));
            return null;
        }
        if (v > 100_000_000)
        {
            errors.Add(new(path, "is implausibly large for a yearly contribution (more than 1,000,000 yuan)"));
            return null;
        }
        return new Located<long>(v, path);
    }

    /// <summary>One JSON object being read: reports unknown and duplicate fields once, then typed accessors.</summary>
    private sealed class Obj
    {
        private readonly JsonElement _element;
        private readonly List<PolicyError> _errors;
        public string Path { get; }

        private Obj(JsonElement element, string path, List<PolicyError> errors)
        {
            _element = element;
            Path = path;
            _errors = errors;
        }

        public static Obj? Open(JsonElement element, string path, List<PolicyError> errors, params string[] knownFields)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(path, "must be an object"));
                return null;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var fieldPath = Join(path, property.Name);
                if (!seen.Add(property.Name))
                    errors.Add(new(fieldPath, "appears twice"));
                else if (System.Array.IndexOf(knownFields, property.Name) < 0)
                    errors.Add(new(fieldPath, "unknown field"));
            }
            return new Obj(element, path, errors);
        }

        public static List<T>? ArrayOf<T>(JsonElement element, string path, List<PolicyError> errors,
            Func<JsonElement, string, T?> item, int minItems = 0)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new(path, "must be an array"));
                return null;
            }
            var list = new List<T>();
            var index = 0;
            foreach (var child in element.EnumerateArray())
            {
                if (item(child, $"{path}[{index}]") is { } value)
                    list.Add(value);
                index++;
            }
            if (index < minItems)
                errors.Add(new(path, minItems == 1 ? "must not be empty" : $"must have at least {minItems} items"));
            return list;
        }

        internal static string Join(string path, string name) =>
            Slug().IsMatch(name) || (name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit))
                ? path + "." + name
                : $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

        public string PathOf(string name) => Join(Path, name);

        public bool Has(string name) => _element.TryGetProperty(name, out _);

        private bool TryGet(string name, bool required, out JsonElement value)
        {
            if (_element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
                return true;
            if (required)
                _errors.Add(new(PathOf(name), "is required"));
            return false;
        }

        public string? String(string name, bool required) =>
            TryGet(name, required, out var v) ? Str(v, PathOf(name), _errors)?.Value : null;

        public Located<string>? Located(string name, bool required, Regex? pattern, string? patternHint)
        {
            if (!TryGet(name, required, out var v) || Str(v, PathOf(name), _errors) is not { } s)
                return null;
            if (pattern is not null && !pattern.IsMatch(s.Value))
            {
                _errors.Add(new(s.Path, $"must be {patternHint}"));
                return null;
            }
            return s;
        }

        public Located<int>? Int(string name, bool required, int min, int max) =>
            TryGet(name, required, out var v) ? IntOf(v, PathOf(name), _errors, min, max) : null;

        public Located<long>? Long(string name, bool required) =>
            TryGet(name, required, out var v) ? LongOf(v, PathOf(name), _errors) : null;

        public bool? Bool(string name, bool required = false)
        {
            if (!TryGet(name, required, out var v))
                return null;
            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
                return v.GetBoolean();
            _errors.Add(new(PathOf(name), "must be true or false"));
            return null;
        }

        public Located<DateOnly>? Date(string name, bool required)
        {
            if (!TryGet(name, required, out var v) || Str(v, PathOf(name), _errors) is not { } s)
                return null;
            if (!DateOnly.TryParseExact(s.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                _errors.Add(new(s.Path, "must be a calendar date written yyyy-MM-dd"));
                return null;
            }
            return new Located<DateOnly>(date, s.Path);
        }

        public Obj? Object(string name, bool required, params string[] knownFields) =>
            TryGet(name, required, out var v) ? Open(v, PathOf(name), _errors, knownFields) : null;

        public List<T>? Array<T>(string name, bool required, Func<JsonElement, string, T?> item, int minItems = 0) =>
            TryGet(name, required, out var v) ? ArrayOf(v, PathOf(name), _errors, item, minItems) : null;

        public TierMap<T>? TierMap<T>(string name, bool required, Func<JsonElement, string, T?> value)
        {
            if (!TryGet(name, required, out var v))
                return null;
            var path = PathOf(name);
            if (v.ValueKind != JsonValueKind.Object)
            {
                _errors.Add(new(path, "must be an object keyed tier1, tier2, …"));
                return null;
            }
            var map = new TierMap<T> { Path = path };
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in v.EnumerateObject())
            {
                var entryPath = Join(path, property.Name);
                var match = TierKey().Match(property.Name);
                if (!seen.Add(property.Name))
                    _errors.Add(new(entryPath, "appears twice"));
                else if (!match.Success)
                    _errors.Add(new(entryPath, "unknown field; tiers are keyed tier1 … tier9"));
                else
                {
                    var tier = match.Groups[1].Value[0] - '0';
                    map.Keys.Add(tier);
                    if (value(property.Value, entryPath) is { } parsed)
                        map.Entries.Add((tier, parsed, entryPath));
                }
            }
            return map;
        }
    }
}
