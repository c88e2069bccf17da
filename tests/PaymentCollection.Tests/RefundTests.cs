using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class RefundTests : IAsyncLifetime
{
    private const string Gaoyang = "he-gaoyang";
    // A demo community of Gaoyang (services/Migrator/DemoCity/identity_registry.sql).
    private const string GaoyangVillage = "130628901001";
    private const string Dongpo = "sc-meishan-dongpo";
    private const string DongpoVillage = "511402901201";
    // 2023-12-01 09:00 in Asia/Shanghai: a department's list arrives during the concentrated collection period.
    private static readonly DateTimeOffset CertificationDay = new(2023, 12, 1, 1, 0, 0, TimeSpan.Zero);
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private PaymentCollectionService.PaymentCollectionServiceClient Client(string tenant) => _p.Client(tenant);

    /// <summary>A resident who paid her whole personal part through WeChat on the campaign day.</summary>
    private async Task<(PaymentOrder Order, string ResidentId, string NationalId)> PaidAsync(string tenant, string village)
    {
        var (residentId, nationalId) = await _p.RegisterResidentWithIdAsync(tenant, village);
        var order = (await Client(tenant).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        })).Order;
        var paid = (await Client(tenant).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "wx-" + Guid.NewGuid().ToString("N"), AmountFen = order.PersonalAmountFen,
        })).Order;
        return (paid, residentId, nationalId);
    }

    private Task<RequestRefundResponse> RequestRefundAsync(string tenant, string orderId, string reason = "death",
        string? requestId = null) =>
        Client(tenant).RequestRefundAsync(new RequestRefundRequest
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(), OrderId = orderId, Reason = reason,
            EvidenceReference = "死亡证明 2023-1234",
        }).ResponseAsync;

    private Task<CompleteRefundResponse> CompleteAsync(string tenant, string refundId, string? requestId = null) =>
        Client(tenant).CompleteRefundAsync(new CompleteRefundRequest
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(), RefundId = refundId, RefundReference = "TAX-REFUND-0001",
        }).ResponseAsync;

    [Fact]
    public async Task RequestRefund_GaoyangDeathBeforeBenefitsStart_SuspendsThenRefundsWithEvent()
    {
        // Seed 004 §二(五)3: paid, then died before the benefit period (2024-01-01) starts: refunded on application.
        var (order, residentId, _) = await PaidAsync(Gaoyang, GaoyangVillage);
        Assert.Equal(38000, order.PersonalAmountFen);

        var requested = await RequestRefundAsync(Gaoyang, order.OrderId);

        Assert.Equal(OrderState.RefundRequested, requested.Order.State);
        Assert.Equal(RefundKind.Full, requested.Refund.Kind);
        Assert.Equal(RefundState.Requested, requested.Refund.State);
        Assert.Equal(38000, requested.Refund.AmountFen);
        Assert.Equal("test-client", requested.Refund.RequestedBy);
        Assert.Contains("二（五）3", requested.Refund.Explanation);
        Assert.Empty(await _p.OutboxEventsAsync<ContributionRefunded>(EventTopics.ContributionRefunded));

        var completed = (await CompleteAsync(Gaoyang, requested.Refund.RefundId)).Refund;

        Assert.Equal(RefundState.Completed, completed.State);
        Assert.Equal("TAX-REFUND-0001", completed.RefundReference);
        var order2 = (await Client(Gaoyang).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(OrderState.Refunded, order2.State);
        var evt = Assert.Single(await _p.OutboxEventsAsync<ContributionRefunded>(EventTopics.ContributionRefunded));
        Assert.Equal(RefundKind.Full, evt.Kind);
        Assert.Equal(38000, evt.RefundedAmountFen);
        Assert.Equal("death", evt.Reason);
        Assert.Equal(residentId, evt.ResidentId);
        Assert.Equal(completed.RefundId, evt.RefundId);
        Assert.Equal(PaymentChannel.WechatPay, evt.Channel);
    }

    [Fact]
    public async Task RequestRefund_AfterBenefitsStarted_FailedPreconditionAndOrderStaysPaid()
    {
        // Seed 004 §二(五)3: refunds only "在相应待遇享受期未开始前"; benefits start 2024-01-01.
        var (order, _, _) = await PaidAsync(Gaoyang, GaoyangVillage);
        _p.Clock.SetUtcNow(new DateTimeOffset(2024, 1, 2, 2, 0, 0, TimeSpan.Zero));

        var error = await Assert.ThrowsAsync<RpcException>(() => RequestRefundAsync(Gaoyang, order.OrderId));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("BENEFITS_ALREADY_STARTED", RpcErrors.ReasonOf(error));
        Assert.Contains("待遇享受期", RpcErrors.ClerkTextOf(error)); // the policy's own words, with its clause
        Assert.Equal("paid", await _p.ScalarAsync<string>(
            "SELECT state FROM payment_collection.payment_orders WHERE order_id = $1", Guid.Parse(order.OrderId)));
        Assert.Equal(0L, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_refunds"));
    }

    [Fact]
    public async Task RequestRefund_ReasonThePolicyDoesNotList_FailedPreconditionReasonNotInPolicy()
    {
        var (order, _, _) = await PaidAsync(Gaoyang, GaoyangVillage);

        var error = await Assert.ThrowsAsync<RpcException>(() => RequestRefundAsync(Gaoyang, order.OrderId, "changed-mind"));

        Assert.Equal("REFUND_REASON_NOT_IN_POLICY", RpcErrors.ReasonOf(error));
    }

    [Fact]
    public async Task RequestRefund_UnpaidOrder_FailedPreconditionOrderNotPaid()
    {
        var residentId = await _p.RegisterResidentAsync(Gaoyang, GaoyangVillage);
        var order = (await Client(Gaoyang).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, Channel = PaymentChannel.Alipay,
        })).Order;

        var error = await Assert.ThrowsAsync<RpcException>(() => RequestRefundAsync(Gaoyang, order.OrderId));

        Assert.Equal("ORDER_NOT_PAID", RpcErrors.ReasonOf(error));
        Assert.Equal("这笔缴费单待付款，只有已付款的缴费才能退费。", RpcErrors.ClerkTextOf(error));
        Assert.Contains("is awaiting payment", error.Status.Detail);
        Assert.DoesNotContain("Created", error.Status.Detail);
    }

    [Fact]
    public async Task RequestRefund_ReplayedAndRepeated_FirstAnswerThenRefundAlreadyRequested()
    {
        var (order, _, _) = await PaidAsync(Gaoyang, GaoyangVillage);
        var requestId = Guid.NewGuid().ToString();

        var first = await RequestRefundAsync(Gaoyang, order.OrderId, requestId: requestId);
        var replay = await RequestRefundAsync(Gaoyang, order.OrderId, requestId: requestId);
        var again = await Assert.ThrowsAsync<RpcException>(() => RequestRefundAsync(Gaoyang, order.OrderId, "army"));

        Assert.Equal(first, replay);
        Assert.Equal("REFUND_ALREADY_REQUESTED", RpcErrors.ReasonOf(again));
        Assert.Equal(1L, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_refunds"));
    }

    [Fact]
    public async Task CompleteRefund_Twice_ReplayKeepsFirstAnswerOtherRequestRefused()
    {
        var (order, _, _) = await PaidAsync(Gaoyang, GaoyangVillage);
        var refund = (await RequestRefundAsync(Gaoyang, order.OrderId)).Refund;
        var requestId = Guid.NewGuid().ToString();

        var first = await CompleteAsync(Gaoyang, refund.RefundId, requestId);
        var replay = await CompleteAsync(Gaoyang, refund.RefundId, requestId);
        var again = await Assert.ThrowsAsync<RpcException>(() => CompleteAsync(Gaoyang, refund.RefundId));

        Assert.Equal(first, replay);
        Assert.Equal("REFUND_ALREADY_COMPLETED", RpcErrors.ReasonOf(again));
        Assert.Matches(@"这笔退费（\d+\.\d{2} 元）已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）办结", RpcErrors.ClerkTextOf(again));
        Assert.Single(await _p.OutboxEventsAsync<ContributionRefunded>(EventTopics.ContributionRefunded));
    }

    [Fact]
    public async Task CompleteRefund_UnknownRefund_NotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CompleteAsync(Gaoyang, Guid.NewGuid().ToString()));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("REFUND_NOT_FOUND", RpcErrors.ReasonOf(error));
    }

    [Fact]
    public async Task IdentityCertified_GaoyangDibaoAfterOrdinaryPayment_DifferentialRefundOfTheSubsidisedPart()
    {
        // Seed 004 §二(五)3: 在集中征缴期间已正常缴费、经相关部门纳入困难人员的，办理退费. She paid 380 as ordinary on
        // 2023-11-20; certified 低保 from 2023-12-01 (§二(三): 低保 90% subsidy, pays 38): 342 yuan go back.
        var (order, residentId, nationalId) = await PaidAsync(Gaoyang, GaoyangVillage);
        _p.Clock.SetUtcNow(CertificationDay);
        await _p.CertifyAsync(Gaoyang, nationalId, "dibao", "民政", validFrom: "2023-12-01");

        Assert.Equal(1, await _p.DeliverRegistryEventsAsync<IdentityCertified>(EventTopics.IdentityCertified));
        // Redelivered: the inbox and the one-refund-per-identity rule keep it to one refund.
        await _p.DeliverRegistryEventsAsync<IdentityCertified>(EventTopics.IdentityCertified);

        var refund = Assert.Single((await Client(Gaoyang).ListRefundsAsync(new ListRefundsRequest { OrderId = order.OrderId })).Refunds);
        Assert.Equal(RefundKind.Differential, refund.Kind);
        Assert.Equal(34200, refund.AmountFen);
        Assert.Equal("identity.certified", refund.RequestedBy);
        Assert.Equal(34200, refund.GrantedSubsidyLines.Sum(l => l.AmountFen));

        await CompleteAsync(Gaoyang, refund.RefundId);

        // The order now stands for what the registry and settlement see: 38 yuan her own, 342 on the dibao fund's
        // line, while the 380 the channel collected stays for reconciliation.
        var order2 = (await Client(Gaoyang).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(OrderState.Paid, order2.State);
        Assert.Equal(3800, order2.PersonalAmountFen);
        Assert.Equal(34200, order2.SubsidyAmountFen);
        Assert.Equal(refund.GrantedSubsidyLines, order2.SubsidyLines);
        Assert.Equal(38000, order2.CollectedAmountFen);
        var evt = Assert.Single(await _p.OutboxEventsAsync<ContributionRefunded>(EventTopics.ContributionRefunded));
        Assert.Equal(RefundKind.Differential, evt.Kind);
        Assert.Equal(34200, evt.RefundedAmountFen);
        Assert.Equal(3800, evt.RemainingPersonalAmountFen);
        Assert.Equal(residentId, evt.ResidentId);
        Assert.Empty(evt.WithdrawnSubsidyLines);
        Assert.Equal(34200, evt.GrantedSubsidyLines.Sum(l => l.AmountFen));
        // A differential refund suspends nothing.
        Assert.Empty(await _p.OutboxEventsAsync<ContributionRefundRequested>(EventTopics.ContributionRefundRequested));
    }

    [Fact]
    public async Task RequestRefund_Full_PublishesRefundRequestedOnceWithTheOrder()
    {
        // Seed 004 §二(五)3: the enrolment is suspended as the refund is asked for, so the event commits with the request.
        var (order, residentId, _) = await PaidAsync(Gaoyang, GaoyangVillage);

        var requested = await RequestRefundAsync(Gaoyang, order.OrderId, reason: "army", requestId: "refund-army-1");
        await RequestRefundAsync(Gaoyang, order.OrderId, reason: "army", requestId: "refund-army-1");

        var evt = Assert.Single(await _p.OutboxEventsAsync<ContributionRefundRequested>(EventTopics.ContributionRefundRequested));
        Assert.Equal(Gaoyang, evt.TenantId);
        Assert.Equal(order.OrderId, evt.OrderId);
        Assert.Equal(residentId, evt.ResidentId);
        Assert.Equal(GaoyangVillage, evt.VillageCode);
        Assert.Equal(2024, evt.CoverageYear);
        Assert.Equal(requested.Refund.RefundId, evt.RefundId);
        Assert.Equal("army", evt.Reason);
        Assert.Equal(38000, evt.AmountFen);

        await CompleteAsync(Gaoyang, requested.Refund.RefundId);
        var done = Assert.Single(await _p.OutboxEventsAsync<ContributionRefunded>(EventTopics.ContributionRefunded));
        Assert.Equal(0, done.RemainingPersonalAmountFen);
        var order2 = (await Client(Gaoyang).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(38000, order2.CollectedAmountFen);
    }

    [Fact]
    public async Task IdentityCertified_DifferentialThenDeath_FullRefundReturnsOnlyWhatIsLeft()
    {
        // Seed 004 §二(五)3: a differential refund of 342 yuan, then death before benefits start: the full refund
        // returns the 38 yuan she still has paid, never the 380 again.
        var (order, _, nationalId) = await PaidAsync(Gaoyang, GaoyangVillage);
        _p.Clock.SetUtcNow(CertificationDay);
        await _p.CertifyAsync(Gaoyang, nationalId, "dibao", "民政", validFrom: "2023-12-01");
        await _p.DeliverRegistryEventsAsync<IdentityCertified>(EventTopics.IdentityCertified);

        var full = (await RequestRefundAsync(Gaoyang, order.OrderId)).Refund;

        Assert.Equal(RefundKind.Full, full.Kind);
        Assert.Equal(3800, full.AmountFen);
    }

    [Fact]
    public async Task IdentityCertified_MeishanPolicyGrantsNoDifferentialRefund_NoRefund()
    {
        // Seed 003 grants no differential refund (policy sc-meishan-2024 refunds.differentialRefund… false).
        var (order, _, nationalId) = await PaidAsync(Dongpo, DongpoVillage);
        _p.Clock.SetUtcNow(CertificationDay);
        await _p.CertifyAsync(Dongpo, nationalId, "2303", "民政", validFrom: "2023-12-01");

        Assert.Equal(1, await _p.DeliverRegistryEventsAsync<IdentityCertified>(EventTopics.IdentityCertified));

        Assert.Empty((await Client(Dongpo).ListRefundsAsync(new ListRefundsRequest { OrderId = order.OrderId })).Refunds);
    }

    [Fact]
    public async Task CancelPaymentOrder_CreatedOrder_CancelledAndLaterNoticeGoesToReview()
    {
        var residentId = await _p.RegisterResidentAsync(Gaoyang, GaoyangVillage);
        var order = (await Client(Gaoyang).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, Channel = PaymentChannel.Alipay,
        })).Order;

        var cancelled = (await Client(Gaoyang).CancelPaymentOrderAsync(new CancelPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), OrderId = order.OrderId,
        })).Order;
        var late = await Assert.ThrowsAsync<RpcException>(() => Client(Gaoyang).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "ali-late-1", AmountFen = order.PersonalAmountFen,
        }).ResponseAsync);

        Assert.Equal(OrderState.Cancelled, cancelled.State);
        Assert.Equal("ORDER_CANCELLED", RpcErrors.ReasonOf(late));
        Assert.Equal(1L, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.payment_reviews WHERE reason = 'ORDER_CANCELLED'"));
    }
}
