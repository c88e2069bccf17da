using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using LifeEventKind = Medins.Identity.V1.LifeEventKind;

namespace Medins.IdentityRegistry.Tests;

/// <summary>Person group, disability grade and the life events with an end or a start of their own (issue 16).</summary>
public sealed class PersonFactsTests : IAsyncLifetime
{
    // Demo city: a Lidu community (seed 000) and a Meishan village (seed 003).
    private const string Lidu = "cq-lidu";
    private const string LiduCommunity = "500102901001";
    private const string Dongpo = "sc-meishan-dongpo";
    private const string DongpoVillage = "511402901201";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private int _sequence = 100;

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

    private IdentityRegistryService.IdentityRegistryServiceClient Client(string tenant = Lidu) => new(_host.Channel(tenant));

    private async Task<string> RegisterAsync(string tenant = Lidu, string village = LiduCommunity, string region = "500102") =>
        (await Client(tenant).RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(), NationalId = TestIds.Make(region, new DateOnly(2004, 3, 7), ++_sequence), Name = "周九",
            VillageCode = village,
        })).Resident.ResidentId;

    private async Task<Resident> GetAsync(string residentId, string tenant = Lidu) =>
        (await Client(tenant).GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident;

    private static SetPersonGroupRequest Student(string residentId, string requestId = "group-1") => new()
    {
        RequestId = requestId, ResidentId = residentId,
        Membership = new PersonGroupMembership
        {
            PersonGroup = "university-student", School = "长江师范学院", AdmissionDate = new Google.Type.Date { Year = 2023, Month = 9, Day = 2 },
            SchoolYearScheme = true, EvidenceReference = "学籍证明 2023-0456",
        },
    };

    private static Google.Type.Date Date(int year, int month, int day) => new() { Year = year, Month = month, Day = day };

    [Fact]
    public async Task SetPersonGroup_UniversityStudent_RoundTripsThroughGetBatchGetAndList()
    {
        // Seed 000 三（二）: a Lidu university student is priced by her group, her school and the school-year scheme.
        var residentId = await RegisterAsync();

        var set = await Client().SetPersonGroupAsync(Student(residentId));
        var got = (await GetAsync(residentId)).PersonGroup;
        var batch = (await Client().BatchGetResidentsAsync(new BatchGetResidentsRequest { ResidentIds = { residentId } }))
            .Residents.Single().PersonGroup;
        var listed = (await Client().ListResidentsAsync(new ListResidentsRequest { VillageCode = LiduCommunity }))
            .Residents.Single(r => r.ResidentId == residentId).PersonGroup;

        foreach (var group in new[] { set.Resident.PersonGroup, got, batch, listed })
        {
            Assert.Equal(("university-student", "长江师范学院", Date(2023, 9, 2), true, "学籍证明 2023-0456"),
                (group.PersonGroup, group.School, group.AdmissionDate, group.SchoolYearScheme, group.EvidenceReference));
            Assert.Equal(_time.GetUtcNow(), group.RecordTime.ToDateTimeOffset());
        }
    }

    [Fact]
    public async Task SetPersonGroup_EmptyGroup_ClearsToDefaultGroup()
    {
        var residentId = await RegisterAsync();
        await Client().SetPersonGroupAsync(Student(residentId));

        await Client().SetPersonGroupAsync(new SetPersonGroupRequest
        {
            RequestId = "group-2", ResidentId = residentId, Membership = new PersonGroupMembership(),
        });

        Assert.Null((await GetAsync(residentId)).PersonGroup);
    }

    [Fact]
    public async Task SetPersonGroup_ReplayedAfterAChange_FirstAnswerAndNoSecondWrite()
    {
        var residentId = await RegisterAsync();
        var first = await Client().SetPersonGroupAsync(Student(residentId, "group-1"));
        await Client().SetPersonGroupAsync(new SetPersonGroupRequest
        {
            RequestId = "group-2", ResidentId = residentId, Membership = new PersonGroupMembership(),
        });

        var replay = await Client().SetPersonGroupAsync(Student(residentId, "group-1"));

        Assert.Equal(first, replay);
        Assert.Null((await GetAsync(residentId)).PersonGroup);
    }

    [Theory]
    [InlineData("University Student")]
    [InlineData("学生")]
    [InlineData("-student")]
    public async Task SetPersonGroup_MalformedGroupId_InvalidArgument(string group)
    {
        var residentId = await RegisterAsync();
        var request = Student(residentId);
        request.Membership.PersonGroup = group;

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().SetPersonGroupAsync(request).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (ex.StatusCode, RpcErrors.ReasonOf(ex)));
        Assert.Contains("membership.person_group", ex.Status.Detail);
    }

    [Fact]
    public async Task SetPersonGroup_SchoolWithoutGroup_InvalidArgument()
    {
        var residentId = await RegisterAsync();
        var request = Student(residentId);
        request.Membership.PersonGroup = "";

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().SetPersonGroupAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task SetPersonGroup_EmptyRequestId_InvalidArgument()
    {
        var request = Student(await RegisterAsync(), requestId: "");

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().SetPersonGroupAsync(request).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (ex.StatusCode, RpcErrors.ReasonOf(ex)));
        Assert.Contains("request_id", ex.Status.Detail);
    }

    [Fact]
    public async Task SetPersonGroup_UnknownResident_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().SetPersonGroupAsync(Student(Guid.NewGuid().ToString())).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, "RESIDENT_NOT_FOUND"), (ex.StatusCode, RpcErrors.ReasonOf(ex)));
    }

    [Fact]
    public async Task SetPersonGroup_ResidentOfAnotherTenant_NotFound()
    {
        var meishan = await RegisterAsync(Dongpo, DongpoVillage, "511402");

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Lidu).SetPersonGroupAsync(Student(meishan)).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task SetDisabilityGrade_Grade3_RoundTripsThroughGetAndBatchGet()
    {
        // Seed 003 三（三）2(3): Meishan prices 三、四级残疾人 of low-income households by the certificate's grade.
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");

        var set = await Client(Dongpo).SetDisabilityGradeAsync(new SetDisabilityGradeRequest
        {
            RequestId = "grade-1", ResidentId = residentId, DisabilityGrade = 3, EvidenceReference = "残疾人证 51140219",
        });
        var batch = await Client(Dongpo).BatchGetResidentsAsync(new BatchGetResidentsRequest { ResidentIds = { residentId } });

        Assert.Equal(3, set.Resident.DisabilityGrade);
        Assert.Equal(3, (await GetAsync(residentId, Dongpo)).DisabilityGrade);
        Assert.Equal(3, batch.Residents.Single().DisabilityGrade);
    }

    [Fact]
    public async Task SetDisabilityGrade_Zero_Clears()
    {
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");
        await Client(Dongpo).SetDisabilityGradeAsync(new SetDisabilityGradeRequest { RequestId = "grade-1", ResidentId = residentId, DisabilityGrade = 4 });

        await Client(Dongpo).SetDisabilityGradeAsync(new SetDisabilityGradeRequest { RequestId = "grade-2", ResidentId = residentId, DisabilityGrade = 0 });

        Assert.Equal(0, (await GetAsync(residentId, Dongpo)).DisabilityGrade);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(-1)]
    public async Task SetDisabilityGrade_OutsideOneToFour_InvalidDisabilityGrade(int grade)
    {
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Dongpo).SetDisabilityGradeAsync(new SetDisabilityGradeRequest
        {
            RequestId = "grade-1", ResidentId = residentId, DisabilityGrade = grade,
        }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_DISABILITY_GRADE"), (ex.StatusCode, RpcErrors.ReasonOf(ex)));
        Assert.Equal(0, (await GetAsync(residentId, Dongpo)).DisabilityGrade);
    }

    [Fact]
    public async Task SetDisabilityGrade_UnknownResidentOrNoRequestId_NotFoundAndInvalidArgument()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client(Dongpo).SetDisabilityGradeAsync(new SetDisabilityGradeRequest
        {
            RequestId = "grade-1", ResidentId = Guid.NewGuid().ToString(), DisabilityGrade = 2,
        }).ResponseAsync);
        var noRequestId = await Assert.ThrowsAsync<RpcException>(() => Client(Dongpo).SetDisabilityGradeAsync(new SetDisabilityGradeRequest
        {
            ResidentId = Guid.NewGuid().ToString(), DisabilityGrade = 2,
        }).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, "RESIDENT_NOT_FOUND"), (unknown.StatusCode, RpcErrors.ReasonOf(unknown)));
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (noRequestId.StatusCode, RpcErrors.ReasonOf(noRequestId)));
    }

    private Task<RecordLifeEventResponse> RecordAsync(string residentId, LifeEventKind kind, Google.Type.Date occurred, string tenant = Dongpo) =>
        Client(tenant).RecordLifeEventAsync(new RecordLifeEventRequest
        {
            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, Kind = kind, OccurredDate = occurred,
            EvidenceReference = "参保证明 2023-77",
        }).ResponseAsync;

    [Fact]
    public async Task RecordLifeEvent_EmployeeInsuranceEnded_EndsTheSuspensionAndKeepsTheLapseDate()
    {
        // Seed 003 二（二）2: 曾参加职工基本医保中断缴费3个月内参加城乡居民基本医保的 — the lapse date must be recorded.
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");
        await RecordAsync(residentId, LifeEventKind.EmployeeInsurance, Date(2022, 7, 1));
        var employed = await GetAsync(residentId, Dongpo);

        await RecordAsync(residentId, LifeEventKind.EmployeeInsuranceEnded, Date(2023, 9, 30));
        var lapsed = await GetAsync(residentId, Dongpo);

        Assert.Equal((Date(2022, 7, 1), LifeEventKind.EmployeeInsurance), (employed.SuspendedDate, employed.SuspensionReason));
        Assert.Null(lapsed.SuspendedDate);
        Assert.Equal(LifeEventKind.Unspecified, lapsed.SuspensionReason);
        Assert.Equal(Date(2023, 9, 30), lapsed.LifeEvents.Single(e => e.Kind == LifeEventKind.EmployeeInsuranceEnded).OccurredDate);
    }

    [Fact]
    public async Task RecordLifeEvent_EmployeeInsuranceEndedThenEmployedAgain_SuspendedFromTheNewDate()
    {
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");
        await RecordAsync(residentId, LifeEventKind.EmployeeInsurance, Date(2021, 7, 1));
        await RecordAsync(residentId, LifeEventKind.EmployeeInsuranceEnded, Date(2022, 6, 30));

        await RecordAsync(residentId, LifeEventKind.EmployeeInsurance, Date(2023, 3, 1));

        var resident = await GetAsync(residentId, Dongpo);
        Assert.Equal((Date(2023, 3, 1), LifeEventKind.EmployeeInsurance), (resident.SuspendedDate, resident.SuspensionReason));
    }

    [Fact]
    public async Task RecordLifeEvent_EmployeeInsuranceEnded_LeavesInsuranceElsewhereStanding()
    {
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");
        await RecordAsync(residentId, LifeEventKind.InsuredElsewhere, Date(2023, 1, 1));

        await RecordAsync(residentId, LifeEventKind.EmployeeInsuranceEnded, Date(2023, 9, 30));

        var resident = await GetAsync(residentId, Dongpo);
        Assert.Equal((Date(2023, 1, 1), LifeEventKind.InsuredElsewhere), (resident.SuspendedDate, resident.SuspensionReason));
    }

    [Theory]
    [InlineData(LifeEventKind.TransferIn)]
    [InlineData(LifeEventKind.NewHousehold)]
    public async Task RecordLifeEvent_TransferInOrNewHousehold_RecordedWithItsDateAndNothingSuspended(LifeEventKind kind)
    {
        // Seed 003 二（二）3: 新调入人员、户籍新迁入人员 … 可随时办理参保缴费 — the event and its date are what the policy needs.
        var residentId = await RegisterAsync(Dongpo, DongpoVillage, "511402");

        await RecordAsync(residentId, kind, Date(2023, 10, 8));

        var resident = await GetAsync(residentId, Dongpo);
        Assert.Equal((kind, Date(2023, 10, 8)), (resident.LifeEvents.Single().Kind, resident.LifeEvents.Single().OccurredDate));
        Assert.Null(resident.SuspendedDate);
        Assert.Null(resident.DeregisteredDate);
    }
}
