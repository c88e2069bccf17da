using System.Text.Json;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Platform.Hosting;

namespace Medins.ContributionCalculation.Tests;

/// <summary>
/// Quotes through the service on the demo city's published policies (the shipped documents, version 1). The golden
/// matrix of every seed rule is the policy engine's; these cases check the service around it.
/// </summary>
public sealed class ContributionCalculationServiceTests : IAsyncLifetime
{
    private static readonly string[] MeishanCounties =
        ["sc-meishan-dongpo", "sc-meishan-pengshan", "sc-meishan-renshou", "sc-meishan-hongya", "sc-meishan-danling", "sc-meishan-qingshen"];

    private CalculationPlatform _p = null!;

    public async Task InitializeAsync() => _p = await CalculationPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private async Task<Quote> QuoteAsync(string tenant, QuoteContributionRequest request) =>
        (await _p.Client(tenant).QuoteContributionAsync(request)).Quote;

    private static QuoteContributionRequest Request(int tier = 0, DateOnly? paymentDate = null, params string[] identityCodes)
    {
        var request = new QuoteContributionRequest { CoverageYear = 2024, Tier = tier, PaymentDate = paymentDate?.ToProtoDate() };
        request.IdentityCodes.AddRange(identityCodes);
        return request;
    }

    [Fact]
    public async Task QuoteContribution_DemoLiduTierTwo_PricesFromPublishedPolicy()
    {
        // Seed 000 (Lidu) §2: tier 2 (二档) 755 yuan; §4: paid in the concentrated period → covered 1 Jan–31 Dec 2024.
        var quote = await QuoteAsync("cq-lidu", Request(tier: 2));

        Assert.Equal(75500, quote.PersonalAmountFen);
        Assert.Equal(75500, quote.StandardAmountFen);
        Assert.Equal("cq-lidu-2024-v1", quote.PolicyId);
        Assert.Equal(1, quote.PolicyVersion);
        Assert.Equal(new DateOnly(2024, 1, 1), quote.BenefitStartDate.ToDateOnly());
        Assert.Equal(new DateOnly(2024, 12, 31), quote.BenefitEndDate.ToDateOnly());
        Assert.Equal(0, quote.WaitingDays);
        Assert.Contains(quote.Lines, l => l.Kind == "standard" && l.AmountFen == 75500);
        Assert.False(string.IsNullOrWhiteSpace(quote.Explanation));
    }

    [Fact]
    public async Task QuoteContribution_LinjiangDefaultTier_ChargesChongqingTierOne()
    {
        // Seed 002 (Linjiang) uses Chongqing's tiers (seed 000 §2): tier 1 (一档) 380 yuan is the default.
        var quote = await QuoteAsync("cq-linjiang", Request());

        Assert.Equal(1, quote.Tier);
        Assert.Equal(38000, quote.PersonalAmountFen);
        Assert.Equal("cq-linjiang-2024-v1", quote.PolicyId);
    }

    [Fact]
    public async Task QuoteContribution_LiduDibaoTierOne_SubsidyLineNamesCategoryAndFund()
    {
        // Seed 000 (Lidu) §3 table: 低保对象, tier 1 — subsidy 342, the person pays 38.
        var quote = await QuoteAsync("cq-lidu", Request(tier: 1, identityCodes: "dibao"));

        Assert.Equal(34200, quote.SubsidyAmountFen);
        Assert.Equal(3800, quote.PersonalAmountFen);
        var subsidy = Assert.Single(quote.Lines, l => l.Kind == "subsidy");
        Assert.Equal("dibao", subsidy.Category);
        Assert.Equal(34200, subsidy.AmountFen);
        Assert.False(string.IsNullOrEmpty(subsidy.FundingSource));
        Assert.Equal(quote.StandardAmountFen + quote.SurchargeAmountFen - quote.SubsidyAmountFen, quote.PersonalAmountFen);
    }

