using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests;

public sealed class ListMessagesTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 20, 1, 30, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "notification", new Dictionary<string, string?> { ["Notification:Dispatcher:Enabled"] = "false" },
            s => s.AddSingleton<TimeProvider>(_time));
        _http = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private NotificationService.NotificationServiceClient Client(string? tenant) => new(_host.Channel(tenant));

    private Task PayAsync(string residentId) =>
        CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, new ContributionPaid
        {
            TenantId = Linjiang,
            OrderId = Guid.NewGuid().ToString(),
            ResidentId = residentId,
            VillageCode = "500118901201",
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = 38000,
            PaidTime = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        });

    [Fact]
    public async Task ListMessages_FiveMessagesPagesOfTwo_EachOnceNewestFirst()
    {
        // Two pairs share a creation instant, so paging must break ties by message id.
        foreach (var step in new[] { 0, 0, 1, 1, 1 })
        {
            _time.Advance(TimeSpan.FromSeconds(step));
            await PayAsync("res-1");
        }

        var client = Client(Linjiang);
        var seen = new List<Message>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await client.ListMessagesAsync(new ListMessagesRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Messages.Count <= 2);
            seen.AddRange(page.Messages);
            token = page.NextPageToken;
            pages++;
        } while (token != "" && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Select(m => m.MessageId).Distinct().Count());
        var times = seen.Select(m => m.CreateTime.ToDateTimeOffset()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);
    }

    [Fact]
    public async Task ListMessages_FilterByResident_OnlyThatResidentsMessages()
    {
        await PayAsync("res-1");
        await PayAsync("res-2");
        await PayAsync("res-1");

        var response = await Client(Linjiang).ListMessagesAsync(new ListMessagesRequest { ResidentId = "res-1" });

        Assert.Equal(2, response.Messages.Count);
        Assert.All(response.Messages, m => Assert.Equal("res-1", m.ResidentId));
        Assert.Equal("", response.NextPageToken);
    }

    [Fact]
    public async Task ListMessages_TokenReusedWithAnotherResident_InvalidArgument()
    {
        await PayAsync("res-1");
        await PayAsync("res-1");
        var first = await Client(Linjiang).ListMessagesAsync(new ListMessagesRequest { ResidentId = "res-1", PageSize = 1 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ListMessagesAsync(
            new ListMessagesRequest { ResidentId = "res-2", PageSize = 1, PageToken = first.NextPageToken }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListMessages_GarbageToken_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ListMessagesAsync(
            new ListMessagesRequest { PageToken = "%%%" }).ResponseAsync);

        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListMessages_NegativePageSize_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ListMessagesAsync(
            new ListMessagesRequest { PageSize = -5 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task ListMessages_CityScopeNamingNoTenant_FailedPreconditionTenantRequired()
    {
        var city = new NotificationService.NotificationServiceClient(_host.Channel(null, cityScope: true));
        var ex = await Assert.ThrowsAsync<RpcException>(() => city.ListMessagesAsync(new ListMessagesRequest()).ResponseAsync);

        Assert.Equal("TENANT_REQUIRED", RpcErrors.ReasonOf(ex));
    }
}
