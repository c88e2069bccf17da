using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using static Medins.QuotaTracking.Tests.ContributionEvents;

namespace Medins.QuotaTracking.Tests;

/// <summary>Live counters from contribution events: breakdowns, refunds of both kinds, out-of-order delivery, roll-ups.</summary>
public sealed class QuotaCounterTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaoyang = "he-gaoyang";
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

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string? tenant, bool city = false) => new(_host.Channel(tenant, city));

    private Task PayAsync(ContributionPaid paid, Guid? eventId = null) =>
        CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionPaid, paid.TenantId, paid, eventId);

    private Task RefundAsync(ContributionRefunded refund, Guid? eventId = null) =>
        CloudEventPoster.DeliverAsync(_http, EventTopics.ContributionRefunded, refund.TenantId, refund, eventId);

    private async Task<VillageProgress> ProgressAsync(string village, string tenant = Linjiang) =>
        (await Client(tenant).GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;

    [Fact]
    public async Task ContributionPaid_PaidAndZeroContribution_CountedApartByGroupAndChannel()
    {
        // Seed 002 §二(二) names 特困 among the subsidised: fully subsidised, she pays nothing (零缴费).
        await PayAsync(Paid(Linjiang, Gaotan, 38000, PaymentChannel.WechatPay));
        await PayAsync(Paid(Linjiang, Gaotan, 38000, PaymentChannel.VillagePos));
        await PayAsync(Paid(Linjiang, Gaotan, 0, PaymentChannel.Unspecified, lines: Line("tekun", "subsidy-fund", 38000)));

        var progress = await ProgressAsync(Gaotan);

        Assert.Equal((3L, 2L, 1L), (progress.EnrolledCount, progress.PaidCount, progress.ZeroContributionCount));
        Assert.Equal(76000, progress.CollectedAmountFen);
        Assert.Equal(38000, progress.SubsidyAmountFen);
        var resident = Assert.Single(progress.PersonGroups);
        Assert.Equal(("resident", 3L), (resident.PersonGroup, resident.Counts.EnrolledCount));
        Assert.Equal([(PaymentChannel.Unspecified, 1L, 0L), (PaymentChannel.WechatPay, 1L, 38000L), (PaymentChannel.VillagePos, 1L, 38000L)],
            progress.Channels.OrderBy(c => c.Channel).Select(c => (c.Channel, c.Counts.EnrolledCount, c.Counts.CollectedAmountFen)));
        // Seed 002 §一: 特困 is one of the low-income monitored people, a key group of 99%.
        var poverty = progress.KeyGroups.Single(g => g.KeyGroup == "poverty-alleviated-and-monitored");
        Assert.Equal(1, poverty.EnrolledCount);
        // Rates against the demo task table: 3 of 5027 registered, 3 of a 4776 task.
        Assert.Equal(5, progress.EnrolmentRateBp);
        Assert.Equal(6, progress.TaskCompletionBp);
    }

    [Fact]
    public async Task ContributionPaid_LinjiangCategoryItsPolicyDoesNotSubsidise_NotInTheKeyGroup()
    {
        // Seed 002 §一: the 99% group lists only what Linjiang's policy subsidises; 已稳定脱贫人口 is not among them.
        await PayAsync(Paid(Linjiang, Gaotan, 28500, PaymentChannel.WechatPay, lines: Line("stable-out-of-poverty", "subsidy-fund", 9500)));

        var progress = await ProgressAsync(Gaotan);

        Assert.Equal(1, progress.EnrolledCount);
        Assert.Equal(0, progress.KeyGroups.Single(g => g.KeyGroup == "poverty-alleviated-and-monitored").EnrolledCount);
    }

    [Fact]
    public async Task ContributionPaid_SameOrderUnderTwoEventIds_CountedOnce()
    {
        var paid = Paid(Linjiang, Gaotan);

        await PayAsync(paid, Guid.NewGuid());
        await PayAsync(paid, Guid.NewGuid());

        Assert.Equal(1, (await ProgressAsync(Gaotan)).EnrolledCount);
    }

    [Fact]
    public async Task ContributionRefunded_Full_UndoesEverythingItsPaymentCounted()
    {
        var paid = Paid(Linjiang, Gaotan, 9500, PaymentChannel.Alipay, lines: Line("dibao", Assistance, 28500));
        await PayAsync(paid);
        await PayAsync(Paid(Linjiang, Gaotan, 38000));

        await RefundAsync(FullRefund(paid));

        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((1L, 1L, 0L, 1L), (progress.EnrolledCount, progress.PaidCount, progress.ZeroContributionCount, progress.RefundedCount));
        Assert.Equal(38000, progress.CollectedAmountFen);
        Assert.Equal(0, progress.SubsidyAmountFen);
        var alipay = progress.Channels.Single(c => c.Channel == PaymentChannel.Alipay);
        Assert.Equal((0L, 1L, 0L), (alipay.Counts.EnrolledCount, alipay.Counts.RefundedCount, alipay.Counts.CollectedAmountFen));
        Assert.Equal(0, progress.KeyGroups.Single(g => g.KeyGroup == "poverty-alleviated-and-monitored").EnrolledCount);
        var settlement = await Client(Linjiang).GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = 2024 });
        Assert.Equal(0, settlement.TotalAmountFen);
        Assert.All(settlement.Funds, f => Assert.Equal(0, f.PeopleCount));
    }

    [Fact]
    public async Task ContributionRefunded_BeforeItsPayment_WaitsAndThenNetsOut()
    {
        var paid = Paid(Linjiang, Gaotan, 38000);

        await RefundAsync(FullRefund(paid));
        var waiting = await ProgressAsync(Gaotan);
        await PayAsync(paid);

        Assert.Equal((0L, 0L), (waiting.EnrolledCount, waiting.RefundedCount));
        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((0L, 0L, 1L, 0L), (progress.EnrolledCount, progress.PaidCount, progress.RefundedCount, progress.CollectedAmountFen));
        Assert.Equal(0, progress.Channels.Single().Counts.EnrolledCount);
    }

    [Fact]
    public async Task ContributionRefunded_Differential_EnrolmentKeptLinesGrantedNowZeroContribution()
    {
        // Gaoyang seed 004 二（五）3: an identity certified during the period after an ordinary payment gets
        // the subsidised part back; here 特困, 100%: she becomes a zero-contribution enrolment.
        var paid = Paid(Gaoyang, "130628902201", 38000);
        await PayAsync(paid);

        await RefundAsync(DifferentialRefund(paid, Line("tekun", Assistance, 38000)));

        var progress = await ProgressAsync("130628902201", Gaoyang);
        Assert.Equal((1L, 0L, 1L, 0L, 1L), (progress.EnrolledCount, progress.PaidCount, progress.ZeroContributionCount,
            progress.RefundedCount, progress.DifferentialRefundCount));
        Assert.Equal(0, progress.CollectedAmountFen);
        Assert.Equal(38000, progress.SubsidyAmountFen);
        // Seed 004 §一(三)2: 特困 is in Gaoyang's subsidised key group, which she joins now.
        Assert.Equal(1, progress.KeyGroups.Single(g => g.KeyGroup == "subsidised").EnrolledCount);
        var fund = Assert.Single((await Client(Gaoyang).GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = 2024 })).Funds);
        Assert.Equal((Assistance, 1L, 38000L), (fund.FundingSource, fund.PeopleCount, fund.AmountFen));
    }

    [Fact]
    public async Task ContributionRefunded_PartialDifferential_StaysPaid()
    {
        // Seed 004 §二: 低保 is subsidised 90% (342 of 380): she keeps paying 38 yuan.
        var paid = Paid(Gaoyang, "130628902201", 38000);
        await PayAsync(paid);

        await RefundAsync(DifferentialRefund(paid, Line("dibao", Assistance, 34200)));

        var progress = await ProgressAsync("130628902201", Gaoyang);
        Assert.Equal((1L, 1L, 0L), (progress.EnrolledCount, progress.PaidCount, progress.ZeroContributionCount));
        Assert.Equal(3800, progress.CollectedAmountFen);
    }

    [Fact]
    public async Task ContributionRefunded_DifferentialFromTheSameFund_NewLinesReplaceOldPersonCountedOnce()
    {
        // Seed 004 §二: 低保 pays 38 of 380 (342 subsidised); certified 特困 during the period, the 38 come back too,
        // from the same fund: 特困's 380 replaces 低保's 342, and the fund counts her once.
        var paid = Paid(Gaoyang, "130628902201", 3800, lines: Line("dibao", Assistance, 34200));
        await PayAsync(paid);

        var refund = DifferentialRefund(paid, Line("tekun", Assistance, 38000));
        Assert.Equal(3800, refund.RefundedAmountFen);
        await RefundAsync(refund);

        var fund = Assert.Single((await Client(Gaoyang).GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = 2024 })).Funds);
        Assert.Equal((1L, 38000L), (fund.PeopleCount, fund.AmountFen));
        Assert.Equal(("tekun", 1L, 38000L), fund.Categories.Where(c => c.AmountFen != 0).Select(c => (c.Category, c.PeopleCount, c.AmountFen)).Single());
        var progress = await ProgressAsync("130628902201", Gaoyang);
        Assert.Equal((1L, 0L, 1L), (progress.EnrolledCount, progress.PaidCount, progress.ZeroContributionCount));
    }

    [Fact]
    public async Task ContributionRefunded_SameRefundUnderTwoEventIds_AppliedOnce()
    {
        var paid = Paid(Linjiang, Gaotan);
        await PayAsync(paid);
        await PayAsync(Paid(Linjiang, Gaotan));
        var refund = FullRefund(paid);

        await RefundAsync(refund, Guid.NewGuid());
        await RefundAsync(refund, Guid.NewGuid());

        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((1L, 1L), (progress.EnrolledCount, progress.RefundedCount));
    }

    [Fact]
    public async Task ContributionRefunded_SecondFullRefundOfAnEndedEnrolment_NotCounted()
    {
        var paid = Paid(Linjiang, Gaotan);
        await PayAsync(paid);
        await RefundAsync(FullRefund(paid));

        await RefundAsync(FullRefund(paid));

        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((0L, 1L, 0L), (progress.EnrolledCount, progress.RefundedCount, progress.CollectedAmountFen));
    }

    [Fact]
    public async Task ContributionEvents_ConcurrentPaymentsAndRefundsOfOneVillage_CountsAddUp()
    {
        var paid = Enumerable.Range(0, 40).Select(i => Paid(Linjiang, Gaotan, 38000, lines: Line("dibao", Assistance, 100))).ToList();
        // Every fourth payment is refunded; half of those refunds arrive before their payment.
        var refunds = paid.Where((_, i) => i % 4 == 0).Select(p => FullRefund(p)).ToList();

        await Task.WhenAll(paid.Select(p => PayAsync(p)).Concat(refunds.Select(r => RefundAsync(r))));

        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((30L, 10L), (progress.EnrolledCount, progress.RefundedCount));
        Assert.Equal(30 * 38000, progress.CollectedAmountFen);
        Assert.Equal(30 * 100, progress.SubsidyAmountFen);
        var fund = Assert.Single((await Client(Linjiang).GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = 2024 })).Funds);
        Assert.Equal((30L, 3000L), (fund.PeopleCount, fund.AmountFen));
    }

    [Fact]
    public async Task ListDivisionProgress_Township_SumsItsVillagesAgainstTheirBases()
    {
        await PayAsync(Paid(Linjiang, Gaotan));
        await PayAsync(Paid(Linjiang, Guilin));
        await PayAsync(Paid(Linjiang, Guilin, 0, PaymentChannel.Unspecified, lines: Line("tekun", "subsidy-fund", 38000)));

        var townships = await Client(Linjiang).ListDivisionProgressAsync(new ListDivisionProgressRequest
        {
            CoverageYear = 2024, Level = ProgressLevel.Township,
        });

        // Seed 002 attachment: 临江镇's 11 villages, 37694 registered, tasks 35809.
        var township = Assert.Single(townships.Divisions);
        Assert.Equal(("500118901", "临江镇", Linjiang), (township.DivisionCode, township.DivisionName, township.TenantId));
        Assert.Equal((3L, 2L, 1L), (township.Counts.EnrolledCount, township.Counts.PaidCount, township.Counts.ZeroContributionCount));
        Assert.Equal((37694L, 35809L, 11, 0), (township.Base, township.Task, township.VillageCount, township.VillagesWithoutTarget));
        Assert.Equal(0, township.EnrolmentRateBp); // 3 / 37694
        var county = Assert.Single((await Client(Linjiang).ListDivisionProgressAsync(new ListDivisionProgressRequest
        {
            CoverageYear = 2024, Level = ProgressLevel.County,
        })).Divisions);
        Assert.Equal(("500118", "永川区", 3L), (county.DivisionCode, county.DivisionName, county.Counts.EnrolledCount));
    }

    [Fact]
    public async Task ListDivisionProgress_CityScope_CityLevelAcrossTenants()
    {
        await PayAsync(Paid(Linjiang, Gaotan));
        await PayAsync(Paid("cq-lidu", "500102901001"));
        await PayAsync(Paid(Gaoyang, "130628902201"));

        var cities = await Client(null, city: true).ListDivisionProgressAsync(new ListDivisionProgressRequest
        {
            CoverageYear = 2024, Level = ProgressLevel.City,
        });

        // Chongqing (Lidu and Linjiang) and Baoding (Gaoyang).
        Assert.Equal([("130600", "保定市", 1L), ("500000", "重庆市", 2L)],
            cities.Divisions.Select(d => (d.DivisionCode, d.DivisionName, d.Counts.EnrolledCount)));
        Assert.All(cities.Divisions, d => Assert.Equal("", d.TenantId));
        // Chongqing's base is Linjiang's task table; Lidu's village has no target yet.
        var chongqing = cities.Divisions.Single(d => d.DivisionCode == "500000");
        Assert.Equal((37694L, 1), (chongqing.Base, chongqing.VillagesWithoutTarget));
        await using var audit = _db.Owner.CreateCommand(
            "SELECT count(*) FROM quota_tracking.city_scope_audit WHERE operation = 'QuotaTrackingService/ListDivisionProgress'");
        Assert.Equal(1L, await audit.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ListDivisionProgress_TenantAsksForTheCity_PermissionDenied()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ListDivisionProgressAsync(new ListDivisionProgressRequest
        {
            CoverageYear = 2024, Level = ProgressLevel.City,
        }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("CITY_SCOPE_REQUIRED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ListDivisionProgress_CityScopeTownshipsPagedByTwo_EveryTownshipOnce()
    {
        var client = Client(null, city: true);
        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await client.ListDivisionProgressAsync(new ListDivisionProgressRequest
            {
                CoverageYear = 2024, Level = ProgressLevel.Township, PageSize = 2, PageToken = token,
            });
            Assert.True(page.Divisions.Count <= 2);
            seen.AddRange(page.Divisions.Select(d => d.DivisionCode));
            token = page.NextPageToken;
        } while (token != "");

        // Only Linjiang has targets in the demo city: its one township.
        Assert.Equal(["500118901"], seen);
    }

    [Fact]
    public async Task ListDivisionProgress_NoLevel_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client(Linjiang).ListDivisionProgressAsync(new ListDivisionProgressRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal("level", Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations).Field);
    }
}
