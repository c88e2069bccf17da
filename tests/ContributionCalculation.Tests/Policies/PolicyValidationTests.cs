using System.Text.Json.Nodes;
using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using ErrorReason = Medins.Contribution.V1.ErrorReason;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>Validation reports every problem of a policy document, each at its exact JSON path.</summary>
public sealed class PolicyValidationTests
{
    // A small valid policy; each test breaks one thing.
    private const string Valid = """
        {
          "$schema": "contribution-policy.schema.json",
          "formatVersion": 1,
          "policyName": "测试县2024年度方案",
          "appliesTo": ["xx-test"],
          "coverageYear": 2024,
          "benefitPeriod": { "start": "2024-01-01", "end": "2024-12-31" },
          "fiscalSubsidy": { "amountFen": 64000 },
          "tiers": [ { "tier": 1, "name": "一档" }, { "tier": 2, "name": "二档" } ],
          "defaultTier": 1,
          "personGroups": [
            { "id": "resident", "name": "城乡居民", "default": true, "standardFen": { "tier1": 38000, "tier2": 75500 }, "clause": "一" },
            { "id": "student", "name": "学生", "standardFen": { "tier1": 35000, "tier2": 72500 }, "clause": "二" }
          ],
          "fundingSources": [ { "id": "medical-assistance-fund", "name": "医疗救助资金" } ],
          "identities": [
            { "label": "特困", "members": [ { "category": "tekun", "localCodes": ["2304"] } ],
              "subsidy": { "tier1": { "fixedFen": 38000 }, "tier2": { "fixedFen": 38000 } },
              "fundingSource": "medical-assistance-fund", "tags": ["low-income"], "clause": "三" },
            { "label": "低保", "members": [ { "category": "dibao", "localCodes": ["2303"] } ],
              "subsidy": { "tier1": { "shareBasisPoints": 9000 }, "tier2": { "fixedFen": 38000 } },
              "fundingSource": "medical-assistance-fund", "clause": "三" },
            { "label": "在乡复员军人", "members": [ { "category": "veteran-at-home" } ],
              "subsidy": { "tier2": { "fullTier": 2 } }, "fundingSource": "medical-assistance-fund",
              "tierRestriction": { "allowedTiers": [2], "otherwise": "refuse", "clause": "四" }, "clause": "四" }
          ],
          "precedence": { "rule": "highest-subsidy" },
          "lifeEventRules": [
            { "id": "newborn", "event": "newborn", "label": "新生儿", "withinDays": 90, "benefitStart": { "rule": "event-date" }, "clause": "五" }
          ],
          "collectionPeriods": [
            { "id": "concentrated", "label": "集中期", "kind": "concentrated", "from": "2023-09-01", "to": "2023-12-31",
              "benefitStart": { "rule": "benefit-period-start" }, "clause": "六" },
            { "id": "mid-year", "label": "年中", "kind": "mid-year", "from": "2024-01-01", "to": "2024-06-30",
              "benefitStart": { "rule": "days-after-payment", "days": 90 }, "clause": "七" },
            { "id": "low-income", "label": "低收入", "kind": "special", "from": "2024-07-01", "to": "2024-12-31",
              "openTo": { "identityTags": ["low-income"] }, "benefitStart": { "rule": "payment-day" }, "clause": "八" }
          ],
          "refunds": {
            "reasons": ["death"],
            "differentialRefundForIdentityCertifiedAfterPayment": { "duringCollectionPeriod": true, "afterCollectionPeriod": false }
          }
        }
        """;

    private static IReadOnlyList<PolicyError> ValidateWith(Action<JsonObject> change)
    {
        var doc = JsonNode.Parse(Valid)!.AsObject();
        change(doc);
        return CompiledPolicy.Validate(doc.ToJsonString());
    }

    private static JsonObject At(JsonObject doc, string section, int index) => doc[section]![index]!.AsObject();

