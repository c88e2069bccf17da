using Medins.ChannelSimulation;
using Medins.Payment.V1;
using Npgsql;

namespace Medins.PaymentCollection.Tests.Channels;

/// <summary>
/// The same person paid through two channels at once: two orders, two provider notices arriving in parallel.
/// Exactly one order is paid; the other notice's money is put in front of a person, never kept silently.
/// </summary>
public sealed class ConcurrentChannelPaymentTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    // Seed 000 (Lidu) §2: tier 1 (一档) personal standard 380 yuan.
    private const long LiduTier1Fen = 38000;
    // Enough people that the two notices really overlap in the database for some of them.
    private const int People = 12;

    private PaymentPlatform _p = null!;
    private ChannelSimulator _simulator = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _simulator = new ChannelSimulator(SimulatorSetup.Demo, _p.Clock, _p.PaymentHttpClient());
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private async Task<Guid> OrderAsync(string resident, PaymentChannel channel) =>
        Guid.Parse((await _p.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = resident,
            CoverageYear = 2024,
            Channel = channel,
        })).Order.OrderId);

    [Theory]
    [InlineData("wechat_pay", PaymentChannel.WechatPay, "alipay", PaymentChannel.Alipay)]
    [InlineData("village_pos", PaymentChannel.VillagePos, "tax_e_bureau", PaymentChannel.TaxEBureau)]
    public async Task Notify_SamePersonPaidThroughTwoChannelsAtOnce_OnePaidOtherDuplicatePaymentReview(
        string firstChannel, PaymentChannel firstProto, string secondChannel, PaymentChannel secondProto)
    {
        var cases = new List<(string Resident, Guid First, Guid Second, SignedNotice FirstNotice, SignedNotice SecondNotice)>();
        for (var i = 0; i < People; i++)
        {
            var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage, new DateOnly(1960, 1, 1).AddDays(i * 37));
            var first = await OrderAsync(resident, firstProto);
            var second = await OrderAsync(resident, secondProto);
            cases.Add((resident, first, second,
                _simulator.Notice(_simulator.Pay(firstChannel, Lidu, first, LiduTier1Fen)),
                _simulator.Notice(_simulator.Pay(secondChannel, Lidu, second, LiduTier1Fen))));
        }

        // Every notice of every person at once: each pair races on one person's coverage year.
        var responses = await Task.WhenAll(cases.SelectMany(c => new[] { c.FirstNotice, c.SecondNotice })
            .Select(n => Task.Run(() => _simulator.SendAsync(n))));

        // Both notices of each pair are kept (paid, or queued for review), so neither provider retries.
        Assert.All(responses, r => Assert.True(r.Acknowledged, $"{r.Status} {r.Body}"));
        foreach (var c in cases)
        {
            var states = await StatesAsync(c.First, c.Second);
            Assert.Equal(1, states.Count(s => s == "paid"));
            var loser = states[0] == "paid" ? c.Second : c.First;
            var loserNotice = loser == c.First ? c.FirstNotice : c.SecondNotice;
            Assert.Equal("cancelled", states[loser == c.First ? 0 : 1]);
            Assert.Equal(1, await ScalarAsync("""
                SELECT count(*) FROM payment_collection.payment_reviews
                WHERE order_id = $1 AND reason = 'DUPLICATE_PAYMENT' AND channel_transaction_id = $2 AND amount_fen = $3
                """, loser, loserNotice.Payment.TransactionId, LiduTier1Fen));
        }
        var events = await _p.ContributionPaidEventsAsync();
        Assert.Equal(People, events.Count);
        Assert.Equal(People, events.Select(e => e.Event.ResidentId).Distinct().Count());
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM payment_collection.rejected_channel_notices"));
    }

    [Fact]
    public async Task Notify_SameNoticeDeliveredFiveTimesInParallel_OnePaidOneEvent()
    {
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var orderId = await OrderAsync(resident, PaymentChannel.WechatPay);
        var notice = _simulator.Notice(_simulator.Pay("wechat_pay", Lidu, orderId, LiduTier1Fen));

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => _simulator.DeliverAsync(notice))));

        Assert.All(responses, r => Assert.True(r.Acknowledged, r.Body));
        Assert.Equal(["paid"], await StatesAsync(orderId));
        Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(1, await ScalarAsync(
            "SELECT count(*) FROM payment_collection.payment_confirmations WHERE order_id = $1 AND outcome = 'confirmed'", orderId));
    }

    private async Task<List<string>> StatesAsync(params Guid[] orderIds)
    {
        var states = new List<string>();
        foreach (var orderId in orderIds)
        {
            await using var cmd = _p.Db.Owner.CreateCommand("SELECT state FROM payment_collection.payment_orders WHERE order_id = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = orderId });
            states.Add((string)(await cmd.ExecuteScalarAsync())!);
        }
        return states;
    }

    private async Task<long> ScalarAsync(string sql, params object[] args) => await _p.ScalarAsync<long>(sql, args);
}
