using System.Text.Json;
using System.Text.Json.Nodes;
using Medins.Migrator;
using Medins.Platform.Testing;

namespace Medins.Platform.Hosting.Tests;

/// <summary>The migrator loading a city release's data in the shape the Helm chart renders it (city.json).</summary>
public sealed class CityDataTests : IAsyncLifetime
{
    private static readonly JsonDocumentOptions Jsonc = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync(demoCity: false);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    /// <summary>
    /// Two tenants: a township of a sample county with everything given in the file (its policy and quota rules are
    /// shipped documents with their tenants changed, and its identity vocabulary), and Gaoyang naming its shipped
    /// policy and rules (the image's defaults).
    /// </summary>
    private static JsonObject City()
    {
        var policy = Shipped("policies/sc-meishan-2024.jsonc");
        policy["appliesTo"] = new JsonArray("sc-t1");
        var rules = Shipped("quota-rules/he-gaoyang-2024.jsonc");
        rules["appliesTo"] = new JsonArray("sc-t1");
        rules["name"] = "示例镇一2024年度参保任务";
        return JsonNode.Parse("""
            {
              "city": "sample-city",
              "coverageYear": 2024,
              "tenants": [
                { "id": "sc-t1", "name": "示例镇一", "county": { "code": "519901", "name": "示例区" },
                  "city": { "code": "519900", "name": "示例市" }, "policy": "sample-2024", "quotaRules": "sample-rules-2024",
                  "townships": [ { "code": "519901901", "name": "示例镇一",
                    "villages": [ { "code": "519901901201", "name": "一村", "registeredPopulation": 3500, "task": 3325 },
                                  { "code": "519901901202", "name": "二村", "registeredPopulation": 4200, "task": 3990 } ] } ],
                  "identityCodes": [
                    { "localCode": "2304", "category": "tekun", "department": "civil_affairs", "name": "特困救助对象", "importStep": 2 },
                    { "category": "dibao", "department": "civil_affairs", "name": "低保对象", "importStep": 1 } ] },
                { "id": "he-gaoyang", "name": "高阳县", "county": { "code": "130628", "name": "高阳县" },
                  "policy": "he-gaoyang-2024", "quotaRules": "he-gaoyang-2024",
                  "townships": [ { "code": "130628101", "name": "示例镇", "villages": [ { "code": "130628101201", "name": "示例村" } ] } ] }
              ]
            }
            """)!.AsObject().Also(c =>
        {
            c["policies"] = new JsonObject { ["sample-2024"] = policy };
            c["quotaRules"] = new JsonObject { ["sample-rules-2024"] = rules };
        });
    }

    private static JsonObject Shipped(string resource)
    {
        using var stream = typeof(PlatformMigrator).Assembly.GetManifestResourceStream(resource)!;
        return JsonNode.Parse(stream, documentOptions: Jsonc)!.AsObject();
    }

    private static JsonObject Tenant(JsonObject city, string id) =>
        city["tenants"]!.AsArray().Single(t => (string)t!["id"]! == id)!.AsObject();

    private static JsonObject Village(JsonObject city, string code) =>
        city["tenants"]!.AsArray().SelectMany(t => t!["townships"]!.AsArray()).SelectMany(t => t!["villages"]!.AsArray())
            .Single(v => (string)v!["code"]! == code)!.AsObject();

    private Task LoadAsync(JsonObject city) =>
        CityData.LoadAsync(_db.Owner, CityData.Parse(city.ToJsonString()), typeof(PlatformMigrator).Assembly, TimeProvider.System,
            TextWriter.Null);

    private async Task<CityDataRefusedException> RefusedAsync(JsonObject city) =>
        await Assert.ThrowsAsync<CityDataRefusedException>(() => LoadAsync(city));

    private const string EverythingCount = """
        SELECT (SELECT count(*) FROM identity_registry.divisions) + (SELECT count(*) FROM identity_registry.identity_codes)
             + (SELECT count(*) FROM quota_tracking.divisions) + (SELECT count(*) FROM quota_tracking.village_targets)
             + (SELECT count(*) FROM quota_tracking.quota_rules) + (SELECT count(*) FROM contribution_calculation.policies)
        """;

