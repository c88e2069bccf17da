using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class CreatePaymentOrderTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    // A demo community of Lidu (services/Migrator/DemoCity/identity_registry.sql).
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;
    private string _liduResident = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _liduResident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private CreatePaymentOrderRequest Request(string? residentId = null, int tier = 0, string? requestId = null,
        int coverageYear = 2024, PaymentChannel channel = PaymentChannel.WechatPay) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        ResidentId = residentId ?? _liduResident,
        CoverageYear = coverageYear,
        Channel = channel,
        Tier = tier,
    };

    [Fact]
    public async Task CreatePaymentOrder_LiduTierTwo_PricedFromRealQuoteAndStoredWithQuote()
    {
        var order = (await _p.Client(Lidu).CreatePaymentOrderAsync(Request(tier: 2))).Order;

        // Seed 000 (Lidu) §2: tier 2 (二档) personal standard 755 yuan; demo policy cq-lidu-2024-v1.
        Assert.Equal(OrderState.Created, order.State);
        Assert.Equal(75500, order.PersonalAmountFen);
        Assert.Equal(2, order.Tier);
        Assert.Equal("cq-lidu-2024-v1", order.PolicyId);
        Assert.Equal(_liduResident, order.ResidentId);
        Assert.Equal(LiduVillage, order.VillageCode);
        Assert.Equal(new Google.Type.Date { Year = 2024, Month = 1, Day = 1 }, order.BenefitStartDate);
        Assert.Equal(PaymentPlatform.CampaignDay, order.CreateTime.ToDateTimeOffset());
        var storedQuoteAmount = await _p.ScalarAsync<string>(
            "SELECT quote ->> 'personalAmountFen' FROM payment_collection.payment_orders WHERE order_id = $1",
            Guid.Parse(order.OrderId));
        Assert.Equal("75500", storedQuoteAmount);
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task CreatePaymentOrder_ReplayedRequestId_ReturnsSameOrderOnce()
    {
        var request = Request();
        var first = await _p.Client(Lidu).CreatePaymentOrderAsync(request);
        _p.Clock.Advance(TimeSpan.FromMinutes(1));

        var replay = await _p.Client(Lidu).CreatePaymentOrderAsync(request);

        Assert.Equal(first.Order, replay.Order);
        Assert.Equal(1L, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_orders"));
    }

    [Fact]
    public async Task CreatePaymentOrder_RequestIdReusedWithOtherContent_FailedPreconditionRequestIdReused()
    {
        var request = Request(requestId: "req-1");
        await _p.Client(Lidu).CreatePaymentOrderAsync(request);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Lidu).CreatePaymentOrderAsync(Request(requestId: "req-1", tier: 2)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task CreatePaymentOrder_PersonAlreadyPaidForYear_FailedPreconditionAlreadyPaid()
    {
        var order = (await _p.Client(Lidu).CreatePaymentOrderAsync(Request())).Order;
        await _p.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "wx-1", AmountFen = order.PersonalAmountFen,
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).CreatePaymentOrderAsync(Request()).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("ALREADY_PAID", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task CreatePaymentOrder_UnknownResident_NotFoundResidentNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Lidu).CreatePaymentOrderAsync(Request(Guid.NewGuid().ToString())).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("RESIDENT_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task CreatePaymentOrder_ResidentIdIdentityRegistryRejects_InvalidArgumentWithUpstreamViolation()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Lidu).CreatePaymentOrderAsync(Request("not-a-resident-id")).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("identity-registry", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["upstream"]);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "resident_id");
    }

    [Fact]
    public async Task CreatePaymentOrder_ResidentOfAnotherTenant_NotFoundResidentNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("cq-linjiang").CreatePaymentOrderAsync(Request()).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("RESIDENT_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task CreatePaymentOrder_GaoyangTierTwo_InvalidArgumentKeepsUpstreamReason()
    {
        // Seed 004 (Gaoyang) §2: one tier only; contribution-calculation refuses tier 2.
        var gaoyangResident = await _p.RegisterResidentAsync("he-gaoyang", "130628901001");

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("he-gaoyang").CreatePaymentOrderAsync(Request(gaoyangResident, tier: 2)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("UNKNOWN_TIER", RpcErrors.ReasonOf(ex));
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("contribution-calculation", info.Metadata["upstream"]);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "tier");
    }

    [Fact]
    public async Task CreatePaymentOrder_YearWithoutPolicy_FailedPreconditionPolicyNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Lidu).CreatePaymentOrderAsync(Request(coverageYear: 2031)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("POLICY_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task CreatePaymentOrder_RetriedAfterUpstreamRefusal_SameRequestIdSucceedsOnce()
    {
        var request = Request(coverageYear: 2025);
        var refused = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).CreatePaymentOrderAsync(request).ResponseAsync);
        Assert.Equal("POLICY_NOT_FOUND", RpcErrors.ReasonOf(refused));
        await _p.PublishFlatPolicyAsync("cq-lidu", 2025, 40000);

        var order = (await _p.Client(Lidu).CreatePaymentOrderAsync(request)).Order;
        var replay = (await _p.Client(Lidu).CreatePaymentOrderAsync(request)).Order;

        Assert.Equal(40000, order.PersonalAmountFen);
        Assert.Equal(order, replay);
    }

    [Fact]
    public async Task CreatePaymentOrder_ResidentCertifiedDibao_ChargesOnlyHerOwnPart()
    {
        // Seed 003 §三(三)2(1): 低保对象 (code 2303) — the medical-assistance fund pays 285, the person 95 of 380.
        const string dongpo = "sc-meishan-dongpo";
        var (residentId, nationalId) = await _p.RegisterResidentWithIdAsync(dongpo, "511402901201");
        await _p.CertifyAsync(dongpo, nationalId, "2303", "民政");

        var order = (await _p.Client(dongpo).CreatePaymentOrderAsync(Request(residentId))).Order;

        Assert.Equal(9500, order.PersonalAmountFen);
        Assert.Equal(28500, order.SubsidyAmountFen);
        var line = Assert.Single(order.SubsidyLines);
        Assert.Equal(28500, line.AmountFen);
        Assert.Equal("medical-assistance-fund", line.FundingSource);
    }

    [Fact]
    public async Task CreatePaymentOrder_ResidentCertifiedTekun_ZeroContributionEventNamesTheFund()
    {
        // Seed 003 §三(三)2(1): 特困救助对象 (code 2304) — 380 in full from the medical-assistance fund, the person pays 0
        // (零缴费核定): enrolled at once, with a receipt, and the event tells settlement which fund owes what.
        const string dongpo = "sc-meishan-dongpo";
        var (residentId, nationalId) = await _p.RegisterResidentWithIdAsync(dongpo, "511402901201");
        await _p.CertifyAsync(dongpo, nationalId, "2304", "民政");

        var order = (await _p.Client(dongpo).CreatePaymentOrderAsync(Request(residentId))).Order;

        Assert.Equal(OrderState.Paid, order.State);
        Assert.Equal(0, order.PersonalAmountFen);
        Assert.Matches("^2024[0-9]{10}$", order.ReceiptNumber);
        var (_, paid) = Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(order.ReceiptNumber, paid.ReceiptNumber);
        var line = Assert.Single(paid.SubsidyLines);
        Assert.Equal(38000, line.AmountFen);
        Assert.Equal(paid.SubsidyAmountFen, paid.SubsidyLines.Sum(l => l.AmountFen));
        Assert.Equal("medical-assistance-fund", line.FundingSource);
    }

    [Fact]
    public async Task CreatePaymentOrder_FullySubsidisedTenantPolicy_PaidAtOnceWithContributionPaid()
    {
        // A tenant whose published policy leaves the person nothing to pay: the zero-contribution path (零缴费核定,
        // seed 003 §3) — the registry holds no certified identities yet, so the policy itself charges nothing.
        const string tenant = "test-zero-contribution";
        await _p.PublishFlatPolicyAsync(tenant, 2024, 0);
        await _p.ExecuteAsync("""
            INSERT INTO identity_registry.divisions (tenant_id, code, name, level, parent_code)
            VALUES ($1, '511402', '测试县', 'county', NULL), ($1, '511402999', '测试镇', 'township', '511402'),
                   ($1, '511402999201', '测试村', 'village', '511402999')
            """, tenant);
        var resident = await _p.RegisterResidentAsync(tenant, "511402999201", new DateOnly(1950, 1, 1));

        var order = (await _p.Client(tenant).CreatePaymentOrderAsync(Request(resident, channel: PaymentChannel.VillageCash))).Order;

        Assert.Equal(OrderState.Paid, order.State);
        Assert.Equal(0, order.PersonalAmountFen);
        Assert.Equal(PaymentPlatform.CampaignDay, order.PaidTime.ToDateTimeOffset());
        var (eventTenant, paid) = Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(tenant, eventTenant);
        Assert.Equal(order.OrderId, paid.OrderId);
        Assert.Equal(0, paid.PersonalAmountFen);
        Assert.Equal($"{tenant}-2024-v1", paid.PolicyId);
        Assert.Equal("zero_contribution", await _p.ScalarAsync<string>(
            "SELECT outcome FROM payment_collection.payment_confirmations WHERE order_id = $1", Guid.Parse(order.OrderId)));
        var again = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(tenant).CreatePaymentOrderAsync(Request(resident)).ResponseAsync);
        Assert.Equal("ALREADY_PAID", RpcErrors.ReasonOf(again));
    }

    [Theory]
    [InlineData("2023-11-26", "2023-12-01")]
    [InlineData("2023-11-30", "2023-12-01")]
    public async Task CreatePaymentOrder_GaoyangSettlementDays_FailedPreconditionSaysWhenItReopens(string day, string reopens)
    {
        // Seed 004 §三(四): 每月1日至25日为缴费时段，26日至月末为费款结算期，不办理缴费业务.
        var resident = await _p.RegisterResidentAsync("he-gaoyang", "130628901001");
        var date = DateOnly.Parse(day);
        _p.Clock.SetUtcNow(new DateTimeOffset(date.Year, date.Month, date.Day, 2, 0, 0, TimeSpan.Zero));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client("he-gaoyang").CreatePaymentOrderAsync(Request(resident)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("SETTLEMENT_DAYS", RpcErrors.ReasonOf(error));
        Assert.Equal(reopens, error.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["next_possible_date"]);
        Assert.Equal(0L, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_orders"));
    }

    [Fact]
    public async Task ConfirmPayment_PaidAndMismatched_MetricsCountOutcomesAndCollectedFen()
    {
        // A tenant no other test uses, so the process-wide series belong to this test alone.
        const string tenant = "test-metrics-county";
        await _p.PublishFlatPolicyAsync(tenant, 2024, 12300);
        await _p.ExecuteAsync("""
            INSERT INTO identity_registry.divisions (tenant_id, code, name, level, parent_code)
            VALUES ($1, '511499', '测试县', 'county', NULL), ($1, '511499999', '测试镇', 'township', '511499'),
                   ($1, '511499999201', '测试村', 'village', '511499999')
            """, tenant);
        var client = _p.Client(tenant);
        var first = (await client.CreatePaymentOrderAsync(Request(await _p.RegisterResidentAsync(tenant, "511499999201"),
            channel: PaymentChannel.Alipay))).Order;
        var second = (await client.CreatePaymentOrderAsync(Request(await _p.RegisterResidentAsync(tenant, "511499999201"),
            channel: PaymentChannel.Alipay))).Order;

        await client.ConfirmPaymentAsync(new ConfirmPaymentRequest { OrderId = first.OrderId, ChannelTransactionId = "m-1", AmountFen = 12300 });
        await Assert.ThrowsAsync<RpcException>(() => client.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = second.OrderId, ChannelTransactionId = "m-2", AmountFen = 100,
        }).ResponseAsync);

        var metrics = await _p.MetricsAsync();
        Assert.Contains("medins_payment_orders_created_total{tenant=\"test-metrics-county\",channel=\"alipay\"} 2\n", metrics);
        Assert.Contains("medins_payment_confirmations_total{tenant=\"test-metrics-county\",channel=\"alipay\",outcome=\"confirmed\"} 1\n", metrics);
        Assert.Contains("medins_payment_confirmations_total{tenant=\"test-metrics-county\",channel=\"alipay\",outcome=\"amount_mismatch\"} 1\n", metrics);
        Assert.Contains("medins_payment_collected_fen_total{tenant=\"test-metrics-county\",channel=\"alipay\"} 12300\n", metrics);
    }

    [Fact]
    public async Task CreatePaymentOrder_EmptyRequest_InvalidArgumentNamesEveryField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest { Tier = -1 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order();
        Assert.Equal(["channel", "coverage_year", "request_id", "resident_id", "tier"], fields);
    }

    [Fact]
    public async Task CreatePaymentOrder_CityScopeNamingNoTenant_FailedPreconditionTenantRequired()
    {
        var city = new PaymentCollectionService.PaymentCollectionServiceClient(_p.PaymentHost.Channel(null, cityScope: true));
        var ex = await Assert.ThrowsAsync<RpcException>(() => city.CreatePaymentOrderAsync(Request()).ResponseAsync);

        Assert.Equal("TENANT_REQUIRED", RpcErrors.ReasonOf(ex));
    }
}
