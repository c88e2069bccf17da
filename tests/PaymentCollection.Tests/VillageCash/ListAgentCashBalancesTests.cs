using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using static Medins.PaymentCollection.Tests.VillageCash.VillageCashSteps;

namespace Medins.PaymentCollection.Tests.VillageCash;

public sealed class ListAgentCashBalancesTests : IAsyncLifetime
{
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    /// <summary>Three Lidu agents in two villages of one township: a1 hands in part of her day, a2 holds all of it,
    /// c1 (the community) holds one receipt.</summary>
    private async Task CollectInTwoVillagesAsync()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-a2", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-c1", LiduCommunity);
        // Seed 000 (Lidu) §三（一）: 380 yuan at tier 1, 755 yuan at tier 2.
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 75500, tier: 2);
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 113500));
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a2", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-c1", await _p.RegisterResidentAsync(Lidu, LiduCommunity), 38000);
    }

    private async Task<List<AgentCashBalance>> AllPagesAsync(string tenantId, string division, int pageSize)
    {
        var agents = new List<AgentCashBalance>();
        var token = "";
        do
        {
            var page = await _p.VillageCash(tenantId).ListAgentCashBalancesAsync(new ListAgentCashBalancesRequest
            {
                Date = CampaignDate, DivisionCode = division, PageSize = pageSize, PageToken = token,
            });
            Assert.True(page.Agents.Count <= pageSize);
            Assert.Equal(CampaignDate, page.Date);
            agents.AddRange(page.Agents);
            token = page.NextPageToken;
        } while (token.Length > 0);
        return agents;
    }

    [Fact]
    public async Task ListAgentCashBalances_AgentsOfTwoVillages_EachEqualsGetAgentCashBalance()
    {
        await CollectInTwoVillagesAsync();

        var agents = await AllPagesAsync(Lidu, "", 50);

        // Village then agent order: the community (…001) before the village (…201).
        Assert.Equal(["lidu-c1", "lidu-a1", "lidu-a2"], agents.Select(a => a.Agent.AgentId));
        foreach (var agent in agents)
        {
            var single = await _p.VillageCash(Lidu).GetAgentCashBalanceAsync(new GetAgentCashBalanceRequest
            {
                AgentId = agent.Agent.AgentId, Date = CampaignDate,
            });
            Assert.Equal(single.Agent, agent.Agent);
            Assert.Equal(single.Balance, agent.Balance);
            Assert.Equal(single.Overdue, agent.Overdue);
        }
        Assert.Equal("代收员lidu-a1", agents[1].Agent.Name);
        Assert.Equal(LiduVillage, agents[1].Agent.VillageCode);
        Assert.Equal(new CashBalance
        {
            CollectedAmountFen = 151500, CollectedReceiptCount = 3, RemittedAmountFen = 113500,
            UnremittedAmountFen = 38000, UnremittedReceiptCount = 1,
        }, agents[1].Balance);
    }

    [Fact]
    public async Task ListAgentCashBalances_PastCutoff_HoldersOverdue()
    {
        await CollectInTwoVillagesAsync();
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000));
        _p.Clock.Advance(ToDefaultCutoff + TimeSpan.FromMinutes(1));

        var agents = await AllPagesAsync(Lidu, "", 50);

        Assert.Equal(["lidu-c1", "lidu-a2"], agents.Where(a => a.Overdue).Select(a => a.Agent.AgentId));
    }

    [Fact]
    public async Task ListAgentCashBalances_VillageDivision_OnlyItsAgents()
    {
        await CollectInTwoVillagesAsync();

        Assert.Equal(["lidu-a1", "lidu-a2"], (await AllPagesAsync(Lidu, LiduVillage, 50)).Select(a => a.Agent.AgentId));
        Assert.Equal(["lidu-c1", "lidu-a1", "lidu-a2"],
            (await AllPagesAsync(Lidu, LiduTownship, 50)).Select(a => a.Agent.AgentId));
        Assert.Empty(await AllPagesAsync(Lidu, DongpoVillage[..9], 50));
    }

    [Fact]
    public async Task ListAgentCashBalances_PageSizeOne_EveryAgentOnceInOrder()
    {
        await CollectInTwoVillagesAsync();

        var agents = await AllPagesAsync(Lidu, LiduTownship, 1);

        Assert.Equal(["lidu-c1", "lidu-a1", "lidu-a2"], agents.Select(a => a.Agent.AgentId));
    }

    [Fact]
    public async Task ListAgentCashBalances_OtherTenant_SeesOnlyItsOwnAgents()
    {
        await CollectInTwoVillagesAsync();
        await _p.RegisterAgentAsync(Dongpo, "dongpo-a1", DongpoVillage);

        var agents = await AllPagesAsync(Dongpo, "", 50);

        Assert.Equal(["dongpo-a1"], agents.Select(a => a.Agent.AgentId));
        Assert.Equal(0, agents[0].Balance.CollectedAmountFen);
    }

    [Fact]
    public async Task ListAgentCashBalances_BadDateAndDivision_InvalidArgumentNamingEachField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.VillageCash(Lidu).ListAgentCashBalancesAsync(
            new ListAgentCashBalancesRequest
            {
                Date = new Google.Type.Date { Year = 2023, Month = 2, Day = 30 }, DivisionCode = "5001", PageSize = -1,
            }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToHashSet();
        Assert.Equal(["date", "division_code", "page_size"], fields);
    }

    [Fact]
    public async Task ListAgentCashBalances_VillageListPageToken_InvalidArgument()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-c1", LiduCommunity);
        var villages = await _p.VillageCash(Lidu).ListVillageCashBalancesAsync(new ListVillageCashBalancesRequest
        {
            Date = CampaignDate, PageSize = 1,
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.VillageCash(Lidu).ListAgentCashBalancesAsync(
            new ListAgentCashBalancesRequest { Date = CampaignDate, PageSize = 1, PageToken = villages.NextPageToken })
            .ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "page_token");
    }
}
