using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class ConfirmPaymentTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    // A demo community of Lidu (services/Migrator/DemoCity/identity_registry.sql).
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;
    private string _resident = null!;
    private string _neighbour = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _resident = await _p.RegisterResidentAsync(Lidu, LiduVillage, new DateOnly(1980, 5, 1));
        _neighbour = await _p.RegisterResidentAsync(Lidu, LiduVillage, new DateOnly(1990, 7, 15));
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private PaymentCollectionService.PaymentCollectionServiceClient Client(string tenant = Lidu) => _p.Client(tenant);

    private async Task<PaymentOrder> CreateAsync(string? residentId = null, int tier = 0) =>
        (await Client().CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = residentId ?? _resident,
            CoverageYear = 2024,
            Channel = PaymentChannel.Alipay,
            Tier = tier,
        })).Order;

    private Task<ConfirmPaymentResponse> ConfirmAsync(string orderId, string transaction, long amountFen, string tenant = Lidu,
        Timestamp? paidTime = null) =>
        Client(tenant).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = orderId, ChannelTransactionId = transaction, AmountFen = amountFen, PaidTime = paidTime,
        }).ResponseAsync;

    private Task<long> CountAsync(string table, string? where = null, params object[] args) =>
        _p.ScalarAsync<long>($"SELECT count(*) FROM payment_collection.{table} {(where is null ? "" : "WHERE " + where)}", args);

    [Fact]
    public async Task ConfirmPayment_ExactAmount_PaidWithContributionPaidEventInOutbox()
    {
        var order = await CreateAsync();
        _p.Clock.Advance(TimeSpan.FromMinutes(3));
        var paidTime = Timestamp.FromDateTimeOffset(_p.Clock.GetUtcNow().AddSeconds(-20));

        var paid = (await ConfirmAsync(order.OrderId, "ali-20231120-0001", 38000, paidTime: paidTime)).Order;

        // Seed 000 (Lidu) §2: tier 1 (一档) personal standard 380 yuan, benefits 2024-01-01..2024-12-31 (§4).
        Assert.Equal(OrderState.Paid, paid.State);
        Assert.Equal("ali-20231120-0001", paid.ChannelTransactionId);
        Assert.Equal(paidTime, paid.PaidTime);
        Assert.Matches("^2024[0-9]{10}$", paid.ReceiptNumber);
        var (tenant, evt) = Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(Lidu, tenant);
        Assert.Equal(new ContributionPaid
        {
            TenantId = Lidu,
            OrderId = order.OrderId,
            ResidentId = _resident,
            VillageCode = LiduVillage,
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = 38000,
            SubsidyAmountFen = 0,
            Channel = PaymentChannel.Alipay,
            ChannelTransactionId = "ali-20231120-0001",
            PaidTime = paidTime,
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
            PolicyId = "cq-lidu-2024-v1",
            PolicyVersion = 1,
            ReceiptNumber = paid.ReceiptNumber,
            PersonGroup = "resident",
        }, evt);
        Assert.Equal("paid", await _p.ScalarAsync<string>(
            "SELECT state FROM payment_collection.payment_orders WHERE order_id = $1", Guid.Parse(order.OrderId)));
        Assert.Equal(1L, await CountAsync("payment_confirmations", "outcome = 'confirmed'"));
        Assert.Equal(0L, await CountAsync("payment_reviews"));
    }

    [Fact]
    public async Task ConfirmPayment_SameTransactionTwice_SameOrderAndOneEvent()
    {
        var order = await CreateAsync();
        var first = (await ConfirmAsync(order.OrderId, "ali-1", 38000)).Order;
        _p.Clock.Advance(TimeSpan.FromMinutes(40));

        var second = (await ConfirmAsync(order.OrderId, "ali-1", 38000)).Order;

        Assert.Equal(first, second);
        Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(1L, await CountAsync("payment_confirmations", "outcome = 'replayed'"));
        Assert.Equal(0L, await CountAsync("payment_reviews"));
    }

    [Fact]
    public async Task ConfirmPayment_AmountMismatch_RefusedRecordedForReviewAndOrderStillPayable()
    {
        var order = await CreateAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-short", 3800));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("AMOUNT_MISMATCH", RpcErrors.ReasonOf(ex));
        Assert.Equal("3800", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["reported_amount_fen"]);
        Assert.Equal(1L, await CountAsync("payment_confirmations", "outcome = 'amount_mismatch' AND amount_fen = 3800"));
        Assert.Equal(1L, await CountAsync("payment_reviews", "reason = 'AMOUNT_MISMATCH' AND channel_transaction_id = 'ali-short' AND resolved_at IS NULL"));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
        var stillCreated = (await Client().GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(OrderState.Created, stillCreated.State);
        Assert.Equal(OrderState.Paid, (await ConfirmAsync(order.OrderId, "ali-right", 38000)).Order.State);
    }

    [Fact]
    public async Task ConfirmPayment_AmountMismatch_ClerkTextInChineseWithBothAmountsInYuan()
    {
        var order = await CreateAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-short", 37000));

        var status = ex.GetRpcStatus()!;
        Assert.Equal("AMOUNT_MISMATCH", status.GetDetail<ErrorInfo>().Reason);
        var clerk = status.GetDetail<LocalizedMessage>();
        Assert.Equal("zh-CN", clerk.Locale);
        Assert.Contains("370.00 元", clerk.Message);
        Assert.Contains("380.00 元", clerk.Message);
        Assert.Contains("请核对金额", clerk.Message);
        // The English status speaks yuan too, never fen.
        Assert.Contains("370.00 yuan", ex.Status.Detail);
        Assert.DoesNotContain("fen", ex.Status.Detail);
    }

    [Fact]
    public async Task ConfirmPayment_MismatchNoticeReplayed_EveryNoticeRecordedButOneReviewItem()
    {
        var order = await CreateAsync();

        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-short", 3800));
        await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-short", 3800));

        Assert.Equal(2L, await CountAsync("payment_confirmations", "outcome = 'amount_mismatch'"));
        Assert.Equal(1L, await CountAsync("payment_reviews"));
    }

    [Fact]
    public async Task ConfirmPayment_PaidOrderOtherTransaction_DuplicatePaymentQueuedForReview()
    {
        var order = await CreateAsync();
        await ConfirmAsync(order.OrderId, "ali-1", 38000);

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-2", 38000));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("DUPLICATE_PAYMENT", RpcErrors.ReasonOf(ex));
        Assert.Equal(1L, await CountAsync("payment_reviews", "reason = 'DUPLICATE_PAYMENT' AND channel_transaction_id = 'ali-2'"));
        Assert.Single(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task ConfirmPayment_SecondOrderOfSamePersonAndYear_DuplicatePaymentAndOrderCancelled()
    {
        var first = await CreateAsync();
        var second = await CreateAsync();
        await ConfirmAsync(first.OrderId, "ali-1", 38000);

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(second.OrderId, "ali-2", 38000));

        Assert.Equal("DUPLICATE_PAYMENT", RpcErrors.ReasonOf(ex));
        Assert.Equal("cancelled", await _p.ScalarAsync<string>(
            "SELECT state FROM payment_collection.payment_orders WHERE order_id = $1", Guid.Parse(second.OrderId)));
        Assert.Equal(1L, await CountAsync("payment_orders", "resident_id = $1 AND state = 'paid'", _resident));
        Assert.Equal(1L, await CountAsync("payment_reviews", "order_id = $1 AND reason = 'DUPLICATE_PAYMENT'", Guid.Parse(second.OrderId)));
        Assert.Single(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task ConfirmPayment_TransactionOfAnotherOrder_ChannelTransactionReused()
    {
        var first = await CreateAsync(_resident);
        var other = await CreateAsync(_neighbour);
        await ConfirmAsync(first.OrderId, "ali-1", 38000);

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(other.OrderId, "ali-1", 38000));

        Assert.Equal("CHANNEL_TRANSACTION_REUSED", RpcErrors.ReasonOf(ex));
        Assert.Equal(1L, await CountAsync("payment_orders", "state = 'paid'"));
    }

    [Fact]
    public async Task ConfirmPayment_AfterExpiry_OrderExpiredRecordedAndOrderExpired()
    {
        var order = await CreateAsync();
        _p.Clock.Advance(TimeSpan.FromMinutes(31));

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-late", 38000));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("ORDER_EXPIRED", RpcErrors.ReasonOf(ex));
        // Created at 09:00 Beijing time (01:00Z), 30 minutes to pay: the clerk reads the Beijing time, never UTC.
        Assert.Contains("2023-11-20 09:30（北京时间）", RpcErrors.ClerkTextOf(ex));
        Assert.Contains("2023-11-20 09:30 Beijing time", ex.Status.Detail);
        Assert.DoesNotContain("Z", ex.Status.Detail.Replace(order.OrderId, ""));
        Assert.Equal("expired", await _p.ScalarAsync<string>(
            "SELECT state FROM payment_collection.payment_orders WHERE order_id = $1", Guid.Parse(order.OrderId)));
        Assert.Equal(1L, await CountAsync("payment_reviews", "reason = 'ORDER_EXPIRED'"));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task ConfirmPayment_ConfiguredFiveMinuteExpiry_RefusedAfterSixMinutes()
    {
        await using var shortLived = await PaymentPlatform.StartAsync(orderExpiryMinutes: 5);
        var resident = await shortLived.RegisterResidentAsync(Lidu, LiduVillage);
        var order = (await shortLived.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "req-1", ResidentId = resident, CoverageYear = 2024, Channel = PaymentChannel.Yukuaiban,
        })).Order;
        shortLived.Clock.Advance(TimeSpan.FromMinutes(6));

        var ex = await Assert.ThrowsAsync<RpcException>(() => shortLived.Client(Lidu).ConfirmPaymentAsync(
            new ConfirmPaymentRequest { OrderId = order.OrderId, ChannelTransactionId = "ykb-1", AmountFen = 38000 }).ResponseAsync);

        Assert.Equal("ORDER_EXPIRED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ConfirmPayment_WithinExpiry_Paid()
    {
        var order = await CreateAsync();
        _p.Clock.Advance(TimeSpan.FromMinutes(29));

        Assert.Equal(OrderState.Paid, (await ConfirmAsync(order.OrderId, "ali-1", 38000)).Order.State);
    }

    [Fact]
    public async Task ConfirmPayment_UnknownOrder_NotFoundAndNoticeKeptForReview()
    {
        var unknown = Guid.NewGuid().ToString();

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(unknown, "ali-1", 38000));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("ORDER_NOT_FOUND", RpcErrors.ReasonOf(ex));
        Assert.Equal(1L, await CountAsync("payment_reviews", "reason = 'ORDER_NOT_FOUND' AND tenant_id = 'cq-lidu'"));
    }

    [Fact]
    public async Task ConfirmPayment_OtherTenantsOrder_NotFoundAndOrderUntouched()
    {
        var order = await CreateAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync(order.OrderId, "ali-1", 38000, tenant: "cq-linjiang"));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("created", await _p.ScalarAsync<string>(
            "SELECT state FROM payment_collection.payment_orders WHERE order_id = $1", Guid.Parse(order.OrderId)));
        Assert.Equal(1L, await CountAsync("payment_reviews", "tenant_id = 'cq-linjiang'"));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task ConfirmPayment_BadRequest_InvalidArgumentWithFieldViolations()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => ConfirmAsync("not-a-uuid", "", -1));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order();
        Assert.Equal(["amount_fen", "channel_transaction_id", "order_id"], fields);
    }

    [Fact]
    public async Task ConfirmPayment_ConcurrentSameTransaction_OnePaymentOneEvent()
    {
        var order = await CreateAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ConfirmAsync(order.OrderId, "ali-1", 38000)));

        Assert.All(results, r => Assert.Equal(OrderState.Paid, r.Order.State));
        Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(1L, await CountAsync("payment_confirmations", "outcome = 'confirmed'"));
    }

    [Fact]
    public async Task ConfirmPayment_ConcurrentOrdersOfSamePerson_ExactlyOnePaid()
    {
        var orders = new[] { await CreateAsync(), await CreateAsync(), await CreateAsync() };

        var outcomes = await Task.WhenAll(orders.Select(async (o, i) =>
        {
            try
            {
                await ConfirmAsync(o.OrderId, $"ali-{i}", 38000);
                return "PAID";
            }
            catch (RpcException ex)
            {
                return RpcErrors.ReasonOf(ex);
            }
        }));

        Assert.Single(outcomes, o => o == "PAID");
        Assert.Equal(2, outcomes.Count(o => o == "DUPLICATE_PAYMENT"));
        Assert.Single(await _p.ContributionPaidEventsAsync());
    }
}
