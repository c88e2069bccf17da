using Grpc.Core;
using Medins.Identity.V1;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// Each refund kind walked through the gateway against the running platform; after every step the order, the
/// registry (enrolment, amounts, ledgers), quota-tracking (counters, settlement) and notification (refund notice, no
/// reminder) must tell the same story.
/// </summary>
[Collection("platform processes")]
public sealed class RefundAgreementTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    private const int Year = 2024;
    // A demo community of Gaoyang (services/Migrator/DemoCity/identity_registry.sql).
    private const string GaoyangVillage = "130628901001";

    private sealed record Clients(CallInvoker Channel)
    {
        public IdentityRegistryService.IdentityRegistryServiceClient Identity { get; } = new(Channel);
        public PaymentCollectionService.PaymentCollectionServiceClient Payments { get; } = new(Channel);
        public QuotaTrackingService.QuotaTrackingServiceClient Quota { get; } = new(Channel);
        public NotificationService.NotificationServiceClient Notification { get; } = new(Channel);
    }

    // Seed 004 二（五）3 (Gaoyang: 因死亡、服役、服刑以及重复缴费…可暂停参保关系，依申请…办理退费; the other seeds state
    // no such refund): death, army service and a duplicate enrolment, each paid then refunded before benefits start
    // on 2024-01-01. Each walks its own Gaoyang village, so the village's counters belong to her alone.
    [Theory]
    [InlineData("death", 0)]
    [InlineData("army", 1)]
    [InlineData("duplicate", 2)]
    public async Task FullRefund_GaoyangReason_StoresAgreeAtEveryStep(string reason, int villageIndex)
    {
        var gaoyang = new Clients(platform.GatewayChannel("demo-gaoyang-key"));
        var village = (await gaoyang.Identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.Where(d => d.Level == DivisionLevel.Village && d.Code != GaoyangVillage).OrderBy(d => d.Code)
            .ElementAt(villageIndex).Code;
        var residentId = await RegisterAsync(gaoyang, village, $"refund-{reason}", 401 + villageIndex);

        // Paid: enrolled, counted, receipt.
        var order = await PayAsync(gaoyang, residentId, $"wx-refund-{reason}");
        var enrolment = await EnrolmentAsync(gaoyang, residentId, e => e.Status == EnrolmentStatus.Enrolled);
        Assert.Equal(order.OrderId, enrolment.OrderId);
        Assert.Equal(order.PersonalAmountFen, enrolment.PersonalAmountFen);
        var progress = await ProgressAsync(gaoyang, village, p => p.EnrolledCount == 1);
        Assert.Equal((1L, order.PersonalAmountFen, 0L), (progress.EnrolledCount, progress.CollectedAmountFen, progress.RefundedCount));
        await MessagesAsync(gaoyang, residentId, m => m.Any(x => x.Template == "payment-receipt"));
        Assert.False(await OnLedgerAsync(gaoyang, village, residentId));

        // Requested: the order leaves 'paid' and the registry suspends her at once; the money is still held, so the
        // counters and the receipt stand until it goes back.
        var requested = await RetryingAsync(() => gaoyang.Payments.RequestRefundAsync(new RequestRefundRequest
        {
            RequestId = $"refund-request-{reason}", OrderId = order.OrderId, Reason = reason, EvidenceReference = $"{reason}-evidence-1",
        }).ResponseAsync);
        Assert.Equal(OrderState.RefundRequested, requested.Order.State);
        Assert.Equal(order.PersonalAmountFen, requested.Refund.AmountFen);
        enrolment = await EnrolmentAsync(gaoyang, residentId, e => e.Status == EnrolmentStatus.RefundPending);
        Assert.Equal((order.OrderId, reason, true), (enrolment.OrderId, enrolment.RefundReason, enrolment.ExcusedFromEnrolment));
        Assert.False(await OnLedgerAsync(gaoyang, village, residentId));
        Assert.Equal(0, await ToRemindAsync(gaoyang, village));
        progress = await ProgressAsync(gaoyang, village, _ => true);
        Assert.Equal((1L, order.PersonalAmountFen, 0L), (progress.EnrolledCount, progress.CollectedAmountFen, progress.RefundedCount));

        // Completed: the order is refunded, the enrolment ends with its reason, the counters drop her, a refund
        // notice goes out, and no ledger or reminder campaign asks her to pay.
        var completed = (await RetryingAsync(() => gaoyang.Payments.CompleteRefundAsync(new CompleteRefundRequest
        {
            RequestId = $"refund-complete-{reason}", RefundId = requested.Refund.RefundId, RefundReference = $"TAX-{reason}-1",
        }).ResponseAsync)).Refund;
        Assert.Equal(RefundState.Completed, completed.State);
        var refundedOrder = (await gaoyang.Payments.GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(OrderState.Refunded, refundedOrder.State);
        Assert.Equal(order.PersonalAmountFen, refundedOrder.CollectedAmountFen);
        enrolment = await EnrolmentAsync(gaoyang, residentId, e => e.Status == EnrolmentStatus.Refunded);
        Assert.Equal((order.OrderId, reason, true), (enrolment.OrderId, enrolment.RefundReason, enrolment.ExcusedFromEnrolment));
        progress = await ProgressAsync(gaoyang, village, p => p.RefundedCount == 1);
        Assert.Equal((0L, 0L, 1L), (progress.EnrolledCount, progress.CollectedAmountFen, progress.RefundedCount));
        var messages = await MessagesAsync(gaoyang, residentId, m => m.Any(x => x.Template == "refund-notice"));
        Assert.Contains(Yuan(order.PersonalAmountFen), Assert.Single(messages, m => m.Template == "refund-notice").Body);
        Assert.DoesNotContain(messages, m => m.Template.StartsWith("reminder", StringComparison.Ordinal));
        Assert.False(await OnLedgerAsync(gaoyang, village, residentId));
        Assert.Equal(0, await ToRemindAsync(gaoyang, village));
    }

    [Fact]
    public async Task DifferentialRefund_GaoyangDibaoCertifiedAfterPaying_OrderRegistryQuotaAndSettlementAgree()
    {
        // Seed 004 §二(五)3: paid 380 yuan as an ordinary resident in the collection period, then certified 低保 (§二(三):
        // 90% subsidised, pays 38): 342 yuan go back, she stays enrolled and the medical-assistance line is owed instead.
        var gaoyang = new Clients(platform.GatewayChannel("demo-gaoyang-key"));
        var nationalId = NationalIds.Make(GaoyangVillage[..6], new DateOnly(1968, 3, 9), 517);
        var residentId = await RegisterAsync(gaoyang, GaoyangVillage, "refund-differential", 517, nationalId);
        var settlementBefore = (await gaoyang.Quota.GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = Year }))
            .TotalAmountFen;

        var order = await PayAsync(gaoyang, residentId, "wx-refund-differential");
        Assert.Equal(38000, order.PersonalAmountFen);
        await EnrolmentAsync(gaoyang, residentId, e => e.Status == EnrolmentStatus.Enrolled);
        await ProgressAsync(gaoyang, GaoyangVillage, p => p.EnrolledCount == 1);

        var certified = (await RetryingAsync(() => gaoyang.Identity.ImportIdentitiesCsvAsync(new ImportIdentitiesCsvRequest
        {
            RequestId = "refund-certify-dibao",
            CsvText = $"national_id,local_code,department,valid_from\n{nationalId},dibao,民政,{RunningPlatform.CampaignDay:yyyy-MM-dd}\n",
        }).ResponseAsync)).Result;
        Assert.Equal(1, certified.CertifiedCount);

        // identity.certified raises the refund; until the money is back every store still shows the payment.
        var refund = (await RunningPlatform.EventuallyAsync(
            async () => (await gaoyang.Payments.ListRefundsAsync(new ListRefundsRequest { OrderId = order.OrderId })).Refunds,
            r => r.Count == 1)).Single();
        Assert.Equal((RefundKind.Differential, 34200L), (refund.Kind, refund.AmountFen));
        var pendingOrder = (await gaoyang.Payments.GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal((OrderState.Paid, 38000L), (pendingOrder.State, pendingOrder.PersonalAmountFen));
        Assert.Equal(38000, (await EnrolmentAsync(gaoyang, residentId, _ => true)).PersonalAmountFen);

        await RetryingAsync(() => gaoyang.Payments.CompleteRefundAsync(new CompleteRefundRequest
        {
            RequestId = "refund-complete-differential", RefundId = refund.RefundId, RefundReference = "TAX-DIFF-1",
        }).ResponseAsync);

        // The order: 38 yuan hers, the granted lines, 380 collected.
        var adjusted = (await gaoyang.Payments.GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(OrderState.Paid, adjusted.State);
        Assert.Equal((3800L, 34200L, 38000L), (adjusted.PersonalAmountFen, adjusted.SubsidyAmountFen, adjusted.CollectedAmountFen));
        Assert.Equal(refund.GrantedSubsidyLines, adjusted.SubsidyLines);
        Assert.Equal(34200, adjusted.SubsidyLines.Sum(l => l.AmountFen));

        // The registry: still enrolled, with the same amount and lines.
        var enrolment = await EnrolmentAsync(gaoyang, residentId, e => e.PersonalAmountFen == 3800);
        Assert.Equal((EnrolmentStatus.Enrolled, false), (enrolment.Status, enrolment.ExcusedFromEnrolment));
        Assert.Equal(
            adjusted.SubsidyLines.Select(l => (l.Category, l.FundingSource, l.AmountFen)),
            enrolment.SubsidyLines.Select(l => (l.Category, l.FundingSource, l.AmountFen)));

        // Quota-tracking: a paying enrolment (38 yuan is not zero-contribution) with 342 yuan of subsidy.
        var progress = await ProgressAsync(gaoyang, GaoyangVillage, p => p.DifferentialRefundCount == 1);
        Assert.Equal((1L, 1L, 0L), (progress.EnrolledCount, progress.PaidCount, progress.ZeroContributionCount));
        Assert.Equal((adjusted.PersonalAmountFen, adjusted.SubsidyAmountFen), (progress.CollectedAmountFen, progress.SubsidyAmountFen));

        // Settlement: each fund is owed exactly the order's lines.
        var settlement = await gaoyang.Quota.GetSubsidySettlementAsync(new GetSubsidySettlementRequest { CoverageYear = Year });
        Assert.Equal(settlementBefore + adjusted.SubsidyAmountFen, settlement.TotalAmountFen);
        foreach (var line in adjusted.SubsidyLines)
            Assert.Equal(line.AmountFen, settlement.Funds.Single(f => f.FundingSource == line.FundingSource).AmountFen);

        // Notification: the refund notice for 342 yuan; no reminder.
        var messages = await MessagesAsync(gaoyang, residentId, m => m.Any(x => x.Template == "refund-notice"));
        Assert.Contains(Yuan(34200), Assert.Single(messages, m => m.Template == "refund-notice").Body);
        Assert.DoesNotContain(messages, m => m.Template.StartsWith("reminder", StringComparison.Ordinal));
    }

    /// <summary>
    /// A call the platform may answer UNAVAILABLE when an upstream is slow (two shared cores), asking for the same
    /// request again: it is sent again as it is, as a county system would.
    /// </summary>
    private static async Task<T> RetryingAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }

    private static string Yuan(long fen) => $"{fen / 100}.{fen % 100:D2}";

    private static async Task<string> RegisterAsync(Clients clients, string village, string requestId, int serial, string? nationalId = null) =>
        (await RetryingAsync(() => clients.Identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = requestId,
            NationalId = nationalId ?? NationalIds.Make(village[..6], new DateOnly(1972, 4, 2), serial),
            Name = "陈淑芬",
            VillageCode = village,
            RegistrationType = RegistrationType.HouseholdRegistered,
            Phone = $"1390000{serial:D4}",
        }).ResponseAsync)).Resident.ResidentId;

    private static async Task<PaymentOrder> PayAsync(Clients clients, string residentId, string transactionId)
    {
        var order = (await RetryingAsync(() => clients.Payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "order-" + transactionId, ResidentId = residentId, CoverageYear = Year, Channel = PaymentChannel.WechatPay,
        }).ResponseAsync)).Order;
        var paid = (await RetryingAsync(() => clients.Payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = transactionId, AmountFen = order.PersonalAmountFen,
        }).ResponseAsync)).Order;
        Assert.Equal(OrderState.Paid, paid.State);
        Assert.Equal(paid.PersonalAmountFen, paid.CollectedAmountFen);
        return paid;
    }

    private static async Task<Enrolment> EnrolmentAsync(Clients clients, string residentId, Func<Enrolment, bool> done)
    {
        var resident = await RunningPlatform.EventuallyAsync(
            async () => (await clients.Identity.GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident,
            r => r.Enrolments.Any(e => e.CoverageYear == Year && done(e)));
        return Assert.Single(resident.Enrolments, e => e.CoverageYear == Year && done(e));
    }

    private static async Task<VillageProgress> ProgressAsync(Clients clients, string village, Func<VillageProgress, bool> done)
    {
        // A village quota-tracking has not yet counted anything for is NOT_FOUND until its first event lands.
        var progress = await RunningPlatform.EventuallyAsync(async () =>
        {
            try
            {
                return (await clients.Quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = Year, VillageCode = village })).Progress;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return null;
            }
        }, p => p is not null && done(p));
        Assert.True(progress is not null && done(progress), $"village {village} progress never matched: {progress}");
        return progress!;
    }

    private static async Task<IReadOnlyList<Message>> MessagesAsync(Clients clients, string residentId, Func<IReadOnlyList<Message>, bool> done)
    {
        var messages = await RunningPlatform.EventuallyAsync(
            async () => (IReadOnlyList<Message>)(await clients.Notification.ListMessagesAsync(new ListMessagesRequest { ResidentId = residentId })).Messages,
            done);
        Assert.True(done(messages), $"messages never matched: {string.Join(", ", messages.Select(m => m.Template))}");
        return messages;
    }

    private static async Task<bool> OnLedgerAsync(Clients clients, string village, string residentId) =>
        (await clients.Identity.ListLedgerAsync(new ListLedgerRequest
        {
            Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = Year, VillageCode = village, PageSize = 1000,
        })).Entries.Any(e => e.ResidentId == residentId);

    /// <summary>Whom a reminder campaign to the village's not-enrolled ledger would write to now.</summary>
    private static async Task<long> ToRemindAsync(Clients clients, string village) =>
        (await clients.Notification.PreviewReminderCampaignAsync(new PreviewReminderCampaignRequest
        {
            Target = new CampaignTarget { Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = Year, VillageCode = village },
        })).Counts.OnLedger;
}
