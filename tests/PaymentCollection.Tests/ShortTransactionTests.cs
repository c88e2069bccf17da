using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// Orders are priced before their transaction opens (every upstream call in these services passes the remote-call
/// guard, which refuses one inside a transaction); the short transaction still makes a replay return the first answer.
/// </summary>
public sealed class ShortTransactionTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    // A demo community of Lidu (services/Migrator/DemoCity/identity_registry.sql).
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private CreatePaymentOrderRequest Request(string residentId, string requestId) => new()
    {
        RequestId = requestId,
        ResidentId = residentId,
        CoverageYear = 2024,
        Channel = PaymentChannel.WechatPay,
        Tier = 1,
    };

    [Fact]
    public async Task CreatePaymentOrder_ConcurrentCallsWithOneRequestId_OneOrderAndEveryoneGetsIt()
    {
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var request = Request(resident, Guid.NewGuid().ToString());

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _p.Client(Lidu).CreatePaymentOrderAsync(request).ResponseAsync));

        Assert.Single(answers.Select(a => a.Order.OrderId).Distinct());
        Assert.Equal(1L, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.payment_orders WHERE resident_id = $1", resident));
    }

    private static Priced<PersonQuote> Quote(string residentId, DateTimeOffset pricedAt) => new(new PersonQuote(
        new Identity.V1.Resident { ResidentId = residentId, VillageCode = LiduVillage },
        new PricedContribution(1, 38000, 0, "cq-lidu-2024-v1", 1, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)),
        "{}"), null, pricedAt);

    private async Task<Core.PaymentOrder> OpenAsync(string residentId, Priced<PersonQuote> priced)
    {
        using var scope = _p.PaymentServices.CreateScope();
        var orders = scope.ServiceProvider.GetRequiredService<OrderBook>();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDatabase>();
        return await db.InTenantAsync(Lidu, (conn, tx) => orders.OpenAsync(conn, tx, Lidu,
            new OrderRequest(residentId, 2024, "wechat_pay", 1), priced, CancellationToken.None), CancellationToken.None);
    }

    [Fact]
    public async Task OpenAsync_QuoteOlderThanMaxAge_StaleQuoteAndNothingStored()
    {
        var priced = Quote("r-stale", _p.Clock.GetUtcNow());
        _p.Clock.Advance(OrderBook.MaxQuoteAge + TimeSpan.FromSeconds(1));

        Assert.Equal("QUOTE_EXPIRED", (await Assert.ThrowsAsync<RuleViolation>(() => OpenAsync("r-stale", priced))).Reason);

        Assert.Equal(0L, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.payment_orders WHERE resident_id = 'r-stale'"));
    }

    [Fact]
    public async Task OpenAsync_QuoteOfYesterdayStillYoung_StaleQuote()
    {
        // 23:59:55 in Asia/Shanghai, then ten seconds later it is another payment day.
        _p.Clock.SetUtcNow(new DateTimeOffset(2023, 11, 20, 15, 59, 55, TimeSpan.Zero));
        var priced = Quote("r-midnight", _p.Clock.GetUtcNow());
        _p.Clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("QUOTE_EXPIRED", (await Assert.ThrowsAsync<RuleViolation>(() => OpenAsync("r-midnight", priced))).Reason);
    }

    [Fact]
    public async Task OpenAsync_FreshQuote_OpensAtThePricedTimeAndAmount()
    {
        var pricedAt = _p.Clock.GetUtcNow();
        var priced = Quote("r-fresh", pricedAt);
        _p.Clock.Advance(TimeSpan.FromSeconds(2));

        var order = await OpenAsync("r-fresh", priced);

        Assert.Equal((38000L, pricedAt), (order.PersonalAmountFen, order.CreatedAt));
        Assert.Equal(1L, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.payment_orders WHERE resident_id = 'r-fresh'"));
    }

    [Fact]
    public async Task OpenAsync_UpstreamFailureCaptured_ThrownWhereTheOrderOpens()
    {
        var failed = new Priced<PersonQuote>(null,
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(RpcErrors.NotFound("RESIDENT_NOT_FOUND", "no")),
            _p.Clock.GetUtcNow());

        var ex = await Assert.ThrowsAsync<RuleViolation>(() => OpenAsync("r-missing", failed));

        Assert.Equal("RESIDENT_NOT_FOUND", ex.Reason);
    }

    [Fact]
    public async Task WithFreshQuote_StaleOnceThenFresh_PricesAgainAndSucceeds()
    {
        var attempts = 0;

        var result = await OrderBook.WithFreshQuoteAsync(() =>
            ++attempts == 1 ? throw OrderBook.StaleQuote() : Task.FromResult("opened"));

        Assert.Equal(("opened", 2), (result, attempts));
    }

    [Fact]
    public async Task WithFreshQuote_StaleEveryTime_AbortedQuoteExpired()
    {
        var attempts = 0;

        var ex = await Assert.ThrowsAsync<RuleViolation>(() => OrderBook.WithFreshQuoteAsync<string>(() =>
        {
            attempts++;
            throw OrderBook.StaleQuote();
        }));

        Assert.Equal((RefusalStatus.Aborted, "QUOTE_EXPIRED", 3), (ex.Status, ex.Reason, attempts));
    }
}
