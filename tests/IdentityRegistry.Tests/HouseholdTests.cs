using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

public sealed class HouseholdTests : IAsyncLifetime
{
    // Demo city: a Gaoyang village under 庞口镇 (Gaoyang enrols booklets together, seed 004 二（五）1).
    private const string Gaoyang = "he-gaoyang";
    private const string Village = "130628902201";
    private const string Booklet = "HK-130628-0007";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "identity-registry", services: s => s.AddSingleton<TimeProvider>(_time));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client => new(_host.Channel(Gaoyang));

    private static string Id(int sequence, int year) => TestIds.Make("130628", new DateOnly(year, 2, 3), sequence);

    private async Task<string> RegisterAsync(string nationalId, HouseholdRelationship relationship, string booklet = Booklet) =>
        (await Client.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(), NationalId = nationalId, Name = "赵六", VillageCode = Village,
            HouseholdNumber = booklet, Relationship = relationship,
        })).Resident.ResidentId;

    private Task RecordBookletAsync(int members) =>
        Client.RecordHouseholdAsync(new RecordHouseholdRequest
        {
            RequestId = Guid.NewGuid().ToString(), HouseholdNumber = Booklet, VillageCode = Village, BookletMemberCount = members,
        }).ResponseAsync;

    private async Task EnrolAsync(string residentId, int year)
    {
        using var http = _host.CreateClient();
        await CloudEventPoster.DeliverAsync(http, "contribution.paid", Gaoyang, new ContributionPaid
        {
            TenantId = Gaoyang, ResidentId = residentId, OrderId = $"order-{year}-{residentId}", CoverageYear = year, PersonalAmountFen = 38000,
        });
    }

    private async Task<Household> GetAsync(int year = 2024) =>
        (await Client.GetHouseholdAsync(new GetHouseholdRequest { HouseholdNumber = Booklet, CoverageYear = year })).Household;

    [Fact]
    public async Task GetHousehold_AllListedMembersRegisteredAndEnrolled_Complete()
    {
        await RecordBookletAsync(3);
        var head = await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);
        var spouse = await RegisterAsync(Id(102, 1972), HouseholdRelationship.Spouse);
        var child = await RegisterAsync(Id(103, 2001), HouseholdRelationship.Child);
        foreach (var member in new[] { head, spouse, child }) await EnrolAsync(member, 2024);

        var household = await GetAsync();

        Assert.True(household.Complete);
        Assert.Empty(household.Problems);
        Assert.Equal(head, household.HeadResidentId);
        Assert.Equal(head, household.Members[0].Resident.ResidentId);
        Assert.All(household.Members, m => Assert.Equal(EnrolmentStatus.Enrolled, m.EnrolmentStatus));
        Assert.Equal([HouseholdRelationship.Head, HouseholdRelationship.Spouse, HouseholdRelationship.Child],
            household.Members.Select(m => m.Relationship));
        Assert.Contains("*", household.Members[0].Resident.NationalId);
    }

    [Fact]
    public async Task GetHousehold_OneListedMemberUnregisteredAndOneNotEnrolled_IncompleteWithBothProblems()
    {
        await RecordBookletAsync(3);
        var head = await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);
        await RegisterAsync(Id(102, 1972), HouseholdRelationship.Spouse);
        await EnrolAsync(head, 2024);

        var household = await GetAsync();

        Assert.False(household.Complete);
        Assert.Equal([HouseholdProblem.MembersUnregistered, HouseholdProblem.MembersNotEnrolled], household.Problems);
    }

    [Fact]
    public async Task GetHousehold_UnenrolledMemberInPrison_CompleteUntilHerRelease()
    {
        // Seed 004 二（五）3: prison suspends her insurance, so the booklet's other members enrol without her.
        await RecordBookletAsync(2);
        var head = await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);
        var son = await RegisterAsync(Id(103, 1995), HouseholdRelationship.Child);
        await EnrolAsync(head, 2024);
        await RecordLifeEventAsync(son, Medins.Identity.V1.LifeEventKind.Prison, new DateOnly(2023, 5, 4));

        var whileInPrison = await GetAsync();
        await RecordLifeEventAsync(son, Medins.Identity.V1.LifeEventKind.Release, new DateOnly(2023, 11, 10));
        var afterRelease = await GetAsync();

        Assert.True(whileInPrison.Complete);
        Assert.Equal(EnrolmentStatus.NotEnrolled, whileInPrison.Members.Single(m => m.Resident.ResidentId == son).EnrolmentStatus);
        Assert.Equal([HouseholdProblem.MembersNotEnrolled], afterRelease.Problems);
    }

    [Fact]
    public async Task GetHousehold_DeceasedArmyEmployeeInsuredAndInsuredElsewhereNotEnrolled_CompleteAndEachSaysWhy()
    {
        // Seed 004 二（五）1: 同一户口簿内符合参保条件的家庭成员应当同时参保 — only members expected to enrol count; a
        // deceased one (deregistered) and one serving in the army, with employee insurance or insured in another region
        // (suspended, seed 004 二（五）3) never make the booklet incomplete.
        await RecordBookletAsync(5);
        var head = await RegisterAsync(Id(101, 1960), HouseholdRelationship.Head);
        var widow = await RegisterAsync(Id(102, 1935), HouseholdRelationship.Parent);
        var soldier = await RegisterAsync(Id(103, 2000), HouseholdRelationship.Child);
        var worker = await RegisterAsync(Id(105, 1990), HouseholdRelationship.Child);
        var elsewhere = await RegisterAsync(Id(107, 1992), HouseholdRelationship.Child);
        await EnrolAsync(head, 2024);
        await RecordLifeEventAsync(widow, Medins.Identity.V1.LifeEventKind.Death, new DateOnly(2023, 10, 2));
        await RecordLifeEventAsync(soldier, Medins.Identity.V1.LifeEventKind.Army, new DateOnly(2023, 9, 1));
        await RecordLifeEventAsync(worker, Medins.Identity.V1.LifeEventKind.EmployeeInsurance, new DateOnly(2023, 3, 1));
        await RecordLifeEventAsync(elsewhere, Medins.Identity.V1.LifeEventKind.InsuredElsewhere, new DateOnly(2023, 1, 1));

        var household = await GetAsync();

        Assert.True(household.Complete);
        Assert.Empty(household.Problems);
        Assert.Equal(new Google.Type.Date { Year = 2023, Month = 10, Day = 2 }, Member(household, widow).Resident.DeregisteredDate);
        Assert.Equal(Medins.Identity.V1.LifeEventKind.Army, Member(household, soldier).Resident.SuspensionReason);
        Assert.Equal(Medins.Identity.V1.LifeEventKind.EmployeeInsurance, Member(household, worker).Resident.SuspensionReason);
        Assert.Equal(Medins.Identity.V1.LifeEventKind.InsuredElsewhere, Member(household, elsewhere).Resident.SuspensionReason);
        Assert.Null(Member(household, head).Resident.SuspendedDate);
        Assert.Null(Member(household, head).Resident.DeregisteredDate);
    }

    [Fact]
    public async Task GetHousehold_EmployeeInsuranceEnded_MemberExpectedAgainAndBookletIncomplete()
    {
        // Seed 003 二（二）2: once her employee insurance ends she is a resident to insure again.
        await RecordBookletAsync(2);
        var head = await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);
        var worker = await RegisterAsync(Id(103, 1995), HouseholdRelationship.Child);
        await EnrolAsync(head, 2024);
        await RecordLifeEventAsync(worker, Medins.Identity.V1.LifeEventKind.EmployeeInsurance, new DateOnly(2022, 3, 1));
        var whileEmployed = await GetAsync();

        await RecordLifeEventAsync(worker, Medins.Identity.V1.LifeEventKind.EmployeeInsuranceEnded, new DateOnly(2023, 10, 31));
        var afterLapse = await GetAsync();

        Assert.True(whileEmployed.Complete);
        Assert.Equal([HouseholdProblem.MembersNotEnrolled], afterLapse.Problems);
        Assert.Null(Member(afterLapse, worker).Resident.SuspendedDate);
    }

    [Fact]
    public async Task GetHousehold_MemberRefundedAsInsuredTwice_CompleteWithoutHer()
    {
        // Seed 004 二（五）3: paying twice (重复缴费) suspends her enrolment here and refunds it; she is not to be insured
        // here this year, so the booklet is complete without her.
        await RecordBookletAsync(2);
        var head = await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);
        var daughter = await RegisterAsync(Id(102, 1996), HouseholdRelationship.Child);
        await EnrolAsync(head, 2024);
        await EnrolAsync(daughter, 2024);
        using (var http = _host.CreateClient())
            await CloudEventPoster.DeliverAsync(http, "contribution.refund-requested", Gaoyang, new ContributionRefundRequested
            {
                TenantId = Gaoyang, OrderId = $"order-2024-{daughter}", ResidentId = daughter, VillageCode = Village, CoverageYear = 2024,
                RefundId = "refund-1", Reason = "duplicate", AmountFen = 38000,
                RequestTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
            });

        var household = await GetAsync();

        Assert.Equal(EnrolmentStatus.RefundPending, Member(household, daughter).EnrolmentStatus);
        Assert.True(Member(household, daughter).Resident.Enrolments.Single(e => e.CoverageYear == 2024).ExcusedFromEnrolment);
        Assert.True(household.Complete);
    }

    private static HouseholdMember Member(Household household, string residentId) =>
        household.Members.Single(m => m.Resident.ResidentId == residentId);

    private Task RecordLifeEventAsync(string residentId, Medins.Identity.V1.LifeEventKind kind, DateOnly occurred) =>
        Client.RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, Kind = kind, EvidenceReference = "高阳县看守所 2023-017",
            OccurredDate = new Google.Type.Date { Year = occurred.Year, Month = occurred.Month, Day = occurred.Day },
        }).ResponseAsync;

    [Fact]
    public async Task GetHousehold_EnrolledLastYearOnly_NotEnrolledForThisYear()
    {
        await RecordBookletAsync(1);
        var head = await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);
        await EnrolAsync(head, 2023);

        var household = await GetAsync(2024);

        Assert.Equal([HouseholdProblem.MembersNotEnrolled], household.Problems);
        Assert.Equal(EnrolmentStatus.NotEnrolled, household.Members[0].EnrolmentStatus);
    }

    [Fact]
    public async Task GetHousehold_NoBookletFactsNoHead_BookletUnknownAndHeadMissing()
    {
        await RegisterAsync(Id(102, 1972), HouseholdRelationship.Spouse);

        var household = await GetAsync();

        Assert.Equal([HouseholdProblem.BookletUnknown, HouseholdProblem.HeadMissing, HouseholdProblem.MembersNotEnrolled], household.Problems);
        Assert.Equal(0, household.BookletMemberCount);
    }

    [Fact]
    public async Task RegisterResident_SecondHeadOfBooklet_FailedPreconditionHouseholdHasHead()
    {
        await RegisterAsync(Id(101, 1970), HouseholdRelationship.Head);

        var ex = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(Id(102, 1972), HouseholdRelationship.Head));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("HOUSEHOLD_HAS_HEAD", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RegisterResident_RelationshipWithoutBooklet_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(Id(101, 1970), HouseholdRelationship.Head, booklet: ""));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetHousehold_UnknownBooklet_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => GetAsync());

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("HOUSEHOLD_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RecordHousehold_VillageOfAnotherTenant_UnknownVillage()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.RecordHouseholdAsync(new RecordHouseholdRequest
        {
            RequestId = "h-1", HouseholdNumber = Booklet, VillageCode = "500118901201", BookletMemberCount = 2,
        }).ResponseAsync);

        Assert.Equal("UNKNOWN_VILLAGE", RpcErrors.ReasonOf(ex));
    }
}
