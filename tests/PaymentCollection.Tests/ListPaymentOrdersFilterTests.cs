using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// Lidu's orders in several channels, states and villages: paid, unpaid, cancelled, and one left unpaid past its
/// expiry (stored as created, read as expired); and one Linjiang order, which no Lidu filter may ever show.
/// </summary>
public sealed class OrderFilterSet : IAsyncLifetime
{
    public const string Lidu = "cq-lidu";
    // Demo villages of Lidu's one township 500102901 in county 500102 (services/Migrator/DemoCity/identity_registry.sql).
    public const string Village1 = "500102901001";
    public const string Village2 = "500102901002";
    public const string Village3 = "500102901201";

    public PaymentPlatform Platform { get; private set; } = null!;
    public PaymentOrder PaidPos1 { get; private set; } = null!;
    public PaymentOrder CreatedAlipay2 { get; private set; } = null!;
    public PaymentOrder CancelledWechat3 { get; private set; } = null!;
    public PaymentOrder ExpiredAlipay1 { get; private set; } = null!;
    public PaymentOrder PaidPos3 { get; private set; } = null!;

    /// <summary>Every Lidu order, in creation (list) order.</summary>
    public IReadOnlyList<PaymentOrder> All => [ExpiredAlipay1, PaidPos1, CreatedAlipay2, CancelledWechat3, PaidPos3];

    public async Task InitializeAsync()
    {
        Platform = await PaymentPlatform.StartAsync();
        ExpiredAlipay1 = await OrderAsync(Village1, PaymentChannel.Alipay);
        // Past the 30 minutes an order stays payable: nobody touches it, it reads as expired.
        Platform.Clock.Advance(TimeSpan.FromMinutes(31));
        PaidPos1 = await PayAsync(await OrderAsync(Village1, PaymentChannel.VillagePos), "pos-1");
        CreatedAlipay2 = await OrderAsync(Village2, PaymentChannel.Alipay);
        CancelledWechat3 = (await Platform.Client(Lidu).CancelPaymentOrderAsync(new CancelPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            OrderId = (await OrderAsync(Village3, PaymentChannel.WechatPay)).OrderId,
        })).Order;
        PaidPos3 = await PayAsync(await OrderAsync(Village3, PaymentChannel.VillagePos), "pos-3");
        var linjiang = await Platform.RegisterResidentAsync("cq-linjiang", "500118901001");
        await Platform.Client("cq-linjiang").CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = linjiang, CoverageYear = 2024, Channel = PaymentChannel.Alipay,
        });
    }

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    private async Task<PaymentOrder> OrderAsync(string village, PaymentChannel channel)
    {
        var resident = await Platform.RegisterResidentAsync(Lidu, village);
        var order = (await Platform.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = channel,
        })).Order;
        Platform.Clock.Advance(TimeSpan.FromSeconds(1));
        return order;
    }

    private async Task<PaymentOrder> PayAsync(PaymentOrder order, string transaction) =>
        (await Platform.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = transaction, AmountFen = order.PersonalAmountFen,
        })).Order;
}

public sealed class ListPaymentOrdersFilterTests(OrderFilterSet set) : IClassFixture<OrderFilterSet>
{
    private const string Lidu = OrderFilterSet.Lidu;