    [Fact]
    public async Task Load_CityFromChart_DivisionsTargetsCodesRulesAndPoliciesLand()
    {
        await LoadAsync(City());

        Assert.Equal(2L, await Scalar<long>("SELECT count(*) FROM identity_registry.divisions WHERE tenant_id = 'sc-t1' AND level = 'village'"));
        Assert.Equal("519901901", await Scalar<string>("SELECT parent_code FROM identity_registry.divisions WHERE code = '519901901201'"));
        Assert.Equal(3500, await Scalar<int>("SELECT registered_population FROM identity_registry.divisions WHERE code = '519901901201'"));
        Assert.Equal(1L, await Scalar<long>("SELECT count(*) FROM identity_registry.divisions WHERE tenant_id = 'city' AND code = '519900'"));
        Assert.Equal(3325, await Scalar<int>("SELECT task FROM quota_tracking.village_targets WHERE village_code = '519901901201' AND coverage_year = 2024"));
        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM quota_tracking.village_targets WHERE tenant_id = 'he-gaoyang'"));
        Assert.Equal("sc-t1-2024-v1", await Scalar<string>("SELECT policy_id FROM contribution_calculation.policies WHERE tenant_id = 'sc-t1'"));
        Assert.Equal("migrator:sample-city", await Scalar<string>("SELECT published_by FROM contribution_calculation.policies WHERE tenant_id = 'he-gaoyang'"));
        Assert.Equal("示例镇一2024年度参保任务", await Scalar<string>("SELECT name FROM quota_tracking.quota_rules WHERE tenant_id = 'sc-t1' AND coverage_year = 2024"));
        Assert.Equal(9500, await Scalar<int>("SELECT (document->'targets'->>'rateBp')::int FROM quota_tracking.quota_rules WHERE tenant_id = 'he-gaoyang'"));
        // A code left out is the category itself.
        Assert.Equal("tekun", await Scalar<string>("SELECT category FROM identity_registry.identity_codes WHERE tenant_id = 'sc-t1' AND local_code = '2304'"));
        Assert.Equal(1, await Scalar<int>("SELECT import_step FROM identity_registry.identity_codes WHERE tenant_id = 'sc-t1' AND local_code = 'dibao'"));
    }

    [Fact]
    public async Task Load_Twice_ChangesNothing()
    {
        await LoadAsync(City());
        var before = await Scalar<long>(EverythingCount);
        var loadedAt = await Scalar<DateTime>("SELECT loaded_at FROM quota_tracking.quota_rules WHERE tenant_id = 'sc-t1'");

        await LoadAsync(City());

        Assert.Equal(before, await Scalar<long>(EverythingCount));
        Assert.Equal(loadedAt, await Scalar<DateTime>("SELECT loaded_at FROM quota_tracking.quota_rules WHERE tenant_id = 'sc-t1'"));
    }

    [Fact]
    public async Task Load_EditedTargetRuleNameAndCode_SecondRunAppliesThem()
    {
        await LoadAsync(City());
        var city = City();
        Village(city, "519901901201")["task"] = 3400;
        Village(city, "519901901202")["name"] = "二村（合并后）";
        city["quotaRules"]!["sample-rules-2024"]!["targets"]!["rateBp"] = 9700;
        Tenant(city, "sc-t1")["identityCodes"]![0]!["importStep"] = 3;

        await LoadAsync(city);

        Assert.Equal(3400, await Scalar<int>("SELECT task FROM quota_tracking.village_targets WHERE village_code = '519901901201' AND coverage_year = 2024"));
        Assert.Equal("二村（合并后）", await Scalar<string>("SELECT name FROM identity_registry.divisions WHERE code = '519901901202'"));
        Assert.Equal("二村（合并后）", await Scalar<string>("SELECT name FROM quota_tracking.divisions WHERE code = '519901901202'"));
        Assert.Equal(9700, await Scalar<int>("SELECT (document->'targets'->>'rateBp')::int FROM quota_tracking.quota_rules WHERE tenant_id = 'sc-t1'"));
        Assert.Equal(3, await Scalar<int>("SELECT import_step FROM identity_registry.identity_codes WHERE tenant_id = 'sc-t1' AND local_code = '2304'"));
        // The other tenant's rules were not touched.
        Assert.Equal(9500, await Scalar<int>("SELECT (document->'targets'->>'rateBp')::int FROM quota_tracking.quota_rules WHERE tenant_id = 'he-gaoyang'"));
    }

    [Fact]
    public async Task Load_TenantWithoutQuotaRules_RefusedNamingItAndNothingWritten()
    {
        var city = City();
        Tenant(city, "he-gaoyang").Remove("quotaRules");

        var refused = await RefusedAsync(city);

        Assert.Equal(["tenant he-gaoyang has no quota rules for coverage year 2024 (tenants[].quotaRules)"], refused.Problems);
        Assert.Equal(0L, await Scalar<long>(EverythingCount));
    }

    [Fact]
    public async Task Load_PolicyOfAnotherYear_RefusedAsNoPolicyForTheYear()
    {
        var city = City();
        city["policies"]!["sample-2024"]!["coverageYear"] = 2025;

        var refused = await RefusedAsync(city);

        Assert.Contains("tenant sc-t1 has no policy for coverage year 2024: policy sample-2024 is for 2025", refused.Problems);
    }

