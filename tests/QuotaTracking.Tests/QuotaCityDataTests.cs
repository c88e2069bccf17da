using System.Text.Json;
using System.Text.Json.Nodes;
using Medins.Migrator;
using Medins.Platform.Testing;

namespace Medins.QuotaTracking.Tests;

/// <summary>What the migrator loads for quota-tracking from a city release's data (the Helm chart's city.json).</summary>
public sealed class QuotaCityDataTests : IAsyncLifetime
{
    // sc-t1 gives its policy and quota rules in the file (shipped documents with their tenants changed); Gaoyang names
    // its shipped ones, the image's defaults.
    private static string City()
    {
        var policy = Shipped("policies/sc-meishan-2024.jsonc");
        policy["appliesTo"] = new JsonArray("sc-t1");
        var rules = Shipped("quota-rules/cq-linjiang-2024.jsonc");
        rules["appliesTo"] = new JsonArray("sc-t1");
        return $$"""
            {
              "city": "sample-city",
              "coverageYear": 2024,
              "tenants": [
                { "id": "sc-t1", "name": "示例镇一", "county": { "code": "519901", "name": "示例区" },
                  "city": { "code": "519900", "name": "示例市" }, "policy": "sample-2024", "quotaRules": "sample-rules-2024",
                  "townships": [ { "code": "519901901", "name": "示例镇一",
                    "villages": [ { "code": "519901901201", "name": "一村", "registeredPopulation": 3500, "task": 3325 } ] } ] },
                { "id": "he-gaoyang", "name": "高阳县", "county": { "code": "130628", "name": "高阳县" }, "policy": "he-gaoyang-2024",
                  "quotaRules": "he-gaoyang-2024",
                  "townships": [ { "code": "130628101", "name": "示例镇", "villages": [ { "code": "130628101201", "name": "示例村" } ] } ] }
              ],
              "policies": { "sample-2024": {{policy.ToJsonString()}} },
              "quotaRules": { "sample-rules-2024": {{rules.ToJsonString()}} }
            }
            """;
    }

    private static JsonObject Shipped(string resource)
    {
        using var stream = typeof(PlatformMigrator).Assembly.GetManifestResourceStream(resource)!;
        return JsonNode.Parse(stream, documentOptions: new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!
            .AsObject();
    }

    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync(demoCity: false);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task LoadAsync() =>
        CityData.LoadAsync(_db.Owner, CityData.Parse(City()), typeof(PlatformMigrator).Assembly, TimeProvider.System, TextWriter.Null);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return await cmd.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Load_CityData_DivisionTreeTaskTableAndEachTenantsRules()
    {
        await LoadAsync();

        Assert.Equal("519901901", await ScalarAsync("SELECT parent_code FROM quota_tracking.divisions WHERE tenant_id = 'sc-t1' AND code = '519901901201'"));
        Assert.Equal("519900", await ScalarAsync("SELECT parent_code FROM quota_tracking.divisions WHERE tenant_id = 'sc-t1' AND code = '519901'"));
        Assert.Equal("示例市", await ScalarAsync("SELECT name FROM quota_tracking.divisions WHERE tenant_id = 'city' AND code = '519900'"));
        // A task table: the registered population is the base.
        Assert.Equal(3500, await ScalarAsync("SELECT base FROM quota_tracking.village_targets WHERE village_code = '519901901201'"));
        Assert.Equal("task-table", await ScalarAsync("SELECT task_source FROM quota_tracking.village_targets WHERE village_code = '519901901201'"));
        // Each tenant gets the rules it names: its own from the file, Gaoyang its shipped ones.
        Assert.Equal(["he-gaoyang", "sc-t1"], await TenantsWithRulesAsync());
        Assert.Equal("registered-population", await ScalarAsync("SELECT document->'targets'->>'base' FROM quota_tracking.quota_rules WHERE tenant_id = 'sc-t1'"));
        Assert.Equal("migrator:sample-city", await ScalarAsync("SELECT loaded_by FROM quota_tracking.quota_rules WHERE tenant_id = 'he-gaoyang'"));
    }

    [Fact]
    public async Task Load_Twice_ChangesNothing()
    {
        await LoadAsync();
        const string count = """
            SELECT (SELECT count(*) FROM quota_tracking.divisions) + (SELECT count(*) FROM quota_tracking.quota_rules)
                 + (SELECT count(*) FROM quota_tracking.village_targets)
            """;
        var before = await ScalarAsync(count);

        await LoadAsync();

        Assert.Equal(before, await ScalarAsync(count));
    }

    private async Task<List<string>> TenantsWithRulesAsync()
    {
        await using var cmd = _db.Owner.CreateCommand("SELECT tenant_id FROM quota_tracking.quota_rules ORDER BY 1");
        var tenants = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tenants.Add(reader.GetString(0));
        return tenants;
    }
}
