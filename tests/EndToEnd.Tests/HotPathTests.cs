using Medins.ChannelSimulation;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Xunit.Abstractions;

namespace Medins.EndToEnd.Tests;

/// <summary>The whole platform on a database holding last year's campaign (<see cref="HotPathSeed"/>).</summary>
public sealed class SeededPlatform : IAsyncLifetime
{
    public SeededPlatform() =>
        Platform = new RunningPlatform
        {
            Seed = async database =>
            {
                await HotPathSeed.LoadAsync(database);
                // The processes' clocks are anchored right after this; a provider's notice must agree with them.
                Time = new ShiftedTimeProvider(RunningPlatform.CampaignDay - DateTimeOffset.UtcNow);
            },
        };

    public RunningPlatform Platform { get; }

    public TimeProvider Time { get; private set; } = TimeProvider.System;

    public Task InitializeAsync() => Platform.InitializeAsync();

    public Task DisposeAsync() => Platform.DisposeAsync();
}

/// <summary>
/// Nothing on the payment path grows with the data: on a city database the walking path (register, quote, create,
/// confirm by RPC and by a channel's signed notice, the three consumers of contribution.paid, the relays, and the
/// background jobs running meanwhile) reads no sizeable table by a sequential scan, nor
/// walks an index over more than a handful of rows per payment.
/// </summary>
[Collection("platform processes")]
public sealed class HotPathTests(SeededPlatform seeded, ITestOutputHelper output) : IClassFixture<SeededPlatform>
{
    /// <summary>Tables this small are cheaper to scan than to index; the planner may rightly do so.</summary>
    private const long SizeableTable = 1_000;

    /// <summary>Rows a payment may fetch from one sizeable table through its indexes: the few it touches, and then some.</summary>
    private const long RowsPerPayment = 50;

    /// <summary>
    /// The relay's own tables: every event of a payment gets a delivery row per subscriber lane, which the claim, the
    /// outcome record and the event summary each touch again (with the row versions their updates leave) — a bounded
    /// number per payment, the same at 30,000 rows as at millions. A sequential scan of them still fails.
    /// </summary>
    private const long RelayRowsPerPayment = 150;

    private static long AllowedRowsPerPayment(string table) =>
        table.EndsWith(".outbox", StringComparison.Ordinal) || table.EndsWith(".outbox_delivery", StringComparison.Ordinal)
            ? RelayRowsPerPayment
            : RowsPerPayment;

    private const int RpcPayments = 4;
    private const int NoticePayments = 2;

    private RunningPlatform Platform => seeded.Platform;

    [Fact]
    public async Task HotPath_WalkingPathOnCityDatabase_ReadsNoSizeableTableBySequentialScan()
    {
        var linjiang = Platform.GatewayChannel("demo-linjiang-key");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        var villages = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.Where(d => d.Level == DivisionLevel.Village).Select(d => d.Code).ToList();
        using var http = new HttpClient { BaseAddress = new Uri(Platform["payment-collection"].HttpAddress + "/") };
        var simulator = new ChannelSimulator(SimulatorSetup.Demo, seeded.Time, http);

        // One payment first, so one-time work (caches, connection pools, route discovery) is not counted.
        var warmUp = await PayAsync(identity, villages[0], 0, simulator: null);
        await AppliedEverywhereAsync(linjiang, [warmUp]);

        var before = await TableScans.SnapshotAsync(Platform.Database.Owner);
        var paid = new List<(string ResidentId, string Village)>();
        for (var i = 1; i <= RpcPayments + NoticePayments; i++)
            paid.Add(await PayAsync(identity, villages[i % villages.Count], i, i > RpcPayments ? simulator : null));
        await AppliedEverywhereAsync(linjiang, paid);
        var after = await TableScans.SnapshotAsync(Platform.Database.Owner);

        // The seed must be where the payments are, or a missing index could hide behind an empty table.
        Assert.True(after["payment_collection.payment_orders"].LiveRows >= HotPathSeed.People,
            "the seeded orders are missing: " + after["payment_collection.payment_orders"]);
        var payments = paid.Count;
        // Small tables (tenants' settings, templates) may be scanned; shown so a growing one is noticed.
        foreach (var read in TableScans.Between(before, after, minRows: 0)) output.WriteLine(read.ToString());
        // A sequential scan of a sizeable table, or an index walked over many rows (only its leading tenant column
        // usable, say), both cost more as the table grows.
        var growing = TableScans.Between(before, after, minRows: SizeableTable)
            .Where(r => r.Scans > 0 || r.IndexRowsFetched >= AllowedRowsPerPayment(r.Table) * payments)
            .ToList();
        Assert.True(growing.Count == 0,
            $"{payments} payments read these tables without a usable index:" + Environment.NewLine
            + string.Join(Environment.NewLine, growing.Select(r => $"{r}; {(r.RowsRead + r.IndexRowsFetched) / payments} rows per payment")));
    }