    private static void AssertSingleError(IReadOnlyList<PolicyError> errors, string path, string messagePart)
    {
        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(messagePart, error.Message);
    }

    [Fact]
    public void Validate_ValidDocument_NoErrors()
    {
        Assert.Empty(CompiledPolicy.Validate(Valid));
    }

    [Fact]
    public void Validate_CommentsAndTrailingCommas_Accepted()
    {
        var withComments = Valid.Replace("\"formatVersion\": 1,", "// the format\n  \"formatVersion\": 1, /* inline */", StringComparison.Ordinal)
            .Replace("\"reasons\": [\"death\"],", "\"reasons\": [\"death\",],", StringComparison.Ordinal);

        Assert.Empty(CompiledPolicy.Validate(withComments));
    }

    [Fact]
    public void Validate_NotJson_OneErrorAtRoot()
    {
        var error = Assert.Single(CompiledPolicy.Validate("{ \"formatVersion\": 1, "));

        Assert.Equal("$", error.Path);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Validate_UnknownRootField_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["colour"] = "red"), "$.colour", "unknown field");
    }

    [Fact]
    public void Validate_UnknownNestedField_ReportsItsPath()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["subsidyy"] = 1), "$.identities[1].subsidyy", "unknown field");
    }

    [Fact]
    public void Validate_MissingRequiredField_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d.Remove("coverageYear")), "$.coverageYear", "is required");
    }

    [Fact]
    public void Validate_MissingClauseOfAnIdentity_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 2).Remove("clause")), "$.identities[2].clause", "is required");
    }

    [Fact]
    public void Validate_NegativeStandard_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "personGroups", 0)["standardFen"]!["tier1"] = -1), "$.personGroups[0].standardFen.tier1", "negative");
    }

    [Fact]
    public void Validate_NegativeFixedSubsidy_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 0)["subsidy"]!["tier1"] = new JsonObject { ["fixedFen"] = -100 }),
            "$.identities[0].subsidy.tier1.fixedFen", "negative");
    }

    [Fact]
    public void Validate_SubsidyLargerThanTierStandard_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["subsidy"]!["tier2"] = new JsonObject { ["fixedFen"] = 80000 }),
            "$.identities[1].subsidy.tier2", "exceeds the tier-2 standard of 75500 fen");
    }

    [Fact]
    public void Validate_FullTierTwoOnTierOne_ExceedsTheStandard()
    {
        AssertSingleError(ValidateWith(d =>
        {
            var veteran = At(d, "identities", 2);
            veteran.Remove("tierRestriction");
            veteran["subsidy"] = new JsonObject { ["tier1"] = new JsonObject { ["fullTier"] = 2 }, ["tier2"] = new JsonObject { ["fullTier"] = 2 } };
        }), "$.identities[2].subsidy.tier1", "exceeds the tier-1 standard");
    }

    [Fact]
    public void Validate_ShareAbove100Percent_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["subsidy"]!["tier1"] = new JsonObject { ["shareBasisPoints"] = 10001 }),
            "$.identities[1].subsidy.tier1.shareBasisPoints", "between 0 and 10000");
    }

    [Fact]
    public void Validate_SubsidyWithTwoKinds_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["subsidy"]!["tier1"] = new JsonObject { ["fixedFen"] = 1, ["shareBasisPoints"] = 1 }),
            "$.identities[1].subsidy.tier1", "exactly one of");
    }

    [Fact]
    public void Validate_UnknownTierInSubsidy_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["subsidy"]!["tier3"] = new JsonObject { ["fixedFen"] = 100 }),
            "$.identities[1].subsidy.tier3", "does not declare");
    }

    [Fact]
    public void Validate_MissingSubsidyForAnAllowedTier_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["subsidy"]!.AsObject().Remove("tier2")),
            "$.identities[1].subsidy.tier2", "is required");
    }

    [Fact]
    public void Validate_FullTierOfUnknownTier_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 2)["subsidy"]!["tier2"] = new JsonObject { ["fullTier"] = 5 }),
            "$.identities[2].subsidy.tier2.fullTier", "tier 5");
    }

    [Fact]
    public void Validate_DefaultTierNotDeclared_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["defaultTier"] = 3), "$.defaultTier", "tier 3");
    }

    [Fact]
    public void Validate_StandardForUndeclaredTier_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "personGroups", 1)["standardFen"]!["tier4"] = 1000), "$.personGroups[1].standardFen.tier4", "tier 4");
    }

    [Fact]
    public void Validate_TierRestrictionToUnknownTier_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 2)["tierRestriction"]!["allowedTiers"] = new JsonArray(2, 7)),
            "$.identities[2].tierRestriction.allowedTiers[1]", "tier 7");
    }

    [Fact]
    public void Validate_DuplicateLocalCode_ReportsTheSecond()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 1)["members"]![0]!["localCodes"] = new JsonArray("2304")),
            "$.identities[1].members[0].localCodes[0]", "already used at $.identities[0].members[0].localCodes[0]");
    }

    [Fact]
    public void Validate_DuplicateCategory_ReportsTheSecond()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 2)["members"]![0]!["category"] = "tekun"),
            "$.identities[2].members[0].category", "already used");
    }

    [Fact]
    public void Validate_UnknownCanonicalCategory_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 2)["members"]![0]!["category"] = "tekunn"),
            "$.identities[2].members[0].category", "unknown canonical category");
    }

    [Fact]
    public void Validate_LocalPrefixedCategory_Accepted()
    {
        Assert.Empty(ValidateWith(d => At(d, "identities", 2)["members"]![0]!["category"] = "local-veteran-at-home"));
    }

    [Fact]
    public void Validate_UnknownFundingSource_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 0)["fundingSource"] = "nowhere"), "$.identities[0].fundingSource", "'nowhere'");
    }

    [Fact]
    public void Validate_UnknownPersonGroupReference_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "identities", 0)["personGroups"] = new JsonArray("retired")),
            "$.identities[0].personGroups[0]", "'retired'");
    }

    [Fact]
    public void Validate_OverlappingPeriods_ReportsTheLaterOne()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 1)["from"] = "2023-12-31"),
            "$.collectionPeriods[1].from", "overlaps collection period 'concentrated'");
    }

    [Fact]
    public void Validate_OverlapWithDifferentOpenTo_Accepted()
    {
        // A period open only to low-income identities may overlap a general one: the engine prefers the narrower.
        Assert.Empty(ValidateWith(d => At(d, "collectionPeriods", 2)["from"] = "2024-06-01"));
    }

    [Fact]
    public void Validate_PeriodsOverlapOnlyForGroupsTheyShare_NotBetweenGroups()
    {
        Assert.Empty(ValidateWith(d =>
        {
            At(d, "collectionPeriods", 0)["personGroups"] = new JsonArray("resident");
            var copy = At(d, "collectionPeriods", 0).DeepClone().AsObject();
            copy["id"] = "student-concentrated";
            copy["personGroups"] = new JsonArray("student");
            d["collectionPeriods"]!.AsArray().Add(copy);
        }));
    }

    [Fact]
    public void Validate_PeriodEndingBeforeItStarts_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 1)["to"] = "2023-12-31"), "$.collectionPeriods[1].to", "before from");
    }

    [Fact]
    public void Validate_DateFarFromCoverageYear_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 0)["from"] = "2019-09-01"), "$.collectionPeriods[0].from", "must lie between 2022-01-01");
    }

    [Fact]
    public void Validate_BenefitPeriodOutsideCoverageYear_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["benefitPeriod"]!["end"] = "2025-01-31"), "$.benefitPeriod.end", "coverage year 2024");
    }

    [Fact]
    public void Validate_MalformedDate_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 0)["to"] = "31/12/2023"), "$.collectionPeriods[0].to", "yyyy-MM-dd");
    }

    [Fact]
    public void Validate_EmptyAppliesTo_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["appliesTo"] = new JsonArray()), "$.appliesTo", "at least one tenant");
    }

    [Fact]
    public void Validate_DuplicateTenant_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["appliesTo"] = new JsonArray("xx-test", "xx-test")), "$.appliesTo[1]", "listed twice");
    }

    [Fact]
    public void Validate_UnknownLifeEventRuleInOpenTo_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 2)["openTo"] = new JsonObject { ["lifeEventRules"] = new JsonArray("orphanhood") }),
            "$.collectionPeriods[2].openTo.lifeEventRules[0]", "'orphanhood'");
    }

    [Fact]
    public void Validate_UnknownIdentityTagInOpenTo_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 2)["openTo"]!["identityTags"] = new JsonArray("rich")),
            "$.collectionPeriods[2].openTo.identityTags[0]", "'rich'");
    }

    [Fact]
    public void Validate_UnknownLifeEventKind_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "lifeEventRules", 0)["event"] = "wedding"), "$.lifeEventRules[0].event", "unknown life event");
    }

    [Fact]
    public void Validate_UnknownStartRule_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 1)["benefitStart"] = new JsonObject { ["rule"] = "someday" }),
            "$.collectionPeriods[1].benefitStart.rule", "unknown rule 'someday'");
    }

    [Fact]
    public void Validate_DaysAfterPaymentWithoutDays_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "collectionPeriods", 1)["benefitStart"]!.AsObject().Remove("days")),
            "$.collectionPeriods[1].benefitStart.days", "is required");
    }

    [Fact]
    public void Validate_ImportOrderMissingAnIdentity_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["precedence"] = new JsonObject
        {
            ["rule"] = "import-order",
            ["importOrder"] = new JsonArray(new JsonArray("2303"), new JsonArray("2304")),
        }), "$.precedence.importOrder", "'veteran-at-home'");
    }

    [Fact]
    public void Validate_ImportOrderWithUnknownCode_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["precedence"] = new JsonObject
        {
            ["rule"] = "import-order",
            ["importOrder"] = new JsonArray(new JsonArray("2303"), new JsonArray("2304", "9999", "veteran-at-home")),
        }), "$.precedence.importOrder[1][1]", "'9999'");
    }

    [Fact]
    public void Validate_UnknownRefundReason_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["refunds"]!["reasons"] = new JsonArray("death", "boredom")), "$.refunds.reasons[1]", "'boredom'");
    }

    [Fact]
    public void Validate_BureauParameterWithNote_AcceptedAndListed()
    {
        var doc = JsonNode.Parse(Valid)!.AsObject();
        doc["fiscalSubsidy"]!["source"] = "bureau";
        doc["fiscalSubsidy"]!["note"] = "方案未载明";
        doc["collectionPeriods"]![0]!["source"] = "seed";

        var policy = CompiledPolicy.Load(doc.ToJsonString(), "", 0);

        Assert.Equal([new BureauParameter("$.fiscalSubsidy", "方案未载明")], policy.BureauParameters);
    }

    [Fact]
    public void Validate_BureauParameterWithoutNote_ReportsIt()
    {
        var errors = ValidateWith(d => d["refunds"]!["source"] = "bureau");

        Assert.Contains(errors, e => e.Path == "$.refunds.note");
    }

    [Fact]
    public void Validate_UnknownSourceOrNoteOnASeedRule_ReportsBoth()
    {
        var errors = ValidateWith(d =>
        {
            d["identities"]![0]!["source"] = "province";
            d["identities"]![1]!["note"] = "为什么";
        });

        Assert.Contains(errors, e => e.Path == "$.identities[0].source");
        Assert.Contains(errors, e => e.Path == "$.identities[1].note");
    }

    [Fact]
    public void Validate_SourceWhereNoRuleIsStated_UnknownField()
    {
        var errors = ValidateWith(d => d["tiers"]![0]!["source"] = "bureau");

        Assert.Contains(errors, e => e.Path == "$.tiers[0].source" && e.Message == "unknown field");
    }

    [Fact]
    public void Validate_TwoDefaultGroups_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => At(d, "personGroups", 1)["default"] = true), "$.personGroups", "exactly one person group must be the default");
    }

    [Fact]
    public void Validate_WrongType_ReportsIt()
    {
        AssertSingleError(ValidateWith(d => d["coverageYear"] = "2024"), "$.coverageYear", "must be an integer");
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var errors = ValidateWith(d =>
        {
            d["colour"] = "red";
            d["appliesTo"] = new JsonArray();
            At(d, "identities", 1)["subsidy"]!["tier2"] = new JsonObject { ["fixedFen"] = 80000 };
            At(d, "collectionPeriods", 1)["from"] = "2023-12-31";
            At(d, "personGroups", 0)["standardFen"]!["tier1"] = -1;
        });

        Assert.Equal(
            ["$.appliesTo", "$.collectionPeriods[1].from", "$.colour", "$.identities[1].subsidy.tier2", "$.personGroups[0].standardFen.tier1"],
            errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_InvalidDocument_ThrowsWithEveryError()
    {
        var doc = JsonNode.Parse(Valid)!.AsObject();
        doc["colour"] = "red";
        doc.Remove("tiers");

        var ex = Assert.Throws<PolicyInvalidException>(() => CompiledPolicy.Load(doc.ToJsonString(), "xx-test-2024-v1", 1));

        Assert.Contains(ex.Errors, e => e.Path == "$.colour");
        Assert.Contains(ex.Errors, e => e.Path == "$.tiers");
    }

    [Fact]
    public void Quote_IdentityRefusingTheTier_RefusedTierNotAllowed()
    {
        var policy = CompiledPolicy.Load(Valid, "xx-test-2024-v1", 1);

        var refusal = policy.Quote(ShippedPolicies.Facts("2023-10-01", 1, identities: "veteran-at-home")).Refused();
        var allowed = policy.Quote(ShippedPolicies.Facts("2023-10-01", 2, identities: "veteran-at-home")).Priced();

        Assert.Equal(ErrorReasons.Code(ErrorReason.TierNotAllowed), refusal.Reason);
        Assert.Contains("二档", refusal.Message);
        Assert.Equal(0, allowed.PersonalFen);
    }

    [Theory]
    [InlineData(2025, "", 1, "COVERAGE_YEAR_MISMATCH")]
    [InlineData(2024, "retired", 1, "UNKNOWN_PERSON_GROUP")]
    [InlineData(2024, "", 3, "UNKNOWN_TIER")]
    public void Quote_FactsThePolicyCannotPrice_Refused(int year, string group, int tier, string reason)
    {
        var policy = CompiledPolicy.Load(Valid, "xx-test-2024-v1", 1);

        var refusal = policy.Quote(ShippedPolicies.Facts("2023-10-01", tier, group) with { CoverageYear = year }).Refused();

        Assert.Equal(reason, refusal.Reason);
    }

    [Fact]
    public void Quote_LowIncomeTaggedPeriod_OnlyTaggedIdentitiesCount()
    {
        var policy = CompiledPolicy.Load(Valid, "xx-test-2024-v1", 1);

        var tekun = policy.Quote(ShippedPolicies.Facts("2024-08-01", 1, identities: "dibao,tekun")).Priced();
        var dibaoOnly = policy.Quote(ShippedPolicies.Facts("2024-08-01", 1, identities: "dibao")).Refused();

        Assert.Equal(0, tekun.PersonalFen);
        Assert.Equal(Day("2024-08-01"), tekun.BenefitStart);
        Assert.Equal(ErrorReasons.Code(ErrorReason.OutsideCollectionPeriod), dibaoOnly.Reason);
    }

    private static DateOnly Day(string s) => ShippedPolicies.Day(s);
}
