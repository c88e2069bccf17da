using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using static Medins.PaymentCollection.Tests.VillageCash.VillageCashSteps;

namespace Medins.PaymentCollection.Tests.VillageCash;

public sealed class VillageCashTests : IAsyncLifetime
{
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    [Fact]
    public async Task RecordCashCollection_ExactPersonalPart_PaysOrderThroughVillageCashWithReceipt()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);

        // Seed 000 (Lidu) §三（一）: tier 1 personal standard 380 yuan; only the person's own part is collected (§五（三）).
        var receipt = await _p.CollectAsync(Lidu, "lidu-a1", resident, 38000);

        Assert.Equal(38000, receipt.AmountFen);
        Assert.Equal("lidu-a1", receipt.AgentId);
        Assert.Equal(resident, receipt.ResidentId);
        Assert.Equal(LiduVillage, receipt.VillageCode);
        Assert.Equal(PaymentPlatform.CampaignDay, receipt.CollectTime.ToDateTimeOffset());
        Assert.Equal(CampaignDate, receipt.CollectionDate);
        Assert.Matches("^2024[0-9]{10}$", receipt.ReceiptNumber);
        var order = (await _p.Client(Lidu).GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = receipt.OrderId })).Order;
        Assert.Equal(OrderState.Paid, order.State);
        Assert.Equal(PaymentChannel.VillageCash, order.Channel);
        Assert.Equal(receipt.CashReceiptId, order.ChannelTransactionId);
        Assert.Equal(receipt.ReceiptNumber, order.ReceiptNumber);
        Assert.Equal("lidu-a1", order.AgentId);
        var (_, paid) = Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(PaymentChannel.VillageCash, paid.Channel);
        Assert.Equal("lidu-a1", paid.AgentId);
        Assert.Equal(38000, paid.PersonalAmountFen);
    }

    [Fact]
    public async Task AgentDay_CollectedThenRemitted_LeavesZeroBalance()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        // Seed 000 (Lidu) §三（一）: 380 yuan at tier 1, 755 yuan at tier 2.
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        _p.Clock.Advance(TimeSpan.FromHours(1));
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 75500, tier: 2);
        _p.Clock.Advance(TimeSpan.FromHours(1));
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);

        var held = await _p.BalanceAsync(Lidu, "lidu-a1");
        Assert.Equal(new CashBalance
        {
            CollectedAmountFen = 151500, CollectedReceiptCount = 3, RemittedAmountFen = 0,
            UnremittedAmountFen = 151500, UnremittedReceiptCount = 3,
        }, held);

        _p.Clock.Advance(TimeSpan.FromHours(4));
        // Seed 000 (Lidu) §五（三）: the day's cash is handed in the same day and deposited to the designated account.
        var remittance = (await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 151500, "DEP-0001"))).Remittance;

        Assert.Equal(3, remittance.ReceiptCount);
        Assert.Equal(151500, remittance.AmountFen);
        Assert.Equal("DEP-0001", remittance.DepositReference);
        Assert.True(remittance.RemitTime.ToDateTimeOffset() < remittance.CutoffTime.ToDateTimeOffset());
        Assert.Equal(new CashBalance
        {
            CollectedAmountFen = 151500, CollectedReceiptCount = 3, RemittedAmountFen = 151500,
            UnremittedAmountFen = 0, UnremittedReceiptCount = 0,
        }, await _p.BalanceAsync(Lidu, "lidu-a1"));
    }

    [Theory]
    [InlineData(39000)] // a "helping fee" of 10 yuan on top
    [InlineData(37000)] // short by 10 yuan
    public async Task RecordCashCollection_NotExactlyHerPart_AmountMismatchWithBothAmountsNothingStored(long receivedFen)
    {
        // Seed 003 (Meishan) §六（二）: no collecting more (多收), no helping fees (帮忙费); and none short either.
        await _p.RegisterAgentAsync(Dongpo, "dp-a1", DongpoVillage);
        var resident = await _p.RegisterResidentAsync(Dongpo, DongpoVillage);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Dongpo).RecordCashCollectionAsync(Collection("dp-a1", resident, receivedFen)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("AMOUNT_MISMATCH", info.Reason);
        Assert.Equal("38000", info.Metadata["expected_amount_fen"]);
        Assert.Equal(receivedFen.ToString(), info.Metadata["received_amount_fen"]);
        var clerk = ex.GetRpcStatus()!.GetDetail<LocalizedMessage>();
        Assert.Equal("zh-CN", clerk.Locale);
        Assert.Contains(ClerkText.Yuan(receivedFen), clerk.Message);
        Assert.Contains("380.00 元", clerk.Message);
        Assert.DoesNotContain("fen", ex.Status.Detail);
        Assert.Equal(0, await _p.CountAsync("payment_orders"));
        Assert.Equal(0, await _p.CountAsync("payment_confirmations"));
        Assert.Equal(0, await _p.CountAsync("cash_receipts"));
        Assert.Equal(0, await _p.CountAsync("outbox"));
        Assert.Equal(0, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.request_log WHERE rpc = 'RecordCashCollection'"));
    }

    [Fact]
    public async Task RemitCash_WrongSum_CashAmountMismatchWithBothSumsNothingStored()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 70000)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("CASH_AMOUNT_MISMATCH", info.Reason);
        Assert.Equal("76000", info.Metadata["unremitted_amount_fen"]);
        Assert.Equal("70000", info.Metadata["remitted_amount_fen"]);
        Assert.Contains("存款金额 700.00 元", RpcErrors.ClerkTextOf(ex));
        Assert.Contains("760.00 元", RpcErrors.ClerkTextOf(ex));
        Assert.Equal(0, await _p.CountAsync("cash_remittances"));
        Assert.Equal(76000, (await _p.BalanceAsync(Lidu, "lidu-a1")).UnremittedAmountFen);
    }

    [Fact]
    public async Task RecordCashCollection_Replayed_ReturnsFirstReceiptAndTakesCashOnce()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        var request = Collection("lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        var first = await _p.VillageCash(Lidu).RecordCashCollectionAsync(request);
        _p.Clock.Advance(TimeSpan.FromMinutes(5));

        var replay = await _p.VillageCash(Lidu).RecordCashCollectionAsync(request);

        Assert.Equal(first, replay);
        Assert.Equal(1, await _p.CountAsync("cash_receipts"));
        Assert.Single(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task RemitCash_Replayed_ReturnsFirstRemittanceWhileNewRequestFindsNothingToRemit()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        var request = Remittance("lidu-a1", 38000);
        var first = await _p.VillageCash(Lidu).RemitCashAsync(request);

        var replay = await _p.VillageCash(Lidu).RemitCashAsync(request);
        var again = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000)).ResponseAsync);

        Assert.Equal(first, replay);
        Assert.Equal("NOTHING_TO_REMIT", RpcErrors.ReasonOf(again));
        Assert.Equal(1, await _p.CountAsync("cash_remittances"));
    }

    [Fact]
    public async Task RemitCash_TwoAtOnceForTheSameDay_OneHandsTheCashInTheOtherFindsNothing()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            try
            {
                await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000));
                return "remitted";
            }
            catch (RpcException ex)
            {
                return RpcErrors.ReasonOf(ex);
            }
        }));

        Assert.Equal(["NOTHING_TO_REMIT", "remitted"], outcomes.Order());
        Assert.Equal(1, await _p.CountAsync("cash_remittances"));
    }

    [Fact]
    public async Task RecordCashCollection_TwoAgentsAtOnceForOnePerson_CashTakenOnce()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-a2", LiduVillage);
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);

        var outcomes = await Task.WhenAll(new[] { "lidu-a1", "lidu-a2" }.Select(async agent =>
        {
            try
            {
                await _p.CollectAsync(Lidu, agent, resident, 38000);
                return "collected";
            }
            catch (RpcException ex)
            {
                return RpcErrors.ReasonOf(ex);
            }
        }));

        Assert.Equal(["ALREADY_PAID", "collected"], outcomes.Order());
        Assert.Equal(1, await _p.CountAsync("cash_receipts"));
        Assert.Single(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task RemitCash_DepositSlipAlreadyUsed_DepositReferenceReused()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-a2", LiduVillage);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a2", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 38000, "DEP-7"));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a2", 38000, "DEP-7")).ResponseAsync);

        Assert.Equal("DEPOSIT_REFERENCE_REUSED", RpcErrors.ReasonOf(ex));
        Assert.Equal(38000, (await _p.BalanceAsync(Lidu, "lidu-a2")).UnremittedAmountFen);
    }

    [Fact]
    public async Task ListVillageCashBalances_Township_EachVillageAddsUpItsAgents()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-a2", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-c1", LiduCommunity);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-a1", await _p.RegisterResidentAsync(Lidu, LiduVillage), 75500, tier: 2);
        await _p.CollectAsync(Lidu, "lidu-a2", await _p.RegisterResidentAsync(Lidu, LiduVillage), 38000);
        await _p.CollectAsync(Lidu, "lidu-c1", await _p.RegisterResidentAsync(Lidu, LiduCommunity), 38000);
        await _p.VillageCash(Lidu).RemitCashAsync(Remittance("lidu-a1", 113500));

        var firstPage = await _p.VillageCash(Lidu).ListVillageCashBalancesAsync(new ListVillageCashBalancesRequest
        {
            Date = CampaignDate, DivisionCode = LiduTownship, PageSize = 1,
        });
        var secondPage = await _p.VillageCash(Lidu).ListVillageCashBalancesAsync(new ListVillageCashBalancesRequest
        {
            Date = CampaignDate, DivisionCode = LiduTownship, PageSize = 1, PageToken = firstPage.NextPageToken,
        });

        Assert.Equal([LiduCommunity], firstPage.Villages.Select(v => v.VillageCode));
        Assert.Equal([LiduVillage], secondPage.Villages.Select(v => v.VillageCode));
        Assert.Empty(secondPage.NextPageToken);
        var agentsByVillage = new Dictionary<string, string[]>
        {
            [LiduCommunity] = ["lidu-c1"],
            [LiduVillage] = ["lidu-a1", "lidu-a2"],
        };
        foreach (var village in firstPage.Villages.Concat(secondPage.Villages))
        {
            var agents = await Task.WhenAll(agentsByVillage[village.VillageCode].Select(a => _p.BalanceAsync(Lidu, a)));
            Assert.Equal(agents.Length, village.AgentCount);
            Assert.Equal(new CashBalance
            {
                CollectedAmountFen = agents.Sum(b => b.CollectedAmountFen),
                CollectedReceiptCount = agents.Sum(b => b.CollectedReceiptCount),
                RemittedAmountFen = agents.Sum(b => b.RemittedAmountFen),
                UnremittedAmountFen = agents.Sum(b => b.UnremittedAmountFen),
                UnremittedReceiptCount = agents.Sum(b => b.UnremittedReceiptCount),
            }, village.Balance);
        }
        Assert.Equal(new CashBalance
        {
            CollectedAmountFen = 151500, CollectedReceiptCount = 3, RemittedAmountFen = 113500,
            UnremittedAmountFen = 38000, UnremittedReceiptCount = 1,
        }, secondPage.Villages[0].Balance);
    }

    [Fact]
    public async Task ListVillageCashBalances_PageTokenOfAnotherDay_InvalidArgument()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        await _p.RegisterAgentAsync(Lidu, "lidu-c1", LiduCommunity);
        var page = await _p.VillageCash(Lidu).ListVillageCashBalancesAsync(new ListVillageCashBalancesRequest
        {
            Date = CampaignDate, PageSize = 1,
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.VillageCash(Lidu).ListVillageCashBalancesAsync(
            new ListVillageCashBalancesRequest
            {
                Date = new Google.Type.Date { Year = 2023, Month = 11, Day = 21 }, PageSize = 1, PageToken = page.NextPageToken,
            }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        // Every list refuses a bad token alike (it was INVALID_REQUEST here before the platform's one paging).
        Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "page_token");
    }

    [Fact]
    public async Task RecordCashCollection_PersonAlreadyPaidByWeChat_AlreadyPaidNoCashTaken()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
        var order = (await _p.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        })).Order;
        await _p.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "wx-0001", AmountFen = 38000,
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RecordCashCollectionAsync(Collection("lidu-a1", resident, 38000)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("ALREADY_PAID", RpcErrors.ReasonOf(ex));
        Assert.Equal(0, await _p.CountAsync("cash_receipts"));
        Assert.Equal(1, await _p.CountAsync("payment_orders"));
        Assert.Equal(0, (await _p.BalanceAsync(Lidu, "lidu-a1")).CollectedAmountFen);
    }

    [Fact]
    public async Task RecordCashCollection_FullySubsidisedPerson_EnrolledWithNoCash()
    {
        // Seed 003 (Meishan) §三(三)2(1): 特困救助对象 (code 2304) — 380 in full from the medical-assistance fund.
        await _p.RegisterAgentAsync(Dongpo, "dp-a1", DongpoVillage);
        var (resident, nationalId) = await _p.RegisterResidentWithIdAsync(Dongpo, DongpoVillage);
        await _p.CertifyAsync(Dongpo, nationalId, "2304", "民政");

        var receipt = await _p.CollectAsync(Dongpo, "dp-a1", resident, 0);

        Assert.Equal(0, receipt.AmountFen);
        Assert.Equal(38000, receipt.SubsidyAmountFen);
        Assert.Empty(receipt.CashReceiptId);
        Assert.Matches("^2024[0-9]{10}$", receipt.ReceiptNumber);
        var (_, paid) = Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(0, paid.PersonalAmountFen);
        Assert.Equal("dp-a1", paid.AgentId);
        Assert.Equal(0, await _p.CountAsync("cash_receipts"));
        Assert.Equal(0, (await _p.BalanceAsync(Dongpo, "dp-a1")).CollectedReceiptCount);
    }

    [Fact]
    public async Task RecordCashCollection_CashOfferedForFullySubsidisedPerson_AmountMismatchNothingStored()
    {
        // Seed 000 (Lidu) §五（三）: no "collect first, refund later" (先收后退) for subsidised people.
        await _p.RegisterAgentAsync(Dongpo, "dp-a1", DongpoVillage);
        var (resident, nationalId) = await _p.RegisterResidentWithIdAsync(Dongpo, DongpoVillage);
        await _p.CertifyAsync(Dongpo, nationalId, "2304", "民政");

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Dongpo).RecordCashCollectionAsync(Collection("dp-a1", resident, 38000)).ResponseAsync);

        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("AMOUNT_MISMATCH", info.Reason);
        Assert.Equal("0", info.Metadata["expected_amount_fen"]);
        Assert.Equal(0, await _p.CountAsync("payment_orders"));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task RecordCashCollection_UnregisteredAgent_AgentNotRegisteredNothingStored()
    {
        // Registered, but in another tenant: Lidu cannot see Dongpo's agents.
        await _p.RegisterAgentAsync(Dongpo, "agent-1", DongpoVillage);
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RecordCashCollectionAsync(Collection("agent-1", resident, 38000)).ResponseAsync);
        var remit = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RemitCashAsync(Remittance("agent-1", 38000)).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("AGENT_NOT_REGISTERED", RpcErrors.ReasonOf(ex));
        Assert.Equal("AGENT_NOT_REGISTERED", RpcErrors.ReasonOf(remit));
        Assert.Equal(0, await _p.CountAsync("payment_orders"));
    }

    [Fact]
    public async Task RecordCashCollection_ResidentOfAnotherVillage_RefusedNothingStored()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-c1", LiduCommunity);
        var resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.VillageCash(Lidu).RecordCashCollectionAsync(Collection("lidu-c1", resident, 38000)).ResponseAsync);

        Assert.Equal("RESIDENT_NOT_IN_AGENT_VILLAGE", RpcErrors.ReasonOf(ex));
        Assert.Equal(0, await _p.CountAsync("payment_orders"));
    }

    [Fact]
    public async Task RegisterCashAgent_VillageOfAnotherTenant_UnknownVillage()
    {
        // 高滩村 is Linjiang's (seed 002 §6), not Lidu's.
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            _p.RegisterAgentAsync(Lidu, "lidu-x", "500118901201"));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("UNKNOWN_VILLAGE", RpcErrors.ReasonOf(ex));
        Assert.Equal(0, await _p.CountAsync("cash_agents"));
    }

    [Fact]
    public async Task RegisterCashAgent_SameIdAgainWithNewRequest_AlreadyExists()
    {
        await _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduVillage);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.RegisterAgentAsync(Lidu, "lidu-a1", LiduCommunity));

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal("AGENT_ALREADY_REGISTERED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RemitCash_BadInput_InvalidArgumentNamingEveryField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.VillageCash(Lidu).RemitCashAsync(new RemitCashRequest
        {
            AgentId = "bad agent",
            CollectionDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 21 },
            AmountFen = 0,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToHashSet();
        Assert.Equal(["request_id", "deposit_reference", "amount_fen", "collection_date", "agent_id"], fields);
    }
}