    [Fact]
    public async Task QuoteContribution_IdentityCategoriesAlias_PricesAsIdentityCodes()
    {
        var byAlias = new QuoteContributionRequest { CoverageYear = 2024, Tier = 1 };
        byAlias.IdentityCategories.Add("dibao");

        var aliased = await QuoteAsync("cq-lidu", byAlias);

        Assert.Equal(await QuoteAsync("cq-lidu", Request(tier: 1, identityCodes: "dibao")), aliased);
    }

    [Theory]
    [MemberData(nameof(MeishanTenants))]
    public async Task QuoteContribution_MeishanCountyTekunLocalCode_FullySubsidisedByMedicalAssistanceFund(string tenant)
    {
        // Seed 003 (Meishan) §3: 特困救助对象 (code 2304) — 100% of 380 from the medical-assistance fund; pays 0.
        var ordinary = await QuoteAsync(tenant, Request());
        var tekun = await QuoteAsync(tenant, Request(identityCodes: "2304"));

        Assert.Equal(38000, ordinary.PersonalAmountFen);
        Assert.Equal(0, tekun.PersonalAmountFen);
        Assert.Equal(38000, tekun.SubsidyAmountFen);
        var subsidy = Assert.Single(tekun.Lines, l => l.Kind == "subsidy");
        Assert.Equal("tekun", subsidy.Category);
        Assert.Contains("medical-assistance", subsidy.FundingSource);
        Assert.Equal($"{tenant}-2024-v1", tekun.PolicyId);
    }

    public static TheoryData<string> MeishanTenants() => new(MeishanCounties);

    [Fact]
    public async Task QuoteContribution_GaoyangDibao_PaysTenPercent()
    {
        // Seed 004 (Gaoyang) §3: 低保对象 — 90% of 380 subsidised (342), the person pays 38.
        var quote = await QuoteAsync("he-gaoyang", Request(identityCodes: "dibao"));

        Assert.Equal(34200, quote.SubsidyAmountFen);
        Assert.Equal(3800, quote.PersonalAmountFen);
        Assert.Equal("he-gaoyang-2024-v1", quote.PolicyId);
    }

    [Theory]
    [InlineData("he-gaoyang", true)]
    [InlineData("cq-lidu", false)]
    public async Task QuoteContribution_EveryQuote_SaysWhetherTheHouseholdEnrolsTogether(string tenant, bool together)
    {
        // Seed 004 (Gaoyang) 一（三）1 "同一户口簿内符合参保条件的家庭成员应当同时参保"; seed 000 (Lidu) states no such rule.
        var quote = await QuoteAsync(tenant, Request());

        Assert.Equal(together, quote.EnrolHouseholdTogether);
    }

    private static DecideRefundRequest DeathRefund(DateOnly asked, DateOnly? died) => new()
    {
        CoverageYear = 2024,
        PolicyVersion = 1,
        Reason = "death",
        DecisionDate = asked.ToProtoDate(),
        EventDate = died?.ToProtoDate(),
        PaidPersonalAmountFen = 38000,
        BenefitStartDate = new DateOnly(2024, 1, 1).ToProtoDate(),
    };

    [Fact]
    public async Task DecideRefund_GaoyangDeathOn28DecReportedOn5Jan_RefundedOnTheEventDay()
    {
        // Seed 004 二（五）3 "在相应待遇享受期未开始前，因死亡…": she died before benefits started on 1 Jan 2024; the
        // report on 5 Jan does not matter.
        var decision = await _p.Client("he-gaoyang").DecideRefundAsync(DeathRefund(new DateOnly(2024, 1, 5), new DateOnly(2023, 12, 28)));

        Assert.True(decision.Allowed);
        Assert.Equal("REFUND_ALLOWED", decision.DecisionReason);
        Assert.Equal(38000, decision.RefundAmountFen);
        Assert.Contains("380.00元", decision.Explanation);
    }

