using Medins.Migrator;
using Medins.Platform.Testing;

namespace Medins.Platform.Hosting.Tests;

/// <summary>The migrator loading a city release's data in the shape the Helm chart renders it (city.json).</summary>
public sealed class CityDataTests : IAsyncLifetime
{
    // Two township tenants of one county, one with an inline policy (a shipped document with its tenants changed),
    // one naming a shipped policy.
    private static string CityJson(string inlinePolicy) => $$"""
        {
          "city": "sample-city",
          "coverageYear": 2024,
          "tenants": [
            { "id": "sc-t1", "name": "示例镇一", "county": { "code": "519901", "name": "示例区" },
              "city": { "code": "519900", "name": "示例市" }, "policy": "sample-2024",
              "townships": [ { "code": "519901901", "name": "示例镇一",
                "villages": [ { "code": "519901901201", "name": "一村", "registeredPopulation": 3500, "task": 3325 },
                              { "code": "519901901202", "name": "二村", "registeredPopulation": 4200, "task": 3990 } ] } ] },
            { "id": "he-gaoyang", "name": "高阳县", "county": { "code": "130628", "name": "高阳县" }, "policy": "he-gaoyang-2024",
              "townships": [ { "code": "130628101", "name": "示例镇", "villages": [ { "code": "130628101201", "name": "示例村" } ] } ] }
          ],
          "policies": { "sample-2024": {{inlinePolicy}} }
        }
        """;

    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync(demoCity: false);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task LoadAsync()
    {
        var shipped = DemoPolicies.Shipped(typeof(PlatformMigrator).Assembly, "sc-meishan-2024")!;
        var inline = System.Text.Json.Nodes.JsonNode.Parse(shipped, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        inline["appliesTo"] = new System.Text.Json.Nodes.JsonArray("sc-t1");
        await CityData.LoadAsync(_db.Owner, CityData.Parse(CityJson(inline.ToJsonString())), typeof(PlatformMigrator).Assembly,
            TimeProvider.System, TextWriter.Null);
    }

    [Fact]
    public async Task Load_CityFromChart_DivisionsTargetsAndPoliciesLand()
    {
        await LoadAsync();

        Assert.Equal(2L, await Count("SELECT count(*) FROM identity_registry.divisions WHERE tenant_id = 'sc-t1' AND level = 'village'"));
        Assert.Equal("519901901", await Scalar<string>("SELECT parent_code FROM identity_registry.divisions WHERE code = '519901901201'"));
        Assert.Equal(1L, await Count("SELECT count(*) FROM identity_registry.divisions WHERE tenant_id = 'city' AND code = '519900'"));
        Assert.Equal(3325, await Scalar<int>("SELECT task FROM quota_tracking.village_targets WHERE village_code = '519901901201' AND coverage_year = 2024"));
        Assert.Equal(0L, await Count("SELECT count(*) FROM quota_tracking.village_targets WHERE tenant_id = 'he-gaoyang'"));
        Assert.Equal("sc-t1-2024-v1", await Scalar<string>("SELECT policy_id FROM contribution_calculation.policies WHERE tenant_id = 'sc-t1'"));
        Assert.Equal("migrator:sample-city", await Scalar<string>("SELECT published_by FROM contribution_calculation.policies WHERE tenant_id = 'he-gaoyang'"));
    }

    [Fact]
    public async Task Load_Twice_ChangesNothing()
    {
        await LoadAsync();
        var before = await Count("""
            SELECT (SELECT count(*) FROM identity_registry.divisions) + (SELECT count(*) FROM quota_tracking.village_targets)
                 + (SELECT count(*) FROM contribution_calculation.policies)
            """);

        await LoadAsync();

        Assert.Equal(before, await Count("""
            SELECT (SELECT count(*) FROM identity_registry.divisions) + (SELECT count(*) FROM quota_tracking.village_targets)
                 + (SELECT count(*) FROM contribution_calculation.policies)
            """));
    }

    [Fact]
    public void Parse_UnknownField_Refused()
    {
        var ex = Assert.ThrowsAny<System.Text.Json.JsonException>(() =>
            CityData.Parse("""{"city":"x","coverageYear":2024,"tenants":[],"tennants":[]}"""));
        Assert.Contains("tennants", ex.Message);
    }

    [Fact]
    public async Task Load_PolicyNeitherInlineNorShipped_FormatException()
    {
        var city = CityData.Parse("""
            {"city":"x","coverageYear":2024,"tenants":[{"id":"t","name":"t","county":{"code":"519901","name":"c"},
             "policy":"nowhere-2024","townships":[]}]}
            """);

        await Assert.ThrowsAsync<FormatException>(() =>
            CityData.LoadAsync(_db.Owner, city, typeof(PlatformMigrator).Assembly, TimeProvider.System, TextWriter.Null));
    }

    private async Task<long> Count(string sql) => await Scalar<long>(sql);

    private async Task<T> Scalar<T>(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
