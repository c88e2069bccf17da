using Medins.Payment.V1;
using Medins.PaymentCollection.VillageCash;
using Microsoft.Extensions.DependencyInjection;
using static Medins.PaymentCollection.Tests.VillageCash.VillageCashSteps;

namespace Medins.PaymentCollection.Tests.VillageCash;

/// <summary>
/// The monitor runs in the background on the fake clock too; each test also calls its check itself, and both
/// passes may raise the same alert, which must still come out once.
/// </summary>
public sealed class UnremittedCashMonitorTests : IAsyncLifetime
{
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private Task<UnremittedCashCheck> CheckAsync() =>
        _p.PaymentServices.GetRequiredService<UnremittedCashMonitor>().CheckAsync(CancellationToken.None);

    [Fact]
    public async Task Check_CashHeldPastDefaultCutoff_OneEventPerAgentAndDay()
    {
        // Seed 000 (Lidu) §五（三）: cash collected must be handed in the same day; the default cut-off is 17:30.
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 75500, tier: 2);

        _p.Clock.Advance(ToDefaultCutoff - TimeSpan.FromMinutes(1));
        await CheckAsync();
        Assert.Empty(await _p.CashUnremittedEventsAsync());

        _p.Clock.Advance(TimeSpan.FromMinutes(1));
        await CheckAsync();
        _p.Clock.Advance(TimeSpan.FromHours(3));
        await CheckAsync();
        _p.Clock.Advance(TimeSpan.FromDays(1));
        var lastCheck = await CheckAsync();

        var (tenant, alert) = Assert.Single(await _p.CashUnremittedEventsAsync());
        Assert.Equal(Lidu, tenant);
        Assert.Equal(new CashUnremitted
        {
            TenantId = Lidu,
            AgentId = "lidu-a1",
            VillageCode = LiduVillage,
            CollectionDate = CampaignDate,
            UnremittedAmountFen = 113500,
            ReceiptCount = 2,
            // 17:30 in Asia/Shanghai is 09:30 UTC.
            CutoffTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(
                new DateTimeOffset(2023, 11, 20, 9, 30, 0, TimeSpan.Zero)),
        }, alert);
        Assert.Equal(113500, lastCheck.UnremittedByTenant[Lidu]);
    }

    [Fact]
    public async Task Check_CashRemittedBeforeCutoff_NoEvent()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-a2", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a2", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        _p.Clock.Advance(TimeSpan.FromHours(6));
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000));
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a2", 38000));

        _p.Clock.Advance(TimeSpan.FromDays(2));
        var check = await CheckAsync();

        Assert.Empty(await _p.CashUnremittedEventsAsync());
        Assert.Empty(check.AlertsRaised);
        Assert.False(check.UnremittedByTenant.ContainsKey(Lidu));
    }

    [Fact]
    public async Task Check_TwoAgentsOneRemitted_EventOnlyForTheOneHoldingCash()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-c1", LiduCommunity);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-c1", await _p.RegisterResidentAsync(Lidu, LiduCommunity), 38000);
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000));

        _p.Clock.Advance(ToDefaultCutoff + TimeSpan.FromMinutes(5));
        await CheckAsync();

        var (_, alert) = Assert.Single(await _p.CashUnremittedEventsAsync());
        Assert.Equal("lidu-c1", alert.AgentId);
        Assert.Equal(LiduCommunity, alert.VillageCode);
    }

    [Fact]
    public async Task Check_TenantsOwnEarlierCutoff_AppliesToThatTenantOnly()
    {
        // Seed 003 (Meishan) §六（二）: townships gather village cash the same day; Dongpo sets its own 16:00 cut-off,
        // Lidu keeps the default 17:30.
        var set = await _p.VillageCash(Dongpo).SetCashRemittanceCutoffAsync(new SetCashRemittanceCutoffRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            CutoffTime = new Google.Type.TimeOfDay { Hours = 16 },
        });
        Assert.Equal(16, set.CutoffTime.Hours);
        await _p.RegisterAgentAsync(Dongpo, "dp-a1", DongpoVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.CollectAsync(Dongpo, "dp-a1", await _p.RegisterResidentAsync(Dongpo, DongpoVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);

        // 16:10 in Asia/Shanghai.
        _p.Clock.Advance(TimeSpan.FromHours(7) + TimeSpan.FromMinutes(10));
        await CheckAsync();

        var (tenant, alert) = Assert.Single(await _p.CashUnremittedEventsAsync());
        Assert.Equal(Dongpo, tenant);
        Assert.Equal(new DateTimeOffset(2023, 11, 20, 8, 0, 0, TimeSpan.Zero), alert.CutoffTime.ToDateTimeOffset());
        var dongpoBalance = await _p.VillageCash(Dongpo).GetAgentCashBalanceAsync(new GetAgentCashBalanceRequest { AgentId = "dp-a1" });
        var liduBalance = await _p.VillageCash(Lidu).GetAgentCashBalanceAsync(new GetAgentCashBalanceRequest { AgentId = "lidu-a1" });
        Assert.True(dongpoBalance.Overdue);
        Assert.False(liduBalance.Overdue);
    }

    [Fact]
    public async Task RemitCash_AfterAlert_ClearsBalanceAndRaisesNoMore()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        _p.Clock.Advance(ToDefaultCutoff + TimeSpan.FromHours(1));
        await CheckAsync();

        var late = (await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000))).Remittance;
        _p.Clock.Advance(TimeSpan.FromDays(1));
        var check = await CheckAsync();

        Assert.True(late.RemitTime.ToDateTimeOffset() > late.CutoffTime.ToDateTimeOffset());
        Assert.Single(await _p.CashUnremittedEventsAsync());
        Assert.Equal(0, (await _p.BalanceAsync(Lidu, "lidu-a1")).UnremittedAmountFen);
        Assert.False(check.UnremittedByTenant.ContainsKey(Lidu));
    }
}
