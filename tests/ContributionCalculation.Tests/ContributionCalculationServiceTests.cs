using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;

namespace Medins.ContributionCalculation.Tests;

public sealed class ContributionCalculationServiceTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "contribution-calculation");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private ContributionCalculationService.ContributionCalculationServiceClient Client(string? tenant) =>
        new(_host.Channel(tenant));

    [Fact]
    public async Task QuoteContribution_DemoLiduTierTwo_PricesFromPublishedPolicy()
    {
        var response = await Client("cq-lidu").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024, Tier = 2 });

        Assert.Equal(75500, response.Quote.PersonalAmountFen);
        Assert.Equal("cq-lidu-2024-v1", response.Quote.PolicyId);
        Assert.Equal(2024, response.Quote.BenefitStartDate.Year);
    }

    [Fact]
    public async Task QuoteContribution_GaoyangAsksForTierTwo_InvalidArgumentUnknownTier()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("he-gaoyang").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024, Tier = 2 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("UNKNOWN_TIER", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_YearWithoutPolicy_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-lidu").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2031 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("POLICY_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_NoTenantHeader_FailedPreconditionTenantRequired()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client(null).QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("TENANT_REQUIRED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task QuoteContribution_UnknownTenant_SeesNoPolicy()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("xx-nowhere").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task QuoteContribution_YearOutOfRange_InvalidArgumentWithFieldViolation()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client("cq-lidu").QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 24 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var badRequest = ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>();
        Assert.Contains(badRequest.FieldViolations, v => v.Field == "coverage_year");
    }

    [Fact]
    public async Task QuoteContributionJson_YearOutOfRange_400WithReasonAndFieldViolation()
    {
        using var http = _host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/quotes")
        {
            Content = new StringContent("""{"coverageYear":24}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(Medins.Platform.Hosting.Tenancy.TenantHeaders.TenantId, "cq-lidu");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        var details = json.RootElement.GetProperty("details").EnumerateArray().ToList();
        Assert.Contains(details, d => d.TryGetProperty("reason", out var r) && r.GetString() == "INVALID_REQUEST");
        Assert.Contains(details, d => d.TryGetProperty("fieldViolations", out var v) && v[0].GetProperty("field").GetString() == "coverage_year");
        Assert.DoesNotContain("   at ", body);
    }
}
