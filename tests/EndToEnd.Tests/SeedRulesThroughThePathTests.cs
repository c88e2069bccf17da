using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// The seeds' rules as a clerk meets them in the running demo city, through the gateway with each tenant's own
/// credential: registry facts in, an order out priced by them. The platform's clock stands at the campaign day,
/// 20 November 2023 (Beijing).
/// </summary>
[Collection("platform processes")]
public sealed class SeedRulesThroughThePathTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    private static readonly DateOnly CampaignDay = DateOnly.FromDateTime(RunningPlatform.CampaignDay.DateTime);

    [Fact]
    public async Task LiduUniversityStudent_RegisteredThroughTheApi_PaysTheStudentsStandard()
    {
        // seed 000 三（二）: 在渝高校大学生 pay 350 yuan at the first tier (725 at the second), not the residents' 380.
        var lidu = Clients("demo-lidu-key");
        var student = await RegisterAsync(lidu, "500102", new DateOnly(2004, 3, 9), "e2e-lidu-student", "陈思雨");
        await lidu.Identity.SetPersonGroupAsync(new SetPersonGroupRequest
        {
            RequestId = "e2e-lidu-student-group",
            ResidentId = student.ResidentId,
            Membership = new PersonGroupMembership
            {
                PersonGroup = "university-student", School = "重庆大学", EvidenceReference = "学籍证明 2023-118",
            },
        });

        var order = (await lidu.Payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "e2e-lidu-student-order", ResidentId = student.ResidentId, CoverageYear = 2024, Tier = 1,
            Channel = PaymentChannel.WechatPay,
        })).Order;

        Assert.Equal(35000, order.PersonalAmountFen);
        Assert.Equal(new DateOnly(2024, 1, 1), order.BenefitStartDate.ToDateOnly());
    }

    [Fact]
    public async Task GaoyangHousehold_OneMemberDeceased_HouseholdOrderTakesTheOthersAndASingleOrderWaitsForTheBooklet()
    {
        // seed 004 一（三）1: 同一户口簿内符合参保条件的家庭成员应当同时参保 — a deceased member is not eligible.
        var gaoyang = Clients("demo-gaoyang-key");
        var village = await VillageAsync(gaoyang);
        const string booklet = "E2E-GY-0001";
        await gaoyang.Identity.RecordHouseholdAsync(new RecordHouseholdRequest
        {
            RequestId = "e2e-gy-booklet", HouseholdNumber = booklet, VillageCode = village, BookletMemberCount = 3,
        });
        var head = await RegisterAsync(gaoyang, "130628", new DateOnly(1968, 4, 2), "e2e-gy-head", "赵建国", booklet,
            HouseholdRelationship.Head, village);
        var spouse = await RegisterAsync(gaoyang, "130628", new DateOnly(1970, 8, 15), "e2e-gy-spouse", "刘桂兰", booklet,
            HouseholdRelationship.Spouse, village);
        var mother = await RegisterAsync(gaoyang, "130628", new DateOnly(1938, 1, 20), "e2e-gy-mother", "赵王氏", booklet,
            HouseholdRelationship.Parent, village);

        // While the spouse and the mother are neither enrolled nor paid for, the head alone cannot pay.
        var single = await Assert.ThrowsAsync<RpcException>(() => gaoyang.Payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "e2e-gy-head-alone", ResidentId = head.ResidentId, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, single.StatusCode);
        Assert.Equal("HOUSEHOLD_INCOMPLETE", ReasonOf(single));
        Assert.Contains("刘桂兰", single.Status.Detail + string.Join(" ", Details(single)));

        await gaoyang.Identity.RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = "e2e-gy-mother-death", ResidentId = mother.ResidentId, Kind = Identity.V1.LifeEventKind.Death,
            OccurredDate = CampaignDay.AddDays(-10).ToProtoDate(), EvidenceReference = "死亡证明 GY-2023-0042",
        });
        var household = (await gaoyang.Payments.CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
        {
            RequestId = "e2e-gy-household", HouseholdNumber = booklet, CoverageYear = 2024, Channel = PaymentChannel.WechatPay,
        })).HouseholdOrder;

        var paidFor = household.MemberOrders.Select(o => o.ResidentId).Order().ToArray();
        Assert.Equal(new[] { head.ResidentId, spouse.ResidentId }.Order().ToArray(), paidFor);
    }

    [Theory]
    [InlineData("demo-lidu-key", "500102")]
    [InlineData("demo-linjiang-key", "500118")]
    [InlineData("demo-gaoyang-key", "130628")]
    [InlineData("demo-meishan-dongpo-key", "511402")]
    public async Task IdentityImport_DibaoListOfEachTenant_Certified(string apiKey, string region)
    {
        var clients = Clients(apiKey);
        var nationalId = NationalIds.Make(region, new DateOnly(1959, 6, 1), 733);
        await RegisterAsync(clients, nationalId, $"e2e-import-{region}", "孙立平");

        var result = (await clients.Identity.ImportIdentitiesCsvAsync(new ImportIdentitiesCsvRequest
        {
            RequestId = $"e2e-import-list-{region}",
            Source = "民政局低保名单",
            CsvText = "national_id,local_code,category,department,valid_from,valid_to\n" +
                      $"{nationalId},,dibao,civil_affairs,2023-01-01,2024-12-31\n",
        })).Result;

        Assert.Equal(0, result.RejectedCount);
        Assert.Equal(1, result.CertifiedCount);
    }

    [Theory]
    [InlineData("demo-lidu-key", "500102")]
    [InlineData("demo-linjiang-key", "500118")]
    [InlineData("demo-gaoyang-key", "130628")]
    [InlineData("demo-meishan-dongpo-key", "511402")]
    public async Task Ledger_LastYearsRosterImported_EnrolledLastYearNotThisYearListsHer(string apiKey, string region)
    {
        // The bureaus work first from last year's list (seed 003's ledgers; 002 and 004 target "not below last year").
        var clients = Clients(apiKey);
        var nationalId = NationalIds.Make(region, new DateOnly(1966, 10, 12), 655);
        var resident = await RegisterAsync(clients, nationalId, $"e2e-roster-{region}", "何春梅");

        var imported = await clients.Identity.ImportPriorEnrolmentsAsync(new ImportPriorEnrolmentsRequest
        {
            RequestId = $"e2e-roster-import-{region}",
            Rows = { new PriorEnrolmentRow { NationalId = nationalId, CoverageYear = 2023, Tier = 1, PaidAmountFen = 35000 } },
        });
        var ledger = await clients.Identity.ListLedgerAsync(new ListLedgerRequest
        {
            Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = 2024, VillageCode = resident.VillageCode, PageSize = 100,
        });

        Assert.Equal(1, imported.Imported);
        Assert.Empty(imported.Problems);
        Assert.Contains(ledger.Entries, e => e.ResidentId == resident.ResidentId);
    }

    private sealed record TenantClients(
        IdentityRegistryService.IdentityRegistryServiceClient Identity,
        PaymentCollectionService.PaymentCollectionServiceClient Payments,
        ContributionCalculationService.ContributionCalculationServiceClient Contributions);

    private TenantClients Clients(string apiKey)
    {
        var channel = platform.GatewayChannel(apiKey);
        return new(new(channel), new(channel), new(channel));
    }

    private static async Task<string> VillageAsync(TenantClients clients) =>
        (await clients.Identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
        .Divisions.First(d => d.Level == DivisionLevel.Village).Code;

    private static Task<Resident> RegisterAsync(TenantClients clients, string region, DateOnly birth, string requestId, string name,
        string household = "", HouseholdRelationship relationship = HouseholdRelationship.Unspecified, string? village = null) =>
        RegisterAsync(clients, NationalIds.Make(region, birth, 400 + Math.Abs(requestId.GetHashCode() % 500)), requestId, name,
            household, relationship, village);

    private static async Task<Resident> RegisterAsync(TenantClients clients, string nationalId, string requestId, string name,
        string household = "", HouseholdRelationship relationship = HouseholdRelationship.Unspecified, string? village = null) =>
        (await clients.Identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = requestId,
            NationalId = nationalId,
            Name = name,
            VillageCode = village ?? await VillageAsync(clients),
            HouseholdNumber = household,
            Relationship = relationship,
            RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;

    private static string? ReasonOf(RpcException ex) => ex.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason;

    /// <summary>Every string a clerk could read in the error's details (localized message, metadata, violations).</summary>
    private static IEnumerable<string> Details(RpcException ex) =>
        ex.GetRpcStatus()?.Details.Select(d => d.ToString()) ?? [];
}

/// <summary>The platform in spring 2024 (Meishan's mid-year period), when a 2024 newborn can pay for her first year.</summary>
public sealed class SpringPlatform : IAsyncLifetime
{
    public static readonly DateTimeOffset Day = new(2024, 3, 15, 10, 0, 0, TimeSpan.FromHours(8));

    public RunningPlatform Platform { get; } = new() { ClockStart = Day };

    public Task InitializeAsync() => Platform.InitializeAsync();

    public Task DisposeAsync() => Platform.DisposeAsync();
}

[Collection("platform processes")]
public sealed class MeishanNewbornThroughThePathTests(SpringPlatform spring) : IClassFixture<SpringPlatform>
{
    [Fact]
    public async Task MeishanNewborn_PaysWithinNinetyDays_CoveredFromHerBirthDate()
    {
        // seed 003 二（二）4: 新生儿出生一年内可随时办理参保缴费。在出生90天（含）内缴费的从出生之日起享受医保待遇.
        var channel = spring.Platform.GatewayChannel("demo-meishan-dongpo-key");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(channel);
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(channel);
        var village = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.First(d => d.Level == DivisionLevel.Village).Code;
        var birth = DateOnly.FromDateTime(SpringPlatform.Day.DateTime).AddDays(-40);
        var baby = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "e2e-meishan-newborn", NationalId = NationalIds.Make("511402", birth, 612), Name = "苏小满",
            VillageCode = village, RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;

        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "e2e-meishan-newborn-order", ResidentId = baby.ResidentId, CoverageYear = 2024,
            Channel = PaymentChannel.Alipay,
        })).Order;

        Assert.Equal(birth, order.BenefitStartDate.ToDateOnly());
        Assert.Equal(38000, order.PersonalAmountFen);
    }
}
