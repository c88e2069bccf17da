using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.PaymentCollection.Refunds;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// Each seed rule issue 16 lists, paid through the path: register (real identity-registry) → facts → order → confirm.
/// Facts the registry of this version cannot record yet (person group, disability grade, life event kinds 11–13) come
/// through <see cref="FactsIdentityRegistry"/>; everything else is the real registry and contribution-calculation.
/// </summary>
public sealed class RegistryFactsPaymentPathTests : IAsyncLifetime
{
    private const string Gaoyang = "he-gaoyang";
    private const string GaoyangVillage = "130628901001";
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private const string Dongpo = "sc-meishan-dongpo";
    private const string DongpoVillage = "511402901201";
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync(registryFacts: true);

    public async Task DisposeAsync() => await _p.DisposeAsync();

    /// <summary>Sets the clock to 10:00 Asia/Shanghai on <paramref name="day"/>.</summary>
    private void PayOn(DateOnly day) => _p.Clock.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(2, 0)), TimeSpan.Zero));

    private async Task<Payment.V1.PaymentOrder> OrderAsync(string tenant, string residentId, int tier = 0) =>
        (await _p.Client(tenant).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, Tier = tier,
            Channel = PaymentChannel.WechatPay,
        })).Order;

    private async Task<Payment.V1.PaymentOrder> PayAsync(string tenant, string residentId, int tier = 0)
    {
        var order = await OrderAsync(tenant, residentId, tier);
        var paid = (await _p.Client(tenant).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "wx-" + Guid.NewGuid().ToString("N"), AmountFen = order.PersonalAmountFen,
        })).Order;
        Assert.Equal(OrderState.Paid, paid.State);
        return paid;
    }

    private static Identity.V1.LifeEvent Event(LifeEventKind kind, DateOnly day) => new()
    {
        LifeEventId = Guid.NewGuid().ToString(), Kind = kind, OccurredDate = day.ToProtoDate(),
    };

    private Task RecordLifeEventAsync(string tenant, string residentId, LifeEventKind kind, DateOnly day) =>
        _p.Registry(tenant).RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, Kind = kind, OccurredDate = day.ToProtoDate(),
            EvidenceReference = "证明 2024-0001",
        }).ResponseAsync;

    [Fact]
    public async Task PayThroughThePath_LiduUniversityStudent_Pays350InTier1And725InTier2()
    {
        // Seed 000 三（二）: 在渝高校大学生…个人缴费标准为一档350元/人·年、二档725元/人·年; 待遇享受时间为次年1月1日至12月31日.
        PayOn(new DateOnly(2023, 11, 20));
        var student = await _p.RegisterResidentAsync(Lidu, LiduVillage, new DateOnly(2004, 3, 1));
        var graduate = await _p.RegisterResidentAsync(Lidu, LiduVillage, new DateOnly(2000, 3, 1));
        foreach (var id in new[] { student, graduate })
            _p.Facts.Set(id, new PersonGroupMembership { PersonGroup = "university-student", School = "长江师范学院" });

        var tier1 = await PayAsync(Lidu, student, tier: 1);
        var tier2 = await PayAsync(Lidu, graduate, tier: 2);

        Assert.Equal(35000, tier1.PersonalAmountFen);
        Assert.Equal(72500, tier2.PersonalAmountFen);
        Assert.Equal(new DateOnly(2024, 1, 1), tier1.BenefitStartDate.ToDateOnly());
        Assert.Equal(new DateOnly(2024, 12, 31), tier1.BenefitEndDate.ToDateOnly());
    }

    [Fact]
    public async Task PayThroughThePath_MeishanNewbornWithin90Days_CoveredFromBirth()
    {
        // Seed 003 二（二）4: 在出生90天（含）内缴费的从出生之日起享受医保待遇. Born 1 April, paid 20 May (49 days).
        PayOn(new DateOnly(2024, 5, 20));
        var baby = await _p.RegisterResidentAsync(Dongpo, DongpoVillage, new DateOnly(2024, 4, 1));

        var paid = await PayAsync(Dongpo, baby);

        Assert.Equal(38000, paid.PersonalAmountFen);
        Assert.Equal(new DateOnly(2024, 4, 1), paid.BenefitStartDate.ToDateOnly());
        Assert.Equal(new DateOnly(2024, 12, 31), paid.BenefitEndDate.ToDateOnly());
    }

    [Fact]
    public async Task PayThroughThePath_MeishanNewbornAfter90Days_CoveredFromTheDayAfterPayment()
    {
        // Seed 003 二（二）4: 在出生90天后缴费的从缴费次日起享受医保待遇. Born 10 January, paid 20 May (131 days).
        PayOn(new DateOnly(2024, 5, 20));
        var baby = await _p.RegisterResidentAsync(Dongpo, DongpoVillage, new DateOnly(2024, 1, 10));

        var paid = await PayAsync(Dongpo, baby);

        Assert.Equal(new DateOnly(2024, 5, 21), paid.BenefitStartDate.ToDateOnly());
    }

    [Theory]
    [InlineData(LifeEventKind.TransferIn)]
    [InlineData(LifeEventKind.NewHousehold)]
    [InlineData(LifeEventKind.Release)]
    [InlineData(LifeEventKind.Discharge)]
    public async Task PayThroughThePath_MeishanTransferReleaseDischarge_CoveredFromTheDayAfterPayment(LifeEventKind kind)
    {
        // Seed 003 二（二）3: 新调入人员、户籍新迁入人员、刑满释放人员和退役（复员）军人等可随时办理参保缴费，从缴费次日起享受医保
        // 待遇 — not from the 4th month as an ordinary mid-year payment (二（二）2 would start 1 August).
        PayOn(new DateOnly(2024, 5, 20));
        var resident = await _p.RegisterResidentAsync(Dongpo, DongpoVillage, new DateOnly(1985, 6, 1));
        _p.Facts.Set(resident, lifeEvents: [Event(kind, new DateOnly(2024, 5, 10))]);

        var paid = await PayAsync(Dongpo, resident);

        Assert.Equal(38000, paid.PersonalAmountFen);
        Assert.Equal(new DateOnly(2024, 5, 21), paid.BenefitStartDate.ToDateOnly());
    }

    [Fact]
    public async Task PayThroughThePath_MeishanEmployeeInsuranceLapsedWithin3Months_CoveredFromTheLapse()
    {
        // Seed 003 二（二）2: 曾参加职工基本医保中断缴费3个月内参加城乡居民基本医保的普通居民，从缴费之日起享受医保待遇，中断
        // 期间待遇可追溯享受: ended 15 April, paid 20 May — covered back to the lapse.
        PayOn(new DateOnly(2024, 5, 20));
        var resident = await _p.RegisterResidentAsync(Dongpo, DongpoVillage, new DateOnly(1985, 6, 1));
        _p.Facts.Set(resident, lifeEvents: [Event(LifeEventKind.EmployeeInsuranceEnded, new DateOnly(2024, 4, 15))]);
        var ordinary = await _p.RegisterResidentAsync(Dongpo, DongpoVillage, new DateOnly(1985, 6, 2));

        var paid = await PayAsync(Dongpo, resident);
        var ordinaryPaid = await PayAsync(Dongpo, ordinary);

        Assert.Equal(new DateOnly(2024, 4, 15), paid.BenefitStartDate.ToDateOnly());
        // 二（二）2: the ordinary mid-year payer from the 4th month counting the payment month.
        Assert.Equal(new DateOnly(2024, 8, 1), ordinaryPaid.BenefitStartDate.ToDateOnly());
    }

    [Fact]
    public async Task PayThroughThePath_MeishanLowIncomeGrade3Disabled_Pays95()
    {
        // Seed 003 三（三）2(3): 申请且认定的低收入家庭…三、四级残疾人…个人缴纳25%，即95元/人·年; a low-income adult with no
        // grade gets no subsidy and pays 380.
        PayOn(new DateOnly(2023, 11, 20));
        var (disabled, disabledId) = await _p.RegisterResidentWithIdAsync(Dongpo, DongpoVillage, new DateOnly(1980, 5, 1));
        var (adult, adultId) = await _p.RegisterResidentWithIdAsync(Dongpo, DongpoVillage, new DateOnly(1981, 5, 1));
        await _p.CertifyAsync(Dongpo, disabledId, "2305", "民政");
        await _p.CertifyAsync(Dongpo, adultId, "2305", "民政");
        _p.Facts.Set(disabled, disabilityGrade: 3);

        var paid = await PayAsync(Dongpo, disabled);
        var adultPaid = await PayAsync(Dongpo, adult);

        Assert.Equal(9500, paid.PersonalAmountFen);
        Assert.Equal(28500, paid.SubsidyAmountFen);
        Assert.Equal(38000, adultPaid.PersonalAmountFen);
    }

    [Fact]
    public async Task PayThroughThePath_GaoyangNewbornWithin180Days_CoveredFromBirth()
    {
        // Seed 004 二（五）2: 新生儿出生180天内…完成缴费，自出生之日所发生的医疗费用均可纳入医保报销. Born 10 March, paid 20 May.
        PayOn(new DateOnly(2024, 5, 20));
        var baby = await _p.RegisterResidentAsync(Gaoyang, GaoyangVillage, new DateOnly(2024, 3, 10));

        var paid = await PayAsync(Gaoyang, baby);

        Assert.Equal(38000, paid.PersonalAmountFen);
        Assert.Equal(new DateOnly(2024, 3, 10), paid.BenefitStartDate.ToDateOnly());
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_GaoyangMemberDeceased_PaysForTheOthersWithoutHer()
    {
        // Seed 004 一（三）1: 同一户口簿内符合参保条件的家庭成员应当同时参保 — a deceased member is not one of them.
        PayOn(new DateOnly(2023, 11, 20));
        var members = await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-1601", 3);
        await RecordLifeEventAsync(Gaoyang, members[2].ResidentId, LifeEventKind.Death, new DateOnly(2023, 11, 2));

        var household = (await _p.Client(Gaoyang).CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(), HouseholdNumber = "HB-1601", CoverageYear = 2024,
            Channel = PaymentChannel.VillagePos,
        })).HouseholdOrder;
        var paid = (await _p.Client(Gaoyang).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = household.HouseholdOrderId, ChannelTransactionId = "pos-1601", AmountFen = 76000,
        })).HouseholdOrder;

        Assert.Equal(members.Take(2).Select(m => m.ResidentId).Order(), household.MemberOrders.Select(o => o.ResidentId).Order());
        Assert.Equal(76000, household.TotalPersonalAmountFen);
        Assert.Equal(OrderState.Paid, paid.State);
    }

    [Fact]
    public async Task CreatePaymentOrder_GaoyangMemberAloneWhileBookletUnpaid_HouseholdIncompleteNamingTheOtherForAClerk()
    {
        // Seed 004 一（三）1: 不能选择性参保 — her order alone is refused while her husband, expected to enrol, has not paid.
        PayOn(new DateOnly(2023, 11, 20));
        var members = await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-1602", 2);
        var other = (await _p.Registry(Gaoyang).GetResidentAsync(new GetResidentRequest { ResidentId = members[1].ResidentId }))
            .Resident;

        var error = await Assert.ThrowsAsync<RpcException>(() => OrderAsync(Gaoyang, members[0].ResidentId));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("HOUSEHOLD_INCOMPLETE", RpcErrors.ReasonOf(error));
        var info = error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>();
        Assert.Equal(members[1].ResidentId, info.Metadata["resident_ids"]);
        // Full name and the masked ID number, as a clerk of the tenant needs them; never the whole number.
        Assert.Contains(other.Name, error.Status.Detail);
        Assert.Contains(other.NationalId, info.Metadata["missing_members"]);
        Assert.Contains("*", other.NationalId);
        Assert.DoesNotContain(members[1].NationalId, error.Status.Detail);
        Assert.Equal(0L, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_orders"));
    }

    [Fact]
    public async Task CreatePaymentOrder_GaoyangOtherMemberEnlistedThenDischarged_EachPaysAloneOnceTheOtherIsExemptOrPaid()
    {
        // Seed 004 一（三）1 asks members 符合参保条件 to enrol together: one serving in the army is exempt (the registry
        // suspends her), so her husband pays alone; once discharged she pays alone too, as he is paid here already.
        PayOn(new DateOnly(2023, 11, 20));
        var members = await _p.RegisterHouseholdAsync(Gaoyang, GaoyangVillage, "HB-1603", 2);
        await RecordLifeEventAsync(Gaoyang, members[1].ResidentId, LifeEventKind.Army, new DateOnly(2023, 9, 1));

        var husband = await PayAsync(Gaoyang, members[0].ResidentId);
        await RecordLifeEventAsync(Gaoyang, members[1].ResidentId, LifeEventKind.Discharge, new DateOnly(2023, 11, 15));
        var wife = await PayAsync(Gaoyang, members[1].ResidentId);

        Assert.Equal(38000, husband.PersonalAmountFen);
        Assert.Equal(38000, wife.PersonalAmountFen);
    }

    [Fact]
    public async Task RequestRefund_DifferentialPendingReturnsAllShePaid_FullRefundOfNothingStillEndsTheEnrolment()
    {
        // Seed 004 二（五）3: certified 特困 after paying 380 as ordinary, the differential refund returns all 380 (特困
        // 全额资助, 二（三）); while it is pending she enlists (因…服役…暂停参保关系): the full refund moves no money more,
        // but her enrolment ends.
        PayOn(new DateOnly(2023, 11, 20));
        var (residentId, nationalId) = await _p.RegisterResidentWithIdAsync(Gaoyang, GaoyangVillage, new DateOnly(1990, 1, 1));
        var order = await PayAsync(Gaoyang, residentId);
        PayOn(new DateOnly(2023, 12, 1));
        await _p.CertifyAsync(Gaoyang, nationalId, "tekun", "民政", validFrom: "2023-12-01");
        await _p.DeliverRegistryEventsAsync<IdentityCertified>(EventTopics.IdentityCertified);
        var differential = Assert.Single((await _p.Client(Gaoyang).ListRefundsAsync(
            new ListRefundsRequest { OrderId = order.OrderId })).Refunds);
        Assert.Equal(38000, differential.AmountFen);
        Assert.Equal(Payment.V1.RefundState.Requested, differential.State);

        var full = await _p.Client(Gaoyang).RequestRefundAsync(new RequestRefundRequest
        {
            RequestId = Guid.NewGuid().ToString(), OrderId = order.OrderId, Reason = "army", EvidenceReference = "入伍通知书 2023-77",
        });

        Assert.Equal(Payment.V1.RefundKind.Full, full.Refund.Kind);
        Assert.Equal(0, full.Refund.AmountFen);
        Assert.Equal(OrderState.RefundRequested, full.Order.State);
        Assert.Equal(0, Assert.Single(await _p.OutboxEventsAsync<ContributionRefundRequested>(
            EventTopics.ContributionRefundRequested)).AmountFen);
    }

    [Fact]
    public async Task RequestRefund_AfterDifferentialRefund_ExplanationStatesTheMoneyRefunded()
    {
        // Seed 004 二（五）3: 342 yuan went back for 低保; the death refund returns the 38 yuan left, and says so.
        PayOn(new DateOnly(2023, 11, 20));
        var (residentId, nationalId) = await _p.RegisterResidentWithIdAsync(Gaoyang, GaoyangVillage, new DateOnly(1990, 1, 1));
        var order = await PayAsync(Gaoyang, residentId);
        PayOn(new DateOnly(2023, 12, 1));
        await _p.CertifyAsync(Gaoyang, nationalId, "dibao", "民政", validFrom: "2023-12-01");
        await _p.DeliverRegistryEventsAsync<IdentityCertified>(EventTopics.IdentityCertified);

        var full = (await _p.Client(Gaoyang).RequestRefundAsync(new RequestRefundRequest
        {
            RequestId = Guid.NewGuid().ToString(), OrderId = order.OrderId, Reason = "death", EvidenceReference = "死亡证明 2023-9",
        })).Refund;

        Assert.Equal(3800, full.AmountFen);
        Assert.Contains("38.00元", full.Explanation);
        Assert.DoesNotContain("380元", full.Explanation);
    }

    [Fact]
    public void EventDateOf_DeathRecordedBeforeTheRequest_TheDayOfDeathNotTheDayAsked()
    {
        // Seed 004 二（五）3 "在相应待遇享受期未开始前，因死亡…": a death on 28 December reported on 5 January is judged on
        // 28 December; a reason that is no life event ("duplicate") leaves the day asked.
        var resident = new Resident
        {
            LifeEvents =
            {
                Event(LifeEventKind.Army, new DateOnly(2023, 3, 1)),
                Event(LifeEventKind.Death, new DateOnly(2023, 12, 28)),
                Event(LifeEventKind.Death, new DateOnly(2024, 2, 1)),
            },
        };

        Assert.Equal(new DateOnly(2023, 12, 28), RefundDesk.EventDateOf(resident, "death", new DateOnly(2024, 1, 5)));
        Assert.Equal(new DateOnly(2023, 3, 1), RefundDesk.EventDateOf(resident, "army", new DateOnly(2024, 1, 5)));
        Assert.Null(RefundDesk.EventDateOf(resident, "prison", new DateOnly(2024, 1, 5)));
        Assert.Null(RefundDesk.EventDateOf(resident, "duplicate", new DateOnly(2024, 1, 5)));
    }
}