    [Fact]
    public async Task Load_InvalidQuotaRules_RefusedWithTheServicesReasons()
    {
        var city = City();
        city["quotaRules"]!["sample-rules-2024"]!["targets"]!["rateBp"] = 0;

        var refused = await RefusedAsync(city);

        var problem = Assert.Single(refused.Problems);
        Assert.StartsWith("tenant sc-t1: quota rules sample-rules-2024 are invalid (QUOTA_RULES_INVALID): $.targets.rateBp", problem);
        Assert.Equal(0L, await Scalar<long>(EverythingCount));
    }

    [Fact]
    public async Task Load_PublishedPolicyEdited_RefusedNamingTheVersionAndNothingHalfWritten()
    {
        await LoadAsync(City());
        var before = await Scalar<long>("SELECT sum(task) FROM quota_tracking.village_targets");
        var city = City();
        Village(city, "519901901201")["task"] = 3000;
        city["policies"]!["sample-2024"]!["fiscalSubsidy"]!["amountFen"] = 70000;

        var refused = await RefusedAsync(city);

        var problem = Assert.Single(refused.Problems);
        Assert.StartsWith("tenant sc-t1: policy sample-2024 differs from the published sc-t1-2024-v1;", problem);
        // The target edit given with it was not written either.
        Assert.Equal(before, await Scalar<long>("SELECT sum(task) FROM quota_tracking.village_targets"));
        Assert.Equal(1L, await Scalar<long>("SELECT count(*) FROM contribution_calculation.policies WHERE tenant_id = 'sc-t1'"));
    }

    [Fact]
    public async Task Load_VillageRemovedFromValues_RefusedNamingItAndKept()
    {
        await LoadAsync(City());
        var city = City();
        Tenant(city, "sc-t1")["townships"]![0]!["villages"]!.AsArray().RemoveAt(1);

        var refused = await RefusedAsync(city);

        var problem = Assert.Single(refused.Problems);
        Assert.StartsWith("tenant sc-t1: village 519901901202 (二村) is stored but no longer in values", problem);
        Assert.Equal(1L, await Scalar<long>("SELECT count(*) FROM identity_registry.divisions WHERE code = '519901901202'"));
    }

    [Fact]
    public async Task Load_TenantRemovedFromValues_KeptAndReported()
    {
        await LoadAsync(City());
        var city = City();
        city["tenants"]!.AsArray().Remove(Tenant(city, "he-gaoyang"));
        var log = new StringWriter();

        await CityData.LoadAsync(_db.Owner, CityData.Parse(city.ToJsonString()), typeof(PlatformMigrator).Assembly, TimeProvider.System, log);

        Assert.Contains("tenants stored but no longer in the city data, left as they are: he-gaoyang", log.ToString());
        Assert.Equal(1L, await Scalar<long>("SELECT count(*) FROM quota_tracking.quota_rules WHERE tenant_id = 'he-gaoyang'"));
    }

    [Fact]
    public async Task Load_IdentityCodeRemovedFromValues_RefusedNamingIt()
    {
        await LoadAsync(City());
        var city = City();
        Tenant(city, "sc-t1")["identityCodes"]!.AsArray().RemoveAt(0);

        var refused = await RefusedAsync(city);

        Assert.StartsWith("tenant sc-t1: identity code 2304 is stored but no longer in identityCodes", Assert.Single(refused.Problems));
    }

    [Fact]
    public async Task LoadCityData_Refused_ExitCodeThreeAndEveryTenantNamedOnStandardError()
    {
        var city = City();
        Tenant(city, "he-gaoyang").Remove("quotaRules");
        Tenant(city, "sc-t1").Remove("policy");
        var path = Path.Combine(Path.GetTempPath(), $"city-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, city.ToJsonString());
        var error = new StringWriter();
        try
        {
            var exit = await MigratorProgram.LoadCityDataAsync(_db.Owner, path, TimeProvider.System, TextWriter.Null, error);

            Assert.Equal(MigratorProgram.RefusedExitCode, exit);
            Assert.Contains("tenant sc-t1 has no policy for coverage year 2024", error.ToString());
            Assert.Contains("tenant he-gaoyang has no quota rules for coverage year 2024", error.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parse_UnknownField_Refused()
    {
        var ex = Assert.ThrowsAny<JsonException>(() =>
            CityData.Parse("""{"city":"x","coverageYear":2024,"tenants":[],"tennants":[]}"""));
        Assert.Contains("tennants", ex.Message);
    }

    [Fact]
    public async Task Load_PolicyNeitherInlineNorShipped_RefusedNamingIt()
    {
        var city = City();
        Tenant(city, "he-gaoyang")["policy"] = "nowhere-2024";

        var refused = await RefusedAsync(city);

        Assert.Equal(["tenant he-gaoyang: policy nowhere-2024 is neither in policies nor a shipped policy"], refused.Problems);
    }

    private async Task<T> Scalar<T>(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject node, Action<JsonObject> change)
    {
        change(node);
        return node;
    }
}
