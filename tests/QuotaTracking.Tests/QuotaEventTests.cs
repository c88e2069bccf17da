using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.QuotaTracking.Tests;

public sealed class QuotaEventTests : IAsyncLifetime
{
    // Demo city, seed 002 attachment: 高滩村, Linjiang's first village (task 4776).
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201";
    private const string Lidu = "cq-lidu";

    // 09:30 in Beijing; a UTC instant, as TimeProvider.GetUtcNow returns and timestamptz parameters require.
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db, _time);
        _http = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string tenant) => new(_host.Channel(tenant));

    private static ContributionPaid Paid(string tenant, string village, long personalFen = 38000) => new()
    {
        TenantId = tenant,
        OrderId = Guid.NewGuid().ToString(),
        ResidentId = Guid.NewGuid().ToString(),
        VillageCode = village,
        CoverageYear = 2024,
        Tier = 1,
        PersonalAmountFen = personalFen,
        Channel = PaymentChannel.WechatPay,
        ChannelTransactionId = Guid.NewGuid().ToString("N"),
        PaidTime = Timestamp.FromDateTimeOffset(Now),
        BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
        BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
    };

    private async Task<VillageProgress> ProgressAsync(string tenant, string village) =>
        (await Client(tenant).GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;

    [Fact]
    public async Task ContributionPaid_OneEvent_IncrementsTheVillage()
    {
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, Paid(Linjiang, Gaotan));

        var progress = await ProgressAsync(Linjiang, Gaotan);
        Assert.Equal(1, progress.EnrolledCount);
        Assert.Equal(38000, progress.CollectedAmountFen);
        Assert.Equal(0, progress.RefundedCount);
        Assert.Equal(Linjiang, progress.TenantId);

        await using var cmd = _db.Owner.CreateCommand(
            "SELECT updated_at FROM quota_tracking.village_counters WHERE tenant_id = 'cq-linjiang' AND village_code = '500118901201'");
        Assert.Equal(Now, (DateTime)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task ContributionPaid_SameEventIdTwice_CountsOnce()
    {
        var eventId = Guid.NewGuid();
        var paid = Paid(Linjiang, Gaotan);

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, paid, eventId);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, paid, eventId);

        var progress = await ProgressAsync(Linjiang, Gaotan);
        Assert.Equal(1, progress.EnrolledCount);
        Assert.Equal(38000, progress.CollectedAmountFen);
    }

    [Fact]
    public async Task ContributionPaid_FiftyDistinctEventsConcurrently_CountsFifty()
    {
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, Paid(Linjiang, Gaotan))));

        var progress = await ProgressAsync(Linjiang, Gaotan);
        Assert.Equal(50, progress.EnrolledCount);
        Assert.Equal(50 * 38000, progress.CollectedAmountFen);
    }

    [Fact]
    public async Task ContributionRefunded_AfterPayment_DecrementsEnrolledAndCountsRefund()
    {
        var paid = Paid(Linjiang, Gaotan);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, paid);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, Paid(Linjiang, Gaotan));

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionRefunded, Linjiang, new ContributionRefunded
        {
            TenantId = Linjiang,
            OrderId = paid.OrderId,
            ResidentId = paid.ResidentId,
            VillageCode = Gaotan,
            CoverageYear = 2024,
            RefundedAmountFen = 38000,
            Reason = "JOINED_EMPLOYEE_INSURANCE",
            RefundTime = Timestamp.FromDateTimeOffset(Now),
        });

        var progress = await ProgressAsync(Linjiang, Gaotan);
        Assert.Equal(1, progress.EnrolledCount);
        Assert.Equal(1, progress.RefundedCount);
        Assert.Equal(38000, progress.CollectedAmountFen);
    }

    [Fact]
    public async Task ContributionPaid_TenantA_TenantBSeesNoneOfIt()
    {
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, Paid(Linjiang, Gaotan));

        var ex = await Assert.ThrowsAsync<RpcException>(() => ProgressAsync(Lidu, Gaotan));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("VILLAGE_NOT_FOUND", RpcErrors.ReasonOf(ex));
        var list = await Client(Lidu).ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024 });
        Assert.Empty(list.Progress);
    }

    [Fact]
    public async Task ContributionPaid_DataNamesAnotherTenant_NotCountedInEither()
    {
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Linjiang, Paid(Lidu, Gaotan));

        Assert.Equal(0, (await ProgressAsync(Linjiang, Gaotan)).EnrolledCount);
        await Assert.ThrowsAsync<RpcException>(() => ProgressAsync(Lidu, Gaotan));
    }

    [Fact]
    public async Task ContributionPaid_VillageWithoutTask_IsListedWithItsCount()
    {
        // Demo city: Lidu's first demo community; Lidu has no village tasks loaded.
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, Lidu, Paid(Lidu, "500102901001"));

        var list = await Client(Lidu).ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024 });
        var only = Assert.Single(list.Progress);
        Assert.Equal("500102901001", only.VillageCode);
        Assert.Equal(1, only.EnrolledCount);
    }

    [Fact]
    public async Task ContributionPaid_AppliedThenDuplicate_MetricCountsOnce()
    {
        // A tenant id no other test uses, so the process-wide counter's series belongs to this test alone.
        const string tenant = "test-metrics-town";
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, tenant, Paid(tenant, "000000000001"), eventId);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, tenant, Paid(tenant, "000000000001"), eventId);

        var metrics = await _http.GetStringAsync("/metrics");
        Assert.Contains("medins_quota_payments_total{tenant=\"test-metrics-town\",channel=\"wechat_pay\"} 1\n", metrics);
    }

    [Fact]
    public async Task DaprSubscribe_ListsBothContributionTopics()
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync("/dapr/subscribe"));

        var subscriptions = doc.RootElement.EnumerateArray().ToList();
        Assert.All(subscriptions, s => Assert.Equal("pubsub", s.GetProperty("pubsubName").GetString()));
        var routes = subscriptions.ToDictionary(s => s.GetProperty("topic").GetString()!, s => s.GetProperty("route").GetString());
        // Dapr lists routes without the leading slash.
        Assert.Equal("events/contribution.paid", routes[EventTopics.ContributionPaid]);
        Assert.Equal("events/contribution.refunded", routes[EventTopics.ContributionRefunded]);
    }
}
