using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Migrator;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Npgsql;

namespace Medins.ContributionCalculation.Tests;

/// <summary>ValidatePolicy, PublishPolicy, GetPolicy and ListPolicies on the demo city's published versions.</summary>
public sealed class PolicyPublishingTests : IAsyncLifetime
{
    private const string Gaoyang = "he-gaoyang";
    private const int DemoTenantCount = 9;
    private static readonly DateOnly December1 = new(2023, 12, 1);

    private CalculationPlatform _p = null!;

    public async Task InitializeAsync() => _p = await CalculationPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private ContributionCalculationService.ContributionCalculationServiceClient City() => _p.Client(null, cityScope: true, client: "bureau-admin");

    /// <summary>A shipped document as published (version 1).</summary>
    private async Task<string> ShippedDocumentAsync(string tenant) =>
        (await _p.Client(tenant).GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2024, Version = 1 })).Policy.DocumentJson;

    /// <summary>Gaoyang's shipped document with the standard raised from 380 to 400 yuan, marked by a comment.</summary>
    private async Task<string> GaoyangAt400Async()
    {
        var shipped = await ShippedDocumentAsync(Gaoyang);
        Assert.Contains("38000", shipped);
        return "// 2024 standard corrected to 400 yuan\n" + shipped.Replace("38000", "40000");
    }

    private static PublishPolicyRequest Publish(string document, DateOnly effectiveFrom, string requestId = "publish-1") => new()
    {
        RequestId = requestId,
        DocumentJson = document,
        EffectiveFrom = effectiveFrom.ToProtoDate(),
    };

    private Task<long> CountAsync(string table, string where, params object[] args) =>
        _p.ScalarAsync<long>($"SELECT count(*) FROM contribution_calculation.{table} WHERE {where}", args);

    private async Task<long> QuoteAsync(string tenant, DateOnly paymentDate) =>
        (await _p.Client(tenant).QuoteContributionAsync(new QuoteContributionRequest
        {
            CoverageYear = 2024,
            PaymentDate = paymentDate.ToProtoDate(),
        })).Quote.PersonalAmountFen;

    [Fact]
    public async Task DemoCity_ShippedPolicies_PublishedAsVersionOneForEveryTenantFromCollectionStart()
    {
        Assert.Equal((long)DemoTenantCount, await CountAsync("policies", "coverage_year = 2024 AND version = 1"));
        Assert.Equal(6L, await CountAsync("policies", "applies_to @> ARRAY['sc-meishan-dongpo'] AND version = 1"));
        Assert.Equal(0L, await CountAsync("policies", "effective_from > '2023-11-20' OR policy_id <> tenant_id || '-2024-v1'"));
    }

    [Theory]
    [InlineData("cq-lidu")]
    [InlineData("cq-linjiang")]
    [InlineData("sc-meishan-dongpo")]
    [InlineData("he-gaoyang")]
    public async Task GetPolicy_ShippedDocument_ShowsTheBureausParametersWithTheirNotes(string tenant)
    {
        // Where a seed is silent (seed 000 三（四）3's unstated fiscal subsidy, seed 003/004's "不低于640元") the policy says
        // the bureau chose, next to the number, and GetPolicy returns it as published.
        var document = JsonNode.Parse(await ShippedDocumentAsync(tenant), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;

        var fiscal = document["fiscalSubsidy"]!;
        Assert.Equal("bureau", (string?)fiscal["source"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)fiscal["note"]));
    }

    [Fact]
    public async Task ValidatePolicy_ShippedDocument_ValidWithYearAndTenants()
    {
        var response = await _p.Client(Gaoyang).ValidatePolicyAsync(
            new ValidatePolicyRequest { DocumentJson = await ShippedDocumentAsync("sc-meishan-renshou") });

        Assert.True(response.Valid);
        Assert.Empty(response.Errors);
        Assert.Equal(2024, response.CoverageYear);
        Assert.Equal(6, response.AppliesTo.Count);
    }

    [Fact]
    public async Task ValidatePolicy_BrokenDocument_ListsEveryErrorWithItsPath()
    {
        var shipped = await ShippedDocumentAsync(Gaoyang);
        var broken = shipped.Replace("\"coverageYear\": 2024", "\"coverageYear\": \"next year\"");
        Assert.NotEqual(shipped, broken);

        var response = await _p.Client(Gaoyang).ValidatePolicyAsync(new ValidatePolicyRequest { DocumentJson = broken });
        var empty = await _p.Client(Gaoyang).ValidatePolicyAsync(new ValidatePolicyRequest { DocumentJson = "{}" });

        Assert.False(response.Valid);
        Assert.Contains(response.Errors, e => e.Path == "$.coverageYear");
        Assert.False(empty.Valid);
        Assert.Contains(empty.Errors, e => e.Path == "$.appliesTo");
        Assert.Contains(empty.Errors, e => e.Path == "$.coverageYear");
        Assert.All(empty.Errors, e => Assert.StartsWith("$", e.Path));
    }

    [Fact]
    public async Task ValidatePolicyJson_EmptyDocument_200WithErrors()
    {
        using var http = _p.Host.JsonClient(Gaoyang);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/policies:validate")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { documentJson = "{}" }), Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(body.GetProperty("errors").EnumerateArray(), e => e.GetProperty("path").GetString() == "$.coverageYear");
    }

    [Fact]
    public async Task ValidatePolicy_NoDocument_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Gaoyang).ValidatePolicyAsync(new ValidatePolicyRequest()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task PublishPolicy_NewVersionEffectiveFromDate_QuotesSwitchOnThatDay()
    {
        var document = await GaoyangAt400Async();

        var published = Assert.Single((await _p.Client(Gaoyang, client: "gaoyang-admin")
            .PublishPolicyAsync(Publish(document, December1))).Policies);

        Assert.Equal("he-gaoyang-2024-v2", published.PolicyId);
        Assert.Equal(2, published.Version);
        Assert.Equal(December1, published.EffectiveFrom.ToDateOnly());
        Assert.Equal("gaoyang-admin", published.PublishedBy);
        Assert.Equal(CalculationPlatform.CampaignDay, published.PublishTime.ToDateTimeOffset());
        Assert.Equal(38000, await QuoteAsync(Gaoyang, new DateOnly(2023, 11, 25)));
        Assert.Equal(40000, await QuoteAsync(Gaoyang, December1));
        // Version 1 still prices the days before version 2 takes effect, and is returned as the version in force today.
        Assert.Equal(1, (await _p.Client(Gaoyang).GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2024 })).Policy.Version);
        _p.Clock.SetUtcNow(new DateTimeOffset(2023, 12, 1, 1, 0, 0, TimeSpan.Zero));
        Assert.Equal(2, (await _p.Client(Gaoyang).GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2024 })).Policy.Version);
    }

    [Fact]
    public async Task PublishPolicy_Document_StoredExactlyAsGivenWithComments()
    {
        var document = await GaoyangAt400Async();

        await _p.Client(Gaoyang).PublishPolicyAsync(Publish(document, December1));
        var stored = (await _p.Client(Gaoyang).GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2024, Version = 2 })).Policy;

        Assert.Equal(document, stored.DocumentJson);
        Assert.Equal([Gaoyang], stored.AppliesTo);
    }

    [Fact]
    public async Task PublishPolicy_Replay_ReturnsFirstAnswerAndPublishesOnce()
    {
        var request = Publish(await GaoyangAt400Async(), December1);

        var first = await _p.Client(Gaoyang).PublishPolicyAsync(request);
        _p.Clock.Advance(TimeSpan.FromDays(20));
        var replay = await _p.Client(Gaoyang).PublishPolicyAsync(request);

        Assert.Equal(first, replay);
        Assert.Equal(2L, await CountAsync("policies", "tenant_id = $1", Gaoyang));
        Assert.Equal(1L, await CountAsync("outbox", "topic = $1", EventTopics.PolicyPublished));
    }

    [Fact]
    public async Task PublishPolicy_SameRequestIdOtherContent_FailedPreconditionRequestIdReused()
    {
        var document = await GaoyangAt400Async();
        await _p.Client(Gaoyang).PublishPolicyAsync(Publish(document, December1));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Gaoyang).PublishPolicyAsync(Publish(document, December1.AddDays(1))).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task PublishPolicy_TenantCallerOtherTenantsDocument_PermissionDeniedAndNothingStored()
    {
        var gaoyangDocument = await GaoyangAt400Async();

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("cq-lidu").PublishPolicyAsync(Publish(gaoyangDocument, December1)).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("TENANT_NOT_PERMITTED", RpcErrors.ReasonOf(ex));
        Assert.Equal((long)DemoTenantCount, await CountAsync("policies", "true"));
    }

    [Fact]
    public async Task PublishPolicy_TenantCallerCityWideDocument_PublishesForItsOwnTenantOnly()
    {
        var meishan = await ShippedDocumentAsync("sc-meishan-hongya");

        var published = (await _p.Client("sc-meishan-hongya").PublishPolicyAsync(Publish(meishan, December1))).Policies;

        Assert.Equal(["sc-meishan-hongya-2024-v2"], published.Select(p => p.PolicyId));
        Assert.Equal(1L, await CountAsync("policies", "version = 2"));
    }

    [Fact]
    public async Task PublishPolicy_CityScopeCityWideDocument_PublishesForEveryCountyWithEvents()
    {
        var meishan = await ShippedDocumentAsync("sc-meishan-hongya");

        var published = (await City().PublishPolicyAsync(Publish(meishan, December1))).Policies;

        Assert.Equal(6, published.Count);
        Assert.All(published, p => Assert.Equal(2, p.Version));
        Assert.All(published, p => Assert.Equal("bureau-admin", p.PublishedBy));
        Assert.Equal(6L, await CountAsync("outbox", "topic = $1", EventTopics.PolicyPublished));
        Assert.Equal(6L, await CountAsync("policies", "version = 2 AND tenant_id LIKE 'sc-meishan-%'"));
    }

    [Fact]
    public async Task PublishPolicy_Published_PolicyPublishedEventInOutbox()
    {
        await _p.Client(Gaoyang).PublishPolicyAsync(Publish(await GaoyangAt400Async(), December1));

        await using var cmd = _p.Db.Owner.CreateCommand(
            "SELECT tenant_id, event_type, payload::text FROM contribution_calculation.outbox WHERE topic = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = EventTopics.PolicyPublished });
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(Gaoyang, reader.GetString(0));
        Assert.Equal(PolicyPublished.Descriptor.FullName, reader.GetString(1));
        var published = Google.Protobuf.JsonParser.Default.Parse<PolicyPublished>(reader.GetString(2));
        Assert.Equal(new PolicyPublished
        {
            TenantId = Gaoyang,
            PolicyId = "he-gaoyang-2024-v2",
            CoverageYear = 2024,
            Version = 2,
            EffectiveFrom = December1.ToProtoDate(),
        }, published);
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task PublishPolicy_InvalidDocument_InvalidArgumentWithPathsAndNothingStored()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Gaoyang).PublishPolicyAsync(Publish("{}", December1)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("POLICY_INVALID", RpcErrors.ReasonOf(ex));
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations,
            v => v.Field == "document_json.coverageYear");
        Assert.Equal((long)DemoTenantCount, await CountAsync("policies", "true"));
    }

    [Fact]
    public async Task PublishPolicy_EffectiveBeforeToday_InvalidArgument()
    {
        var document = await GaoyangAt400Async();

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Gaoyang).PublishPolicyAsync(Publish(document, new DateOnly(2023, 11, 19))).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("EFFECTIVE_DATE_IN_PAST", RpcErrors.ReasonOf(ex));
        Assert.Equal(0L, await CountAsync("request_log", "rpc = 'PublishPolicy'"));
    }

    [Fact]
    public async Task PublishedVersion_UpdatedOrDeletedEvenByOwner_RefusedByTrigger()
    {
        var update = await Assert.ThrowsAsync<PostgresException>(() => _p.ExecuteAsync(
            "UPDATE contribution_calculation.policies SET document_text = '{}' WHERE tenant_id = $1 AND version = 1", Gaoyang));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => _p.ExecuteAsync(
            "DELETE FROM contribution_calculation.policies WHERE tenant_id = $1", Gaoyang));

        Assert.Equal(PostgresErrorCodes.IntegrityConstraintViolation, update.SqlState);
        Assert.Equal(PostgresErrorCodes.IntegrityConstraintViolation, delete.SqlState);
        Assert.Equal(38000, await QuoteAsync(Gaoyang, new DateOnly(2023, 11, 20)));
    }

    [Fact]
    public async Task DemoCityLoad_RunAgain_PublishesNoNewVersion()
    {
        var log = new StringWriter();

        await PlatformMigrator.MigrateAsync(_p.Db.Owner, TestDatabase.AppRolePasswords, loadDemoCity: true, _p.Clock, log);

        Assert.Contains("contribution_calculation: 0 demo policy versions published", log.ToString());
        Assert.Equal((long)DemoTenantCount, await CountAsync("policies", "true"));
    }

    [Fact]
    public void DemoPolicies_Header_ReadFromCommentedJsonWithEarliestCollectionStart()
    {
        var header = DemoPolicies.ReadHeader("test.jsonc", """
            // a policy
            {
              "coverageYear": 2025, /* the year covered */
              "appliesTo": ["t-a", "t-b"],
              "collectionPeriods": [ { "from": "2024-10-01" }, { "from": "2024-09-01", "to": "2024-12-31" }, { "kind": "mid-year" } ],
            }
            """);

        Assert.Equal(2025, header.CoverageYear);
        Assert.Equal(["t-a", "t-b"], header.AppliesTo);
        Assert.Equal(new DateOnly(2024, 9, 1), header.EffectiveFrom);
        Assert.DoesNotContain("//", header.PlainJson);
    }

    [Fact]
    public void DemoPolicies_HeaderWithoutCollectionPeriods_FormatException()
    {
        var ex = Assert.Throws<FormatException>(() =>
            DemoPolicies.ReadHeader("test.jsonc", """{"coverageYear": 2025, "appliesTo": ["t-a"]}"""));

        Assert.Contains("collectionPeriods", ex.Message);
    }

    [Fact]
    public async Task GetPolicy_UnknownVersion_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Gaoyang).GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2024, Version = 7 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("POLICY_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListPolicies_CityScopePages_EveryTenantOnceInOrder()
    {
        var seen = new List<Policy>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await City().ListPoliciesAsync(new ListPoliciesRequest { CoverageYear = 2024, PageSize = 4, PageToken = token });
            seen.AddRange(page.Policies);
            token = page.NextPageToken;
            pages++;
        } while (token.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(DemoTenantCount, seen.Count);
        Assert.Equal(seen.Select(p => p.TenantId).Order(StringComparer.Ordinal), seen.Select(p => p.TenantId));
        Assert.All(seen, p => Assert.Empty(p.DocumentJson));
        Assert.Equal((long)pages, await CountAsync("city_scope_audit", "operation = 'ContributionCalculationService/ListPolicies'"));
    }

    [Fact]
    public async Task ListPolicies_TenantCaller_OwnVersionsOnlyFullViewWithDocument()
    {
        await _p.Client(Gaoyang).PublishPolicyAsync(Publish(await GaoyangAt400Async(), December1));

        var page = await _p.Client(Gaoyang).ListPoliciesAsync(new ListPoliciesRequest { View = PolicyView.Full });

        Assert.Equal([1, 2], page.Policies.Select(p => p.Version));
        Assert.All(page.Policies, p => Assert.Equal(Gaoyang, p.TenantId));
        Assert.All(page.Policies, p => Assert.NotEmpty(p.DocumentJson));
        Assert.Empty(page.NextPageToken);
    }

    [Fact]
    public async Task ListPolicies_TokenOfOtherFilter_InvalidArgumentInvalidPageToken()
    {
        var first = await City().ListPoliciesAsync(new ListPoliciesRequest { CoverageYear = 2024, PageSize = 2 });

        var otherFilter = await Assert.ThrowsAsync<RpcException>(() =>
            City().ListPoliciesAsync(new ListPoliciesRequest { PageSize = 2, PageToken = first.NextPageToken }).ResponseAsync);
        var garbage = await Assert.ThrowsAsync<RpcException>(() =>
            City().ListPoliciesAsync(new ListPoliciesRequest { PageToken = "not-a-token" }).ResponseAsync);

        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(otherFilter));
        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(garbage));
    }
}