    [Fact]
    public async Task DecideRefund_GaoyangNoEventDate_JudgedOnTheDecisionDate()
    {
        // event_date empty: the decision date (5 Jan 2024, after benefits started) decides, as before.
        var decision = await _p.Client("he-gaoyang").DecideRefundAsync(DeathRefund(new DateOnly(2024, 1, 5), null));

        Assert.False(decision.Allowed);
        Assert.Equal("BENEFITS_ALREADY_STARTED", decision.DecisionReason);
    }

    [Fact]
    public async Task DecideRefund_PartialEventDate_InvalidArgumentOnField()
    {
        var request = DeathRefund(new DateOnly(2024, 1, 5), null);
        request.EventDate = new Google.Type.Date { Year = 2023, Month = 12 };

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client("he-gaoyang").DecideRefundAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations, v => v.Field == "event_date");
    }

    [Fact]
    public async Task QuoteContribution_GaoyangSettlementDay_FailedPreconditionWithNextPossibleDate()
    {
        // Seed 004 (Gaoyang) §4: days 26 to month end are settlement days; payment resumes on the 1st.
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            QuoteAsync("he-gaoyang", Request(paymentDate: new DateOnly(2023, 11, 27))));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("SETTLEMENT_DAYS", RpcErrors.ReasonOf(ex));
        Assert.Equal("2023-12-01", ex.Metadata()["next_possible_date"]);
        Assert.Equal("he-gaoyang-2024-v1", ex.Metadata()["policy_id"]);
    }

    [Fact]
    public async Task QuoteContribution_BeforeFirstVersionTakesEffect_FailedPreconditionWithEffectiveDate()
    {
        var effectiveFrom = await _p.ScalarAsync<DateOnly>(
            "SELECT effective_from FROM contribution_calculation.policies WHERE tenant_id = 'he-gaoyang' AND coverage_year = 2024 AND version = 1");

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            QuoteAsync("he-gaoyang", Request(paymentDate: effectiveFrom.AddDays(-1))));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("POLICY_NOT_YET_EFFECTIVE", RpcErrors.ReasonOf(ex));
        Assert.Equal(effectiveFrom.ToString("yyyy-MM-dd"), ex.Metadata()["next_possible_date"]);
    }

    [Fact]
    public async Task QuoteContribution_PaymentDateOmitted_PricesTodayOnTheServiceClock()
    {
        var today = await QuoteAsync("he-gaoyang", Request());
        _p.Clock.SetUtcNow(new DateTimeOffset(2023, 11, 27, 1, 0, 0, TimeSpan.Zero));

        var ex = await Assert.ThrowsAsync<RpcException>(() => QuoteAsync("he-gaoyang", Request()));

        Assert.Equal(38000, today.PersonalAmountFen);
        Assert.Equal("SETTLEMENT_DAYS", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_GaoyangAsksForTierTwo_InvalidArgumentUnknownTierOnField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => QuoteAsync("he-gaoyang", Request(tier: 2)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("UNKNOWN_TIER", RpcErrors.ReasonOf(ex));
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations, v => v.Field == "tier");
    }

    [Fact]
    public async Task QuoteContribution_UnknownPersonGroup_InvalidArgumentOnField()
    {
        var request = Request();
        request.PersonGroup = "astronaut";

        var ex = await Assert.ThrowsAsync<RpcException>(() => QuoteAsync("cq-lidu", request));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("UNKNOWN_PERSON_GROUP", RpcErrors.ReasonOf(ex));
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations, v => v.Field == "person_group");
    }

    [Fact]
    public async Task QuoteContribution_ResidentIdOfElderlyLowIncomeMember_UsesRegisteredBirthDate()
    {
        // Seed 003 (Meishan) §3: 低收入救助对象 (2305) members aged 60 or more — 75% subsidised (285), pays 95.
        var elderly = await _p.RegisterResidentAsync("sc-meishan-dongpo", "511402901201", new DateOnly(1950, 3, 1));
        var request = Request(identityCodes: "2305");
        request.ResidentId = elderly;

        var quote = await QuoteAsync("sc-meishan-dongpo", request);

        Assert.Equal(9500, quote.PersonalAmountFen);
        Assert.Equal(28500, quote.SubsidyAmountFen);
    }

    [Fact]
    public async Task QuoteContribution_ResidentIdOfWorkingAgeLowIncomeMember_NoSubsidy()
    {
        // Seed 003 (Meishan) §3: the low-income subsidy is for members aged 60+, minors or grade 3–4 disabled only.
        var adult = await _p.RegisterResidentAsync("sc-meishan-dongpo", "511402901201", new DateOnly(1980, 3, 1));
        var request = Request(identityCodes: "2305");
        request.ResidentId = adult;

        var quote = await QuoteAsync("sc-meishan-dongpo", request);

        Assert.Equal(38000, quote.PersonalAmountFen);
        Assert.Equal(0, quote.SubsidyAmountFen);
    }

    [Fact]
    public async Task QuoteContribution_ResidentIdWithOtherBirthDate_InvalidArgumentBirthDateMismatch()
    {
        var resident = await _p.RegisterResidentAsync("cq-lidu", "500102901001", new DateOnly(1980, 3, 1));
        var request = Request();
        request.ResidentId = resident;
        request.BirthDate = new DateOnly(1981, 3, 1).ToProtoDate();

        var ex = await Assert.ThrowsAsync<RpcException>(() => QuoteAsync("cq-lidu", request));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("BIRTH_DATE_MISMATCH", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_ResidentOfAnotherTenant_NotFoundResidentNotFound()
    {
        var linjiangResident = await _p.RegisterResidentAsync("cq-linjiang", "500118901201", new DateOnly(1980, 3, 1));
        var request = Request();
        request.ResidentId = linjiangResident;

        var ex = await Assert.ThrowsAsync<RpcException>(() => QuoteAsync("cq-lidu", request));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("RESIDENT_NOT_FOUND", RpcErrors.ReasonOf(ex));
        Assert.Equal("identity-registry", ex.Metadata()["upstream"]);
    }

    [Fact]
    public async Task QuoteHousehold_GaoyangHousehold_MemberQuotesTotalAndEnrolTogether()
    {
        // Seed 004 (Gaoyang) §2: one household booklet enrols together; §3: 特困 pays 0, 低保 pays 38.
        var request = new QuoteHouseholdRequest { CoverageYear = 2024 };
        request.Members.Add(new HouseholdMember { BirthDate = new DateOnly(1970, 1, 1).ToProtoDate() });
        request.Members.Add(new HouseholdMember { IdentityCodes = { "dibao" } });
        request.Members.Add(new HouseholdMember { IdentityCodes = { "tekun" } });

        var response = await _p.Client("he-gaoyang").QuoteHouseholdAsync(request);

        Assert.Equal([38000L, 3800L, 0L], response.MemberQuotes.Select(m => m.Quote.PersonalAmountFen));
        Assert.Equal([0, 1, 2], response.MemberQuotes.Select(m => m.MemberIndex));
        Assert.Equal(41800, response.TotalPersonalAmountFen);
        Assert.Equal(34200 + 38000, response.TotalSubsidyAmountFen);
        Assert.True(response.EnrolHouseholdTogether);
        Assert.Contains("418.00", response.Explanation);
        Assert.Contains("户口簿", response.Explanation);
    }

    [Fact]
    public async Task QuoteHousehold_LiduHousehold_DoesNotRequireEnrollingTogether()
    {
        var request = new QuoteHouseholdRequest { CoverageYear = 2024, Tier = 2 };
        request.Members.Add(new HouseholdMember());
        request.Members.Add(new HouseholdMember { Tier = 1 });

        var response = await _p.Client("cq-lidu").QuoteHouseholdAsync(request);

        Assert.Equal([75500L, 38000L], response.MemberQuotes.Select(m => m.Quote.PersonalAmountFen));
        Assert.Equal(113500, response.TotalPersonalAmountFen);
        Assert.False(response.EnrolHouseholdTogether);
    }

    [Fact]
    public async Task QuoteHousehold_MemberByResidentId_FetchesHerFacts()
    {
        var elderly = await _p.RegisterResidentAsync("sc-meishan-dongpo", "511402901201", new DateOnly(1950, 3, 1));
        var request = new QuoteHouseholdRequest { CoverageYear = 2024 };
        request.Members.Add(new HouseholdMember { ResidentId = elderly, IdentityCodes = { "2305" } });
        request.Members.Add(new HouseholdMember());

        var response = await _p.Client("sc-meishan-dongpo").QuoteHouseholdAsync(request);

        Assert.Equal(elderly, response.MemberQuotes[0].ResidentId);
        Assert.Equal(9500 + 38000, response.TotalPersonalAmountFen);
    }

    [Fact]
    public async Task QuoteHousehold_OneMemberRefused_ErrorNamesTheMember()
    {
        var request = new QuoteHouseholdRequest { CoverageYear = 2024 };
        request.Members.Add(new HouseholdMember());
        request.Members.Add(new HouseholdMember { Tier = 2 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client("he-gaoyang").QuoteHouseholdAsync(request).ResponseAsync);

        Assert.Equal("UNKNOWN_TIER", RpcErrors.ReasonOf(ex));
        Assert.Equal("1", ex.Metadata()["member_index"]);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations, v => v.Field == "members[1].tier");
    }

    [Fact]
    public async Task QuoteHousehold_NoMembers_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("he-gaoyang").QuoteHouseholdAsync(new QuoteHouseholdRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations, v => v.Field == "members");
    }

    [Fact]
    public async Task QuoteContribution_YearWithoutPolicy_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("cq-lidu").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2031 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("POLICY_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_CityScopeNamingNoTenant_FailedPreconditionTenantRequired()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(null, cityScope: true).QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("TENANT_REQUIRED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_UnknownTenant_SeesNoPolicy()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("xx-nowhere").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task QuoteContribution_BadFacts_InvalidArgumentNamesEveryField()
    {
        var request = new QuoteContributionRequest
        {
            CoverageYear = 24,
            Tier = -1,
            ResidentId = "someone",
            DisabilityGrade = 7,
            PaymentDate = new Google.Type.Date { Year = 2023, Month = 2, Day = 30 },
            LifeEvent = new LifeEvent(),
        };
        request.IdentityCodes.Add(" ");

        var ex = await Assert.ThrowsAsync<RpcException>(() => QuoteAsync("cq-lidu", request));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "coverage_year", "tier", "resident_id", "disability_grade", "payment_date", "identity_codes",
            "life_event.kind", "life_event.date",
        }, fields);
    }

    [Fact]
    public async Task QuoteContributionJson_LiduTierTwo_200WithQuote()
    {
        using var http = _p.Host.JsonClient("cq-lidu");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/quotes")
        {
            Content = new StringContent("""{"coverageYear":2024,"tier":2,"paymentDate":{"year":2023,"month":11,"day":20}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var quote = JsonDocument.Parse(body).RootElement.GetProperty("quote");
        Assert.Equal(75500, quote.GetProperty("personalAmountFen").GetInt64());
        Assert.Equal("cq-lidu-2024-v1", quote.GetProperty("policyId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(quote.GetProperty("explanation").GetString()));
    }

    [Fact]
    public async Task QuoteContributionJson_SettlementDay_400WithReasonAndNextPossibleDate()
    {
        using var http = _p.Host.JsonClient("he-gaoyang");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/quotes")
        {
            Content = new StringContent("""{"coverageYear":2024,"paymentDate":{"year":2023,"month":11,"day":27}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var info = JsonDocument.Parse(body).RootElement.GetProperty("details").EnumerateArray()
            .Single(d => d.TryGetProperty("reason", out _));
        Assert.Equal("SETTLEMENT_DAYS", info.GetProperty("reason").GetString());
        Assert.Equal("2023-12-01", info.GetProperty("metadata").GetProperty("next_possible_date").GetString());
    }

    [Fact]
    public async Task QuoteContributionJson_YearOutOfRange_400WithReasonAndFieldViolation()
    {
        using var http = _p.Host.JsonClient("cq-lidu");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/quotes")
        {
            Content = new StringContent("""{"coverageYear":24}""", System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        var details = json.RootElement.GetProperty("details").EnumerateArray().ToList();
        Assert.Contains(details, d => d.TryGetProperty("reason", out var r) && r.GetString() == "INVALID_REQUEST");
        Assert.Contains(details, d => d.TryGetProperty("fieldViolations", out var v) && v[0].GetProperty("field").GetString() == "coverage_year");
        Assert.DoesNotContain("   at ", body);
    }

    [Fact]
    public async Task QuoteContributionJson_ChineseText_WrittenAsUtf8NotEscaped()
    {
        using var response = await PostQuoteJsonAsync("cq-lidu", """{"coverageYear":2024,"tier":1,"paymentDate":{"year":2023,"month":11,"day":20}}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("\\u", body);
        var explanation = JsonDocument.Parse(body).RootElement.GetProperty("quote").GetProperty("explanation").GetString()!;
        Assert.Contains(explanation, body); // the text itself, byte for byte
        Assert.Contains("元", body);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task QuoteContributionJson_RefusalInChinese_WrittenAsUtf8NotEscaped()
    {
        using var response = await PostQuoteJsonAsync("he-gaoyang", """{"coverageYear":2024,"paymentDate":{"year":2023,"month":11,"day":27}}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("\\u", body);
        Assert.Contains("费款结算期", body);
        Assert.Equal("SETTLEMENT_DAYS", JsonDocument.Parse(body).RootElement.GetProperty("details").EnumerateArray()
            .Single(d => d.TryGetProperty("reason", out _)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task QuoteContributionJson_Refusal_LocalizedMessageZhCnInBodyAsUtf8()
    {
        using var response = await PostQuoteJsonAsync("he-gaoyang", """{"coverageYear":2024,"paymentDate":{"year":2023,"month":11,"day":27}}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("\\u", body);
        var localized = ClerkDetail(body);
        Assert.Equal("zh-CN", localized.GetProperty("locale").GetString());
        var message = localized.GetProperty("message").GetString()!;
        Assert.Contains("费款结算期", message);
        Assert.Contains(message, body); // readable in the body as it is, not escaped
    }

    [Theory]
    [InlineData("""{"coverageYear":"abc"}""", "参保年度")]
    [InlineData("""{"coverageYear":2024,"lifeEvent":{"kind":"LIFE_EVENT_KIND_BIRTHDAY","date":{"year":2024,"month":1,"day":2}}}""", "life_event.kind")]
    [InlineData("""{"coverageYear":2024,"tier":2""", null)]
    [InlineData("""{"coverageYear":24}""", "参保年度")]
    public async Task QuoteContributionJson_BadBody_LocalizedMessageNamesTheField(string json, string? field)
    {
        using var response = await PostQuoteJsonAsync("cq-lidu", json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("\\u", body);
        var message = ClerkDetail(body).GetProperty("message").GetString()!;
        Assert.Contains("请", message); // a next step, in Chinese
        if (field is not null) Assert.Contains(field, message);
        // No .NET converter or enum identifier reaches the clerk.
        Assert.DoesNotContain("LIFE_EVENT_KIND", message);
        Assert.DoesNotContain("System.", message);
    }

    /// <summary>The google.rpc.LocalizedMessage detail of a JSON error body.</summary>
    private static JsonElement ClerkDetail(string body) => JsonDocument.Parse(body).RootElement.GetProperty("details").EnumerateArray()
        .Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.LocalizedMessage").Clone();

    [Theory]
    [InlineData("""{"coverageYear":"abc"}""", "INVALID_JSON_FIELD", "coverage_year")]
    [InlineData("""{"coverageYear":"2024"}""", "INVALID_JSON_FIELD", "coverage_year")]
    [InlineData("""{"coverageYear":2024,"tier":2.5}""", "INVALID_JSON_FIELD", "tier")]
    [InlineData("""{"coverageYear":2024,"lifeEvent":{"kind":"LIFE_EVENT_KIND_BIRTHDAY","date":{"year":2024,"month":1,"day":2}}}""", "INVALID_JSON_FIELD", "life_event.kind")]
    [InlineData("""{"coverageYear":2024,"identityCodes":"dibao"}""", "INVALID_JSON_FIELD", "identity_codes")]
    [InlineData("""{"coverageYear":2024,"identityCodes":["dibao",7]}""", "INVALID_JSON_FIELD", "identity_codes[1]")]
    [InlineData("""{"coverageYear":2024,"tier":2""", "MALFORMED_JSON", null)]
    public async Task QuoteContributionJson_BodyDoesNotFitTheMessage_400WithReasonAndField(string json, string reason, string? field)
    {
        using var response = await PostQuoteJsonAsync("cq-lidu", json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(3, document.RootElement.GetProperty("code").GetInt32());
        var details = document.RootElement.GetProperty("details").EnumerateArray().ToList();
        Assert.Contains(details, d => d.TryGetProperty("reason", out var r) && r.GetString() == reason);
        if (field is null) Assert.DoesNotContain(details, d => d.TryGetProperty("fieldViolations", out _));
        else Assert.Contains(details, d => d.TryGetProperty("fieldViolations", out var v) && v[0].GetProperty("field").GetString() == field);
    }

    [Theory]
    [InlineData("""{"coverageYear":2024,"tier":1,"paymentDate":{"year":2023,"month":11,"day":20},"lifeEvent":null}""")]
    [InlineData("""{"coverageYear":2024,"tier":1,"paymentDate":{"year":2023,"month":11,"day":20},"identityCodes":["dibao"],"lifeEvent":{"kind":6,"date":{"year":2023,"month":10,"day":1}}}""")]
    public async Task QuoteContributionJson_ValuesInTheirOtherJsonForms_Accepted(string json)
    {
        using var response = await PostQuoteJsonAsync("cq-lidu", json);

        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/v1/policies?coverageYear=2024&pageSize=10", true)]
    [InlineData("/v1/policies?coverage_year=2024&page_size=10", true)]
    [InlineData("/v1/policies?coverageYaer=2024", false)]
    [InlineData("/v1/policies/2024?tier=2", false)]
    public async Task ListPoliciesJson_QueryParameters_UnknownOnesRefusedByName(string path, bool accepted)
    {
        using var http = _p.Host.JsonClient("cq-lidu");

        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        if (accepted)
        {
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, body);
            return;
        }
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var details = JsonDocument.Parse(body).RootElement.GetProperty("details").EnumerateArray().ToList();
        Assert.Contains(details, d => d.TryGetProperty("reason", out var r) && r.GetString() == "UNKNOWN_QUERY_PARAMETER");
        var parameter = path[(path.IndexOf('?') + 1)..].Split('=')[0];
        Assert.Contains(details, d => d.TryGetProperty("fieldViolations", out var v) && v[0].GetProperty("field").GetString() == parameter);
    }

    private async Task<HttpResponseMessage> PostQuoteJsonAsync(string tenant, string json)
    {
        using var http = _p.Host.JsonClient(tenant);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/quotes")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        return await http.SendAsync(request);
    }
}
