using System.Text.Json;
using Google.Protobuf;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using static Medins.QuotaTracking.Tests.ContributionEvents;

namespace Medins.QuotaTracking.Tests;

/// <summary>Contribution events in Dapr's bulk shape: one inbox transaction per tenant, counters summed per row.</summary>
public sealed class QuotaBulkDeliveryTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Lidu = "cq-lidu";
    // Demo city (seed 002 attachment): 高滩村 and 桂林村 of 临江镇.
    private const string Gaotan = "500118901201";
    private const string Guilin = "500118901202";
    private const string Assistance = "medical-assistance-fund";

    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db);
        _http = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string tenant) => new(_host.Channel(tenant));

    private async Task<VillageProgress> ProgressAsync(string village, string tenant = Linjiang) =>
        (await Client(tenant).GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;

    private async Task<FundSettlement> FundAsync(string tenant = Linjiang) =>
        Assert.Single((await Client(tenant).GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = 2024 })).Funds);

    private static List<(string, IMessage, Guid)> Entries<T>(IEnumerable<T> events) where T : IMessage =>
        [.. events.Select(e => (TenantOf(e), (IMessage)e, Guid.NewGuid()))];

    private static string TenantOf(IMessage e) => e switch
    {
        ContributionPaid p => p.TenantId,
        ContributionRefunded r => r.TenantId,
        _ => throw new ArgumentException("not a contribution event"),
    };

    private Task<IReadOnlyDictionary<Guid, string>> BulkAsync(string topic, IReadOnlyList<(string, IMessage, Guid)> entries) =>
        CloudEventPoster.PostBulkAsync(_http, topic, entries);

    private async Task<long> InboxRowsAsync(IEnumerable<Guid> ids)
    {
        await using var cmd = _db.Owner.CreateCommand("SELECT count(*) FROM quota_tracking.inbox WHERE event_id = ANY($1)");
        cmd.Parameters.Add(new() { Value = ids.ToArray() });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task BulkDelivery_BatchOfPaymentsInTwoTenants_AppliedOnceEachWithOneInboxRowEach()
    {
        var entries = Entries(Enumerable.Range(0, 24).Select(i =>
            i % 3 == 2 ? Paid(Lidu, "500102901001", 38000) : Paid(Linjiang, i % 2 == 0 ? Gaotan : Guilin, 38000, lines: Line("dibao", Assistance, 100))));

        var statuses = await BulkAsync(EventTopics.ContributionPaid, entries);

        Assert.Equal(24, statuses.Count);
        Assert.All(statuses.Values, s => Assert.Equal("SUCCESS", s));
        Assert.Equal(24L, await InboxRowsAsync(entries.Select(e => e.Item3)));
        // 24 payments: every third (8) in Lidu; of Linjiang's 16, even indexes (8) in Gaotan, odd (8) in Guilin.
        Assert.Equal((8L, 8 * 38000L), ((await ProgressAsync(Gaotan)).EnrolledCount, (await ProgressAsync(Gaotan)).CollectedAmountFen));
        Assert.Equal(8L, (await ProgressAsync(Guilin)).EnrolledCount);
        Assert.Equal(8L, (await ProgressAsync("500102901001", Lidu)).EnrolledCount);
        Assert.Equal((16L, 1600L), ((await FundAsync()).PeopleCount, (await FundAsync()).AmountFen));
    }

    [Fact]
    public async Task BulkDelivery_ReplayedBatch_AppliesNothingTwice()
    {
        var entries = Entries(Enumerable.Range(0, 10).Select(_ => Paid(Linjiang, Gaotan, 38000, lines: Line("dibao", Assistance, 100))));
        await BulkAsync(EventTopics.ContributionPaid, entries);

        // The same batch again, and a batch mixing three of them with two new payments.
        var again = await BulkAsync(EventTopics.ContributionPaid, entries);
        var mixed = entries.Take(3).Concat(Entries(Enumerable.Range(0, 2).Select(_ => Paid(Linjiang, Gaotan, 38000)))).ToList();
        var mixedStatuses = await BulkAsync(EventTopics.ContributionPaid, mixed);

        Assert.All(again.Values.Concat(mixedStatuses.Values), s => Assert.Equal("SUCCESS", s));
        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((12L, 12 * 38000L, 1000L), (progress.EnrolledCount, progress.CollectedAmountFen, progress.SubsidyAmountFen));
        Assert.Equal(12L, await InboxRowsAsync(entries.Concat(mixed).Select(e => e.Item3).Distinct()));
    }

    [Fact]
    public async Task BulkDelivery_OnePoisonEvent_OthersAppliedPoisonRetriedAndNotClaimed()
    {
        var good = Enumerable.Range(0, 5).Select(_ => Paid(Linjiang, Gaotan, 38000)).ToList();
        // Passes every check but cannot be stored: PostgreSQL text holds no NUL character.
        var poison = Paid(Linjiang, Gaotan, 38000);
        poison.OrderId = "order-\u0000-1";
        var entries = Entries(good.Take(2).Append(poison).Concat(good.Skip(2)));
        var poisonId = entries[2].Item3;

        var statuses = await BulkAsync(EventTopics.ContributionPaid, entries);

        Assert.Equal("RETRY", statuses[poisonId]);
        Assert.All(statuses.Where(s => s.Key != poisonId), s => Assert.Equal("SUCCESS", s.Value));
        Assert.Equal((5L, 5 * 38000L), ((await ProgressAsync(Gaotan)).EnrolledCount, (await ProgressAsync(Gaotan)).CollectedAmountFen));
        // Its inbox claim rolled back with it, so a redelivery tries it again.
        Assert.Equal(0L, await InboxRowsAsync([poisonId]));
        Assert.Equal(5L, await InboxRowsAsync(entries.Select(e => e.Item3)));
    }

    [Fact]
    public async Task BulkDelivery_PaymentsAndRefunds_CountersEqualTheSameEventsDeliveredOneByOne()
    {
        // The same shapes of payments and refunds in two villages: Gaotan's in two bulk deliveries, Guilin's one by one.
        List<ContributionPaid> Payments(string village) =>
        [
            .. Enumerable.Range(0, 12).Select(i => Paid(Linjiang, village, i % 4 == 3 ? 0 : 38000,
                i % 2 == 0 ? PaymentChannel.WechatPay : PaymentChannel.VillagePos, personGroup: i % 3 == 0 ? "student" : "resident",
                lines: Line("dibao", Assistance, 100 + i))),
        ];
        var gaotan = Payments(Gaotan);
        var guilin = Payments(Guilin);
        var gaotanRefunds = gaotan.Where((_, i) => i % 5 == 0).Select(p => FullRefund(p)).ToList();
        var guilinRefunds = guilin.Where((_, i) => i % 5 == 0).Select(p => FullRefund(p)).ToList();

        await BulkAsync(EventTopics.ContributionPaid, Entries(gaotan));
        await BulkAsync(EventTopics.ContributionRefunded, Entries(gaotanRefunds));
        foreach (var p in guilin) await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, p.TenantId, p);
        foreach (var r in guilinRefunds) await CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionRefunded, r.TenantId, r);

        var bulk = await ProgressAsync(Gaotan);
        var single = await ProgressAsync(Guilin);
        Assert.Equal(9L, bulk.EnrolledCount); // 12 paid, 3 (indexes 0, 5, 10) refunded
        Assert.Equal(
            (single.EnrolledCount, single.PaidCount, single.ZeroContributionCount, single.RefundedCount, single.CollectedAmountFen, single.SubsidyAmountFen),
            (bulk.EnrolledCount, bulk.PaidCount, bulk.ZeroContributionCount, bulk.RefundedCount, bulk.CollectedAmountFen, bulk.SubsidyAmountFen));
        Assert.Equal(Breakdowns(single), Breakdowns(bulk));
        Assert.Equal(await SettlementRowsAsync(Guilin), await SettlementRowsAsync(Gaotan));
    }

    [Fact]
    public async Task BulkDelivery_RefundAndItsPaymentInOneBatchOfEachTopic_NetOut()
    {
        var paid = Paid(Linjiang, Gaotan, 38000, lines: Line("dibao", Assistance, 100));
        var refund = FullRefund(paid);

        // The refund's batch first: it waits for its payment, which the next batch applies together with it.
        await BulkAsync(EventTopics.ContributionRefunded, Entries([refund]));
        await BulkAsync(EventTopics.ContributionPaid, Entries([paid, Paid(Linjiang, Gaotan, 38000)]));

        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((1L, 1L, 38000L, 0L), (progress.EnrolledCount, progress.RefundedCount, progress.CollectedAmountFen, progress.SubsidyAmountFen));
    }

    [Fact]
    public async Task Subscriptions_EventRoutes_DeclareBulkSubscribe()
    {
        using var subscriptions = JsonDocument.Parse(await _http.GetStringAsync("/dapr/subscribe"));

        var paid = subscriptions.RootElement.EnumerateArray().Single(s => s.GetProperty("topic").GetString() == EventTopics.ContributionPaid);
        Assert.True(paid.GetProperty("bulkSubscribe").GetProperty("enabled").GetBoolean());
        Assert.Equal("events/contribution.paid", paid.GetProperty("route").GetString());
    }

    private static string Breakdowns(VillageProgress p) => string.Join(";", p.PersonGroups) + "|" + string.Join(";", p.Channels);

    private async Task<string> SettlementRowsAsync(string village)
    {
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT string_agg(funding_source || ':' || category || ':' || people_count || ':' || amount_fen, ',' ORDER BY funding_source, category)
            FROM quota_tracking.settlement_counters WHERE village_code = $1
            """);
        cmd.Parameters.Add(new() { Value = village });
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
