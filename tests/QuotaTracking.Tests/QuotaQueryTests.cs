using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.QuotaTracking.Tests;

public sealed class QuotaQueryTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string? tenant) => new(_host.Channel(tenant));

    [Fact]
    public async Task GetVillageProgress_DemoVillageWithTaskAndNoEvents_Zeros()
    {
        // Demo city, seed 002 attachment: 兴隆村 has a 2024 task of 3606.
        var response = await Client("cq-linjiang").GetVillageProgressAsync(
            new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = "500118901210" });

        Assert.Equal("500118901210", response.Progress.VillageCode);
        Assert.Equal(0, response.Progress.EnrolledCount);
        Assert.Equal(0, response.Progress.CollectedAmountFen);
        Assert.Equal(0, response.Progress.RefundedCount);
    }

    [Fact]
    public async Task GetVillageProgress_NoTaskNoEvents_NotFoundVillageNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").GetVillageProgressAsync(
            new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = "500118901299" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("VILLAGE_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetVillageProgress_TaskOfAnotherYear_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").GetVillageProgressAsync(
            new GetVillageProgressRequest { CoverageYear = 2025, VillageCode = "500118901201" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task GetVillageProgress_MissingFields_InvalidArgumentWithBothViolations()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").GetVillageProgressAsync(
            new GetVillageProgressRequest()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violations = ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("coverage_year", violations);
        Assert.Contains("village_code", violations);
    }

    [Fact]
    public async Task GetVillageProgress_CityScopeNamingNoTenant_FailedPreconditionTenantRequired()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => new QuotaTrackingService.QuotaTrackingServiceClient(
            _host.Channel(null, cityScope: true)).GetVillageProgressAsync(
            new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = "500118901201" }).ResponseAsync);

        Assert.Equal("TENANT_REQUIRED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListVillageProgress_LinjiangPagesOfFour_AllElevenVillagesOnceInOrder()
    {
        // Demo city, seed 002 attachment: Linjiang's 11 villages and communities.
        var client = Client("cq-linjiang");
        var seen = new List<string>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await client.ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024, PageSize = 4, PageToken = token });
            Assert.True(page.Progress.Count <= 4);
            seen.AddRange(page.Progress.Select(p => p.VillageCode));
            token = page.NextPageToken;
            pages++;
        } while (token != "" && pages < 10);

        Assert.Equal(3, pages);
        // Code order: 临江社区 (community, 001) first, then the ten villages (201–210).
        Assert.Equal(["500118901001", .. Enumerable.Range(201, 10).Select(n => $"500118901{n}")], seen);
    }

    [Fact]
    public async Task ListVillageProgress_ExactlyOnePage_NoNextPageToken()
    {
        var page = await Client("cq-linjiang").ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024, PageSize = 11 });

        Assert.Equal(11, page.Progress.Count);
        Assert.Equal("", page.NextPageToken);
    }

    [Fact]
    public async Task ListVillageProgress_TokenReusedForAnotherYear_InvalidArgument()
    {
        var client = Client("cq-linjiang");
        var first = await client.ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024, PageSize = 2 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListVillageProgressAsync(
            new ListVillageProgressRequest { CoverageYear = 2025, PageSize = 2, PageToken = first.NextPageToken }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Theory]
    [InlineData("not a token")]
    [InlineData("eyJ4IjoxfQ")]
    public async Task ListVillageProgress_GarbageToken_InvalidArgument(string token)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").ListVillageProgressAsync(
            new ListVillageProgressRequest { CoverageYear = 2024, PageToken = token }).ResponseAsync);

        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListVillageProgress_NegativePageSize_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("cq-linjiang").ListVillageProgressAsync(
            new ListVillageProgressRequest { CoverageYear = 2024, PageSize = -1 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }
}