    private async Task<List<string>> ListAllAsync(ListPaymentOrdersRequest request)
    {
        var ids = new List<string>();
        do
        {
            var page = await set.Platform.Client(Lidu).ListPaymentOrdersAsync(request);
            ids.AddRange(page.Orders.Select(o => o.OrderId));
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return ids;
    }

    private List<string> Ids(params PaymentOrder[] orders) => [.. orders.Select(o => o.OrderId)];

    [Fact]
    public async Task ListPaymentOrders_ByChannel_ExactlyThatChannelsOrders()
    {
        Assert.Equal(Ids(set.ExpiredAlipay1, set.CreatedAlipay2),
            await ListAllAsync(new() { Channel = PaymentChannel.Alipay }));
        Assert.Equal(Ids(set.PaidPos1, set.PaidPos3), await ListAllAsync(new() { Channel = PaymentChannel.VillagePos }));
        Assert.Empty(await ListAllAsync(new() { Channel = PaymentChannel.School }));
    }

    [Fact]
    public async Task ListPaymentOrders_ByState_StateAsItReadsNow()
    {
        Assert.Equal(Ids(set.PaidPos1, set.PaidPos3), await ListAllAsync(new() { State = OrderState.Paid }));
        // Stored as created, but past its expiry: listed as expired, never as created.
        Assert.Equal(Ids(set.ExpiredAlipay1), await ListAllAsync(new() { State = OrderState.Expired }));
        Assert.Equal(Ids(set.CreatedAlipay2), await ListAllAsync(new() { State = OrderState.Created }));
        Assert.Equal(Ids(set.CancelledWechat3), await ListAllAsync(new() { State = OrderState.Cancelled }));
        Assert.Empty(await ListAllAsync(new() { State = OrderState.Refunded }));
        var expired = Assert.Single((await set.Platform.Client(Lidu).ListPaymentOrdersAsync(new() { State = OrderState.Expired })).Orders);
        Assert.Equal(OrderState.Expired, expired.State);
    }

    [Theory]
    [InlineData(OrderFilterSet.Village1, "ExpiredAlipay1,PaidPos1")]
    [InlineData(OrderFilterSet.Village3, "CancelledWechat3,PaidPos3")]
    [InlineData("500102901", "ExpiredAlipay1,PaidPos1,CreatedAlipay2,CancelledWechat3,PaidPos3")]
    [InlineData("500102", "ExpiredAlipay1,PaidPos1,CreatedAlipay2,CancelledWechat3,PaidPos3")]
    [InlineData("500102902", "")]
    [InlineData("500103", "")]
    [InlineData("500102901003", "")]
    public async Task ListPaymentOrders_ByDivisionCode_OrdersOfTheVillagesWithinIt(string division, string expected)
    {
        var byName = new Dictionary<string, PaymentOrder>
        {
            [nameof(set.ExpiredAlipay1)] = set.ExpiredAlipay1, [nameof(set.PaidPos1)] = set.PaidPos1,
            [nameof(set.CreatedAlipay2)] = set.CreatedAlipay2, [nameof(set.CancelledWechat3)] = set.CancelledWechat3,
            [nameof(set.PaidPos3)] = set.PaidPos3,
        };

        var listed = await ListAllAsync(new() { DivisionCode = division });

        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => byName[n].OrderId), listed);
    }

    [Fact]
    public async Task ListPaymentOrders_ByReceiptNumber_OnlyThatOrder()
    {
        Assert.Matches("^2024[0-9]{10}$", set.PaidPos3.ReceiptNumber);

        Assert.Equal(Ids(set.PaidPos3), await ListAllAsync(new() { ReceiptNumber = set.PaidPos3.ReceiptNumber }));
        Assert.Empty(await ListAllAsync(new() { ReceiptNumber = "20249999999999" }));
    }

    [Fact]
    public async Task ListPaymentOrders_FiltersTogether_OnlyOrdersMatchingEvery()
    {
        Assert.Equal(Ids(set.PaidPos3), await ListAllAsync(new() { Channel = PaymentChannel.VillagePos, DivisionCode = OrderFilterSet.Village3 }));
        Assert.Equal(Ids(set.PaidPos1), await ListAllAsync(new()
        {
            State = OrderState.Paid, DivisionCode = OrderFilterSet.Village1, ResidentId = set.PaidPos1.ResidentId,
        }));
        Assert.Empty(await ListAllAsync(new() { Channel = PaymentChannel.Alipay, State = OrderState.Paid }));
    }

    [Fact]
    public async Task ListPaymentOrders_FilteredPagesOfOne_EveryMatchOnceInOrder()
    {
        var pages = 0;
        var request = new ListPaymentOrdersRequest { DivisionCode = "500102901", State = OrderState.Paid, PageSize = 1 };
        var listed = new List<string>();
        do
        {
            var page = await set.Platform.Client(Lidu).ListPaymentOrdersAsync(request);
            Assert.True(page.Orders.Count <= 1);
            listed.AddRange(page.Orders.Select(o => o.OrderId));
            request.PageToken = page.NextPageToken;
            pages++;
        } while (request.PageToken.Length > 0);

        Assert.Equal(Ids(set.PaidPos1, set.PaidPos3), listed);
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task ListPaymentOrders_TokenWithOtherFilters_InvalidPageToken()
    {
        var first = await set.Platform.Client(Lidu).ListPaymentOrdersAsync(new() { Channel = PaymentChannel.Alipay, PageSize = 1 });
        Assert.NotEqual("", first.NextPageToken);

        foreach (var other in new ListPaymentOrdersRequest[]
                 {
                     new() { Channel = PaymentChannel.VillagePos },
                     new() { Channel = PaymentChannel.Alipay, State = OrderState.Created },
                     new() { Channel = PaymentChannel.Alipay, DivisionCode = OrderFilterSet.Village2 },
                     new() { Channel = PaymentChannel.Alipay, ReceiptNumber = "20240000000001" },
                     new(),
                 })
        {
            other.PageSize = 1;
            other.PageToken = first.NextPageToken;
            var ex = await Assert.ThrowsAsync<RpcException>(() => set.Platform.Client(Lidu).ListPaymentOrdersAsync(other).ResponseAsync);

            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
            Assert.Equal("page_token", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        }
        var same = await set.Platform.Client(Lidu).ListPaymentOrdersAsync(
            new() { Channel = PaymentChannel.Alipay, PageSize = 1, PageToken = first.NextPageToken });
        Assert.Equal(set.CreatedAlipay2.OrderId, Assert.Single(same.Orders).OrderId);
    }

    public static TheoryData<ListPaymentOrdersRequest, string> BadFilters => new()
    {
        { new() { Channel = (PaymentChannel)99 }, "channel" },
        { new() { State = (OrderState)42 }, "state" },
        { new() { DivisionCode = "50010" }, "division_code" },
        { new() { DivisionCode = "5001029010011" }, "division_code" },
        { new() { DivisionCode = "50010290100A" }, "division_code" },
        { new() { ReceiptNumber = "2024-000000001" }, "receipt_number" },
        { new() { ReceiptNumber = "202400000001" }, "receipt_number" },
    };

    [Theory]
    [MemberData(nameof(BadFilters))]
    public async Task ListPaymentOrders_BadFilterValue_InvalidArgumentNamingTheFilter(ListPaymentOrdersRequest request, string field)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => set.Platform.Client(Lidu).ListPaymentOrdersAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
        Assert.Equal(field, Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task ListPaymentOrdersJson_ChannelQueryParameter_FiltersAndUnknownParameterRefused()
    {
        using var http = set.Platform.PaymentHost.JsonClient(Lidu);

        using var filtered = await http.GetAsync("/v1/paymentOrders?channel=PAYMENT_CHANNEL_ALIPAY&divisionCode=500102901");
        var body = await filtered.Content.ReadAsStringAsync();
        using var misspelt = await http.GetAsync("/v1/paymentOrders?chanel=PAYMENT_CHANNEL_ALIPAY");
        var refusal = await misspelt.Content.ReadAsStringAsync();

        Assert.True(filtered.IsSuccessStatusCode, body);
        var listed = Google.Protobuf.JsonParser.Default.Parse<ListPaymentOrdersResponse>(body);
        Assert.Equal(Ids(set.ExpiredAlipay1, set.CreatedAlipay2), listed.Orders.Select(o => o.OrderId));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, misspelt.StatusCode);
        Assert.Contains("UNKNOWN_QUERY_PARAMETER", refusal);
        Assert.Contains("\"chanel\"", refusal);
    }
}