    /// <summary>The hot path's statements, EXPLAINed on the seeded database; the plans are printed for the README.</summary>
    [Fact]
    public async Task HotPath_StatementPlansOnCityDatabase_UseIndexes()
    {
        var scanned = new List<string>();
        foreach (var statement in HotPathPlans.Statements(seeded.Time.GetUtcNow()))
        {
            var plan = await HotPathPlans.ExplainAsync(Platform.Database, statement);
            output.WriteLine($"-- {statement.AppId}: {statement.Name}{Environment.NewLine}{plan}{Environment.NewLine}");
            if (plan.Contains("Seq Scan", StringComparison.Ordinal)) scanned.Add($"{statement.AppId} {statement.Name}:{Environment.NewLine}{plan}");
        }
        Assert.True(scanned.Count == 0, "these statements scan a table:" + Environment.NewLine + string.Join(Environment.NewLine, scanned));
    }

    /// <summary>Registers a resident, quotes, creates her order and has it confirmed: by the RPC, or by the channel's notice.</summary>
    private async Task<(string ResidentId, string Village)> PayAsync(IdentityRegistryService.IdentityRegistryServiceClient identity,
        string village, int n, ChannelSimulator? simulator)
    {
        var linjiang = Platform.GatewayChannel("demo-linjiang-key");
        var resident = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = $"hot-path-register-{n}",
            NationalId = NationalIds.Make("500118", new DateOnly(1970, 1, 1).AddDays(n * 37), 500 + n),
            Name = "张" + n,
            VillageCode = village,
            RegistrationType = RegistrationType.HouseholdRegistered,
            Phone = "1380000" + (1000 + n),
        })).Resident;
        var quote = (await new ContributionCalculationService.ContributionCalculationServiceClient(linjiang)
            .QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 })).Quote;
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(linjiang);
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = $"hot-path-order-{n}",
            ResidentId = resident.ResidentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.WechatPay,
        })).Order;
        Assert.Equal(quote.PersonalAmountFen, order.PersonalAmountFen);
        if (simulator is null)
        {
            var confirmed = (await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
            {
                OrderId = order.OrderId,
                ChannelTransactionId = $"wx-hot-path-{n:D4}",
                AmountFen = order.PersonalAmountFen,
            })).Order;
            Assert.Equal(OrderState.Paid, confirmed.State);
        }
        else
        {
            var (_, answer) = await simulator.PayAndNotifyAsync("wechat_pay", "cq-linjiang", Guid.Parse(order.OrderId), order.PersonalAmountFen);
            Assert.True(answer.Acknowledged, $"the notice was refused: {answer.Status} {answer.Body}");
        }
        return (resident.ResidentId, village);
    }

    /// <summary>Waits until each payment's contribution.paid was applied by all three consumers.</summary>
    private static async Task AppliedEverywhereAsync(Grpc.Core.CallInvoker linjiang, IReadOnlyList<(string ResidentId, string Village)> paid)
    {
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(linjiang);
        var notification = new NotificationService.NotificationServiceClient(linjiang);
        foreach (var (residentId, _) in paid)
        {
            var enrolled = await RunningPlatform.EventuallyAsync(
                async () => (await identity.GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident,
                r => r.Enrolments.Any(e => e.CoverageYear == 2024 && e.Status == EnrolmentStatus.Enrolled), TimeSpan.FromSeconds(60));
            Assert.Contains(enrolled.Enrolments, e => e.CoverageYear == 2024 && e.Status == EnrolmentStatus.Enrolled);
            var sent = await RunningPlatform.EventuallyAsync(
                async () => (await notification.ListMessagesAsync(new ListMessagesRequest { ResidentId = residentId })).Messages,
                m => m.Count == 1 && m[0].Status == DeliveryStatus.Sent, TimeSpan.FromSeconds(60));
            Assert.Equal(DeliveryStatus.Sent, Assert.Single(sent).Status);
        }
        foreach (var village in paid.Select(p => p.Village).Distinct())
        {
            var expected = paid.Count(p => p.Village == village);
            var progress = await RunningPlatform.EventuallyAsync(
                async () => (await quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress,
                p => p.PaidCount >= expected, TimeSpan.FromSeconds(60));
            Assert.True(progress.PaidCount >= expected, $"quota-tracking counted {progress.PaidCount} payments in {village}, expected {expected}");
        }
    }
}
