using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class PaymentOrderQueryTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private PaymentPlatform _p = null!;
    private readonly string[] _residents = new string[3];

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        // Demo communities and village of Lidu (services/Migrator/DemoCity/identity_registry.sql).
        _residents[0] = await _p.RegisterResidentAsync(Lidu, "500102901001");
        _residents[1] = await _p.RegisterResidentAsync(Lidu, "500102901002");
        _residents[2] = await _p.RegisterResidentAsync(Lidu, "500102901201");
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private async Task<PaymentOrder> CreateAsync(string residentId, string tenant = Lidu) =>
        (await _p.Client(tenant).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = residentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.VillagePos,
        })).Order;

    [Fact]
    public async Task GetPaymentOrder_CreatedOrder_SameAsCreated()
    {
        var created = await CreateAsync(_residents[0]);

        var got = (await _p.Client(Lidu).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = created.OrderId })).Order;

        Assert.Equal(created, got);
    }

    [Fact]
    public async Task GetPaymentOrder_UnpaidPastExpiry_ShownExpired()
    {
        var created = await CreateAsync(_residents[0]);
        _p.Clock.Advance(TimeSpan.FromMinutes(30));

        var got = (await _p.Client(Lidu).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = created.OrderId })).Order;

        Assert.Equal(OrderState.Expired, got.State);
    }

    [Fact]
    public async Task GetPaymentOrder_UnknownOrder_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu)
            .GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = Guid.NewGuid().ToString() }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("ORDER_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetPaymentOrder_OtherTenantsOrder_NotFound()
    {
        var created = await CreateAsync(_residents[0]);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client("he-gaoyang")
            .GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = created.OrderId }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task ListPaymentOrders_PagesOfTwo_EveryOrderOnceInCreationOrder()
    {
        var created = new List<string>();
        foreach (var resident in new[] { _residents[0], _residents[1], _residents[2], _residents[0], _residents[1] })
        {
            created.Add((await CreateAsync(resident)).OrderId);
            _p.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var listed = new List<string>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await _p.Client(Lidu).ListPaymentOrdersAsync(new ListPaymentOrdersRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Orders.Count <= 2);
            listed.AddRange(page.Orders.Select(o => o.OrderId));
            token = page.NextPageToken;
            pages++;
        } while (token.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(created, listed);
    }

    [Fact]
    public async Task ListPaymentOrders_ByResident_OnlyHerOrders()
    {
        var hers = new[] { (await CreateAsync(_residents[1])).OrderId, (await CreateAsync(_residents[1])).OrderId };
        await CreateAsync(_residents[0]);

        var page = await _p.Client(Lidu).ListPaymentOrdersAsync(new ListPaymentOrdersRequest { ResidentId = _residents[1] });

        Assert.Equal(hers.Order(), page.Orders.Select(o => o.OrderId).Order());
        Assert.Equal("", page.NextPageToken);
    }

    [Fact]
    public async Task ListPaymentOrders_OtherTenant_SeesNone()
    {
        await CreateAsync(_residents[0]);

        var page = await _p.Client("cq-linjiang").ListPaymentOrdersAsync(new ListPaymentOrdersRequest());

        Assert.Empty(page.Orders);
    }

    [Fact]
    public async Task ListPaymentOrders_TokenOfAnotherFilter_InvalidArgument()
    {
        await CreateAsync(_residents[0]);
        await CreateAsync(_residents[0]);
        var first = await _p.Client(Lidu).ListPaymentOrdersAsync(new ListPaymentOrdersRequest { PageSize = 1, ResidentId = _residents[0] });
        Assert.NotEqual("", first.NextPageToken);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).ListPaymentOrdersAsync(
            new ListPaymentOrdersRequest { PageSize = 1, PageToken = first.NextPageToken }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Theory]
    [InlineData("garbage!")]
    [InlineData("bzEKMTIzCg")]
    public async Task ListPaymentOrders_MalformedToken_InvalidArgument(string token)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).ListPaymentOrdersAsync(
            new ListPaymentOrdersRequest { PageToken = token }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }
}
