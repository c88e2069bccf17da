using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class HouseholdOrderTests : IAsyncLifetime
{
    private const string Gaoyang = "he-gaoyang";
    private const string GaoyangVillage = "130628901001";
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private const string Dongpo = "sc-meishan-dongpo";
    private const string DongpoVillage = "511402901201";
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private Task<CreateHouseholdPaymentOrderResponse> CreateAsync(string tenant, string household, params string[] members) =>
        _p.Client(tenant).CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), HouseholdNumber = household, CoverageYear = 2024,
            Channel = PaymentChannel.VillagePos, ResidentIds = { members },
        }).ResponseAsync;

    private Task<ConfirmPaymentResponse> ConfirmAsync(string tenant, string orderId, string transaction, long amountFen) =>
        _p.Client(tenant).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = orderId, ChannelTransactionId = transaction, AmountFen = amountFen,
        }).ResponseAsync;

    private Task<long> CountAsync(string sql, params object[] args) => _p.ScalarAsync<long>(sql, args);

    [Fact]
    public async Task CreateHouseholdPaymentOrder_GaoyangWholeBooklet_OnePaymentSettlesEveryMember()
    {
        // Seed 004 §一(三)1: 同一户口簿内符合参保条件的家庭成员应当同时参保; 380 yuan each (§二(二)).
        var members = await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-0001", 3);

        var household = (await CreateAsync(Gaoyang, "HB-0001")).HouseholdOrder;

        Assert.Equal(3, household.MemberOrders.Count);
        Assert.Equal(3 * 38000, household.TotalPersonalAmountFen);
        Assert.Equal(OrderState.Created, household.State);
        Assert.Equal(members.Select(m => m.ResidentId).Order(), household.MemberOrders.Select(o => o.ResidentId).Order());

        var paid = (await ConfirmAsync(Gaoyang, household.HouseholdOrderId, "pos-0001", 114000)).HouseholdOrder;
        var replay = (await ConfirmAsync(Gaoyang, household.HouseholdOrderId, "pos-0001", 114000)).HouseholdOrder;

        Assert.Equal(OrderState.Paid, paid.State);
        Assert.All(paid.MemberOrders, o =>
        {
            Assert.Equal(OrderState.Paid, o.State);
            Assert.Equal("pos-0001", o.ChannelTransactionId);
            Assert.Equal("HB-0001", o.HouseholdId);
            Assert.Matches("^2024[0-9]{10}$", o.ReceiptNumber);
        });
        Assert.Equal(3, paid.MemberOrders.Select(o => o.ReceiptNumber).Distinct().Count());
        Assert.Equal(paid, replay);
        var events = await _p.ContributionPaidEventsAsync();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("HB-0001", e.Event.HouseholdId));
        Assert.Equal(114000, events.Sum(e => e.Event.PersonalAmountFen));
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_GaoyangPartialHousehold_HouseholdIncompleteNamesTheMissingAndStoresNothing()
    {
        // Seed 004 §一(三)1: 不能选择性参保 — paying for two of three is refused, naming the third.
        var members = await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-0002", 3);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            CreateAsync(Gaoyang, "HB-0002", members[0].ResidentId, members[1].ResidentId));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("HOUSEHOLD_INCOMPLETE", RpcErrors.ReasonOf(error));
        Assert.Equal(members[2].ResidentId, error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["resident_ids"]);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM payment_collection.payment_orders"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM payment_collection.household_orders"));
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_GaoyangBookletListsUnregisteredPeople_HouseholdIncomplete()
    {
        await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-0003", registeredMembers: 2, bookletMembers: 3);

        var error = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(Gaoyang, "HB-0003"));

        Assert.Equal("HOUSEHOLD_INCOMPLETE", RpcErrors.ReasonOf(error));
        Assert.Contains("not registered", error.Status.Detail);
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_LiduChosenMembers_AllowedAsLiduDoesNotEnrolTogether()
    {
        // Seed 000 sets no household-together rule (policy cq-lidu-2024 enrolHouseholdTogether false).
        var members = await _p.RegisterHouseholdAsync(Lidu, LiduVillage, "CQ-0001", 3);

        var household = (await CreateAsync(Lidu, "CQ-0001", members[1].ResidentId)).HouseholdOrder;

        var member = Assert.Single(household.MemberOrders);
        Assert.Equal(members[1].ResidentId, member.ResidentId);
        Assert.Equal(member.PersonalAmountFen, household.TotalPersonalAmountFen);
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_NamesAStranger_InvalidArgumentNotAHouseholdMember()
    {
        await _p.RegisterHouseholdAsync(Lidu, LiduVillage, "CQ-0002", 2);
        var stranger = await _p.RegisterResidentAsync(Lidu, LiduVillage);

        var error = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(Lidu, "CQ-0002", stranger));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("NOT_A_HOUSEHOLD_MEMBER", RpcErrors.ReasonOf(error));
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_MeishanMemberTekun_EnrolledAtOnceOthersPayTheirOwnParts()
    {
        // Seed 003 §三(三)2(1): 特困 (2304) pays nothing (零缴费核定); the others pay 380 each.
        var members = await _p.RegisterHouseholdAsync(Dongpo, DongpoVillage, "SC-0001", 3);
        await _p.CertifyAsync(Dongpo, members[0].NationalId, "2304", "民政");

        var household = (await CreateAsync(Dongpo, "SC-0001")).HouseholdOrder;

        Assert.Equal(2 * 38000, household.TotalPersonalAmountFen);
        var tekun = household.MemberOrders.Single(o => o.ResidentId == members[0].ResidentId);
        Assert.Equal(OrderState.Paid, tekun.State);
        Assert.Single(await _p.ContributionPaidEventsAsync());

        var paid = (await ConfirmAsync(Dongpo, household.HouseholdOrderId, "pos-sc-1", 76000)).HouseholdOrder;

        Assert.All(paid.MemberOrders, o => Assert.Equal(OrderState.Paid, o.State));
        Assert.Equal(3, (await _p.ContributionPaidEventsAsync()).Count);
    }

    [Fact]
    public async Task ConfirmPayment_HouseholdAmountMismatch_RefusedToReviewAndNobodyPaid()
    {
        await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-0004", 2);
        var household = (await CreateAsync(Gaoyang, "HB-0004")).HouseholdOrder;

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ConfirmAsync(Gaoyang, household.HouseholdOrderId, "pos-0004", 38000));

        Assert.Equal("AMOUNT_MISMATCH", RpcErrors.ReasonOf(error));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM payment_collection.payment_orders WHERE state = 'paid'"));
        Assert.Equal(1L, await CountAsync(
            "SELECT count(*) FROM payment_collection.payment_reviews WHERE order_id = $1", Guid.Parse(household.HouseholdOrderId)));
    }

    [Fact]
    public async Task ConfirmPayment_MemberPaidAloneMeanwhile_HouseholdNoticeDuplicateToReviewAndHouseholdCancelled()
    {
        var members = await _p.RegisterHouseholdAsync(Lidu, LiduVillage, "CQ-0003", 2);
        var household = (await CreateAsync(Lidu, "CQ-0003")).HouseholdOrder;
        var single = (await _p.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = members[0].ResidentId, CoverageYear = 2024,
            Channel = PaymentChannel.WechatPay,
        })).Order;
        await ConfirmAsync(Lidu, single.OrderId, "wx-alone", single.PersonalAmountFen);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ConfirmAsync(Lidu, household.HouseholdOrderId, "pos-cq-3", household.TotalPersonalAmountFen));

        Assert.Equal("DUPLICATE_PAYMENT", RpcErrors.ReasonOf(error));
        var after = (await _p.Client(Lidu).GetHouseholdPaymentOrderAsync(new GetHouseholdPaymentOrderRequest
        {
            HouseholdOrderId = household.HouseholdOrderId,
        })).HouseholdOrder;
        Assert.Equal(OrderState.Cancelled, after.State);
        Assert.All(after.MemberOrders, o => Assert.Equal(OrderState.Cancelled, o.State));
        Assert.Single(await _p.ContributionPaidEventsAsync());
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM payment_collection.payment_reviews WHERE reason = 'DUPLICATE_PAYMENT'"));
    }
}
