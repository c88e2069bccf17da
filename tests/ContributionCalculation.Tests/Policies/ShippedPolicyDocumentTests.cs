using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Medins.ContributionCalculation.Domain;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>The four shipped documents validate clean, against the engine and against the JSON Schema editors use.</summary>
public sealed class ShippedPolicyDocumentTests
{
    public static TheoryData<string> Files => new(ShippedPolicies.All);

    [Theory]
    [MemberData(nameof(Files))]
    public void Validate_ShippedPolicy_NoErrors(string file)
    {
        var errors = CompiledPolicy.Validate(ShippedPolicies.Text(file));

        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Message}")));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Schema_ShippedPolicy_Conforms(string file)
    {
        var errors = SchemaCheck.Validate(Schema(), Document(file));

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ShippedPolicy_ReferencesTheSchemaAndCitesEveryClause(string file)
    {
        var text = ShippedPolicies.Text(file);
        var doc = Document(file);

        Assert.Equal(ShippedPolicies.SchemaFile, (string?)doc["$schema"]);
        // Each clause cites its seed in a comment ("seed 000 §…").
        Assert.Matches(new Regex(@"seed 00[0-4]"), text);
        Assert.True(Regex.Matches(text, "seed 00[0-4]").Count >= doc["identities"]!.AsArray().Count, "every identity row cites its seed");
    }

    [Fact]
    public void Schema_DocumentMissingARequiredField_Fails()
    {
        var doc = Document(ShippedPolicies.GaoyangFile);
        doc.Remove("refunds");
        doc["identities"]![0]!.AsObject().Remove("clause");

        var errors = SchemaCheck.Validate(Schema(), doc);

        Assert.Contains("$.refunds: is required", errors);
        Assert.Contains("$.identities[0].clause: is required", errors);
    }

    [Fact]
    public void Schema_DocumentWithUnknownFieldOrBadSubsidy_Fails()
    {
        var doc = Document(ShippedPolicies.MeishanFile);
        doc["colour"] = "red";
        doc["identities"]![0]!["subsidy"]!["tier1"] = new JsonObject { ["fixedFen"] = 1, ["fullTier"] = 1 };

        var errors = SchemaCheck.Validate(Schema(), doc);

        Assert.Contains("$.colour: unknown property", errors);
        Assert.Contains(errors, e => e.StartsWith("$.identities[0].subsidy.tier1: matches 0 of the oneOf", StringComparison.Ordinal));
    }

    [Fact]
    public void Schema_SourceOtherThanSeedOrBureau_Fails()
    {
        var doc = Document(ShippedPolicies.LiduFile);
        doc["fiscalSubsidy"]!["source"] = "province";
        doc["tiers"]![0]!["source"] = "bureau";

        var errors = SchemaCheck.Validate(Schema(), doc);

        Assert.Contains(errors, e => e.StartsWith("$.fiscalSubsidy.source: must be one of", StringComparison.Ordinal));
        Assert.Contains("$.tiers[0].source: unknown property", errors);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ShippedPolicy_BureauParameters_EachSaysWhatTheSeedLeavesOpen(string file)
    {
        // Issue 16: a rule the seed does not state is the bureau's, marked where it stands; every shipped document has
        // at least the fiscal subsidy amount (no seed states it exactly).
        var policy = ShippedPolicies.Load(file);

        Assert.Contains(policy.BureauParameters, p => p.Path == "$.fiscalSubsidy");
        Assert.All(policy.BureauParameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Note)));
    }

    [Fact]
    public void Policies_AppliesTo_CoverEveryDemoTenantOnce()
    {
        var tenants = ShippedPolicies.All.SelectMany(f => ShippedPolicies.Load(f).TenantIds).ToList();

        Assert.Equal(
            ["cq-lidu", "cq-linjiang", "he-gaoyang", "sc-meishan-danling", "sc-meishan-dongpo", "sc-meishan-hongya", "sc-meishan-pengshan",
             "sc-meishan-qingshen", "sc-meishan-renshou"],
            tenants.Order(StringComparer.Ordinal));
    }

    private static JsonObject Schema() => JsonNode.Parse(ShippedPolicies.Text(ShippedPolicies.SchemaFile))!.AsObject();

    private static JsonObject Document(string file) =>
        JsonNode.Parse(ShippedPolicies.Text(file), documentOptions: new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        })!.AsObject();

    /// <summary>
    /// The subset of JSON Schema 2020-12 the policy schema uses, enough to check documents without a schema package;
    /// an unknown keyword fails loudly rather than being skipped.
    /// </summary>
    private static class SchemaCheck
    {
        private static readonly HashSet<string> Annotations = ["$schema", "title", "description", "$defs", "format", "$comment"];

        public static List<string> Validate(JsonObject schema, JsonNode? instance)
        {
            var errors = new List<string>();
            Check(schema, schema, instance, "$", errors);
            return errors;
        }

        private static void Check(JsonObject root, JsonNode schemaNode, JsonNode? value, string path, List<string> errors)
        {
            var schema = schemaNode.AsObject();
            foreach (var (keyword, argument) in schema)
            {
                switch (keyword)
                {
                    case var _ when Annotations.Contains(keyword):
                        break;
                    case "$ref":
                        var target = ((string)argument!)["#/$defs/".Length..];
                        Check(root, root["$defs"]![target]!, value, path, errors);
                        break;
                    case "type":
                        if (!IsType(value, (string)argument!))
                            errors.Add($"{path}: must be {(string)argument!}");
                        break;
                    case "const":
                        if (!JsonNode.DeepEquals(value, argument))
                            errors.Add($"{path}: must be {argument!.ToJsonString()}");
                        break;
                    case "enum":
                        if (!argument!.AsArray().Any(option => JsonNode.DeepEquals(option, value)))
                            errors.Add($"{path}: must be one of {argument.ToJsonString()}");
                        break;
                    case "pattern":
                        if (value is JsonValue s && s.TryGetValue<string>(out var text) && !Regex.IsMatch(text, (string)argument!))
                            errors.Add($"{path}: does not match {(string)argument!}");
                        break;
                    case "minLength":
                        if (value is JsonValue l && l.TryGetValue<string>(out var str) && str.Length < (int)argument!)
                            errors.Add($"{path}: too short");
                        break;
                    case "minimum" or "maximum":
                        if (value is JsonValue n && n.GetValueKind() == JsonValueKind.Number)
                        {
                            var number = Number(n);
                            var bound = Number(argument!);
                            if (keyword == "minimum" ? number < bound : number > bound)
                                errors.Add($"{path}: {keyword} is {bound.ToString(CultureInfo.InvariantCulture)}");
                        }
                        break;
                    case "minItems":
                        if (value is JsonArray a && a.Count < (int)argument!)
                            errors.Add($"{path}: needs at least {(int)argument!} items");
                        break;
                    case "uniqueItems":
                        if (value is JsonArray u && (bool)argument! && u.Select(x => x?.ToJsonString()).Distinct().Count() != u.Count)
                            errors.Add($"{path}: items must be unique");
                        break;
                    case "minProperties":
                        if (value is JsonObject mp && mp.Count < (int)argument!)
                            errors.Add($"{path}: needs at least {(int)argument!} properties");
                        break;
                    case "required":
                        if (value is JsonObject req)
                            foreach (var name in argument!.AsArray().Select(x => (string)x!))
                                if (!req.ContainsKey(name))
                                    errors.Add($"{path}.{name}: is required");
                        break;
                    case "items":
                        if (value is JsonArray items)
                            for (var i = 0; i < items.Count; i++)
                                Check(root, argument!, items[i], $"{path}[{i}]", errors);
                        break;
                    case "properties":
                        if (value is JsonObject props)
                            foreach (var (name, child) in props)
                                if (argument!.AsObject()[name] is { } propertySchema)
                                    Check(root, propertySchema, child, $"{path}.{name}", errors);
                        break;
                    case "patternProperties":
                        if (value is JsonObject pp)
                            foreach (var (name, child) in pp)
                                foreach (var (pattern, propertySchema) in argument!.AsObject())
                                    if (Regex.IsMatch(name, pattern))
                                        Check(root, propertySchema!, child, $"{path}.{name}", errors);
                        break;
                    case "additionalProperties":
                        if (value is JsonObject ap && argument is JsonValue allowed && !(bool)allowed)
                        {
                            var declared = schema["properties"]?.AsObject();
                            var patterns = schema["patternProperties"]?.AsObject();
                            foreach (var (name, _) in ap)
                                if (declared?.ContainsKey(name) != true && patterns?.Any(p => Regex.IsMatch(name, p.Key)) != true)
                                    errors.Add($"{path}.{name}: unknown property");
                        }
                        break;
                    case "oneOf":
                        var matching = argument!.AsArray().Count(option =>
                        {
                            var optionErrors = new List<string>();
                            Check(root, option!, value, path, optionErrors);
                            return optionErrors.Count == 0;
                        });
                        if (matching != 1)
                            errors.Add($"{path}: matches {matching} of the oneOf schemas, must match exactly one");
                        break;
                    default:
                        throw new NotSupportedException($"schema keyword '{keyword}' is not supported by this check");
                }
            }
        }

        // Nodes parsed from text and nodes built in code hold numbers differently; their JSON text is the same.
        private static decimal Number(JsonNode node) => decimal.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

        private static bool IsType(JsonNode? value, string type) => type switch
        {
            "object" => value is JsonObject,
            "array" => value is JsonArray,
            "string" => value?.GetValueKind() == JsonValueKind.String,
            "boolean" => value?.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "integer" => value?.GetValueKind() == JsonValueKind.Number && Number(value) % 1 == 0,
            "number" => value?.GetValueKind() == JsonValueKind.Number,
            _ => throw new NotSupportedException($"type '{type}'"),
        };
    }
}
