using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using EnrolmentStatus = Medins.Identity.V1.EnrolmentStatus;

namespace Medins.IdentityRegistry.Tests;

/// <summary>Last year's enrolled roster as the provincial system hands it to a bureau (issue 16).</summary>
public sealed class PriorEnrolmentTests : IAsyncLifetime
{
    // Demo city: Meishan Dongpo's village; the roster feeds the 上年度参保本年度未参保人员 ledger (seed 003 六（二）).
    private const string Dongpo = "sc-meishan-dongpo";
    private const string Village = "511402901201";

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

    private IdentityRegistryService.IdentityRegistryServiceClient Client(string tenant = Dongpo) => new(_host.Channel(tenant));

    private static string Id(int sequence) => TestIds.Make("511402", new DateOnly(1968, 8, 8), sequence);

    private async Task<string> RegisterAsync(string nationalId) =>
        (await Client().RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(), NationalId = nationalId, Name = "吴十", VillageCode = Village,
        })).Resident.ResidentId;

    private static PriorEnrolmentRow Row(string nationalId, int year = 2023, int tier = 1, long fen = 35000) =>
        new() { NationalId = nationalId, CoverageYear = year, Tier = tier, PaidAmountFen = fen };

    private Task<ImportPriorEnrolmentsResponse> ImportAsync(string requestId, params PriorEnrolmentRow[] rows) =>
        Client().ImportPriorEnrolmentsAsync(new ImportPriorEnrolmentsRequest { RequestId = requestId, Rows = { rows } }).ResponseAsync;

    private async Task<Resident> GetAsync(string residentId) =>
        (await Client().GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident;

    private async Task<List<string>> LapsedAsync() =>
        (await Client().ListLedgerAsync(new ListLedgerRequest { Ledger = Ledger.EnrolledLastYearNotThisYear, CoverageYear = 2024 }))
            .Entries.Select(e => e.ResidentId).ToList();

    [Fact]
    public async Task ImportPriorEnrolments_RegisteredPeople_PaidEnrolmentOfThatYearAndOnTheLapsedLedger()
    {
        var first = await RegisterAsync(Id(101));
        var second = await RegisterAsync(Id(103));

        var response = await ImportAsync("roster-1", Row(Id(101)), Row(Id(103), tier: 2, fen: 0));

        Assert.Equal(2, response.Imported);
        Assert.Empty(response.Problems);
        var enrolment = Assert.Single((await GetAsync(first)).Enrolments);
        Assert.Equal((2023, EnrolmentStatus.Enrolled, 35000L, ""), (enrolment.CoverageYear, enrolment.Status, enrolment.PersonalAmountFen, enrolment.OrderId));
        Assert.Equal(0L, Assert.Single((await GetAsync(second)).Enrolments).PersonalAmountFen);
        Assert.Equal(new[] { first, second }.Order(), (await LapsedAsync()).Order());
    }

    [Fact]
    public async Task ImportPriorEnrolments_EveryKindOfBadRow_ProblemsWithRowNumbersAndReasonsGoodRowsLand()
    {
        var good = await RegisterAsync(Id(101));
        var paid = await RegisterAsync(Id(103));
        using (var http = _host.CreateClient())
            await CloudEventPoster.DeliverAsync(http, "contribution.paid", Dongpo, new ContributionPaid
            {
                TenantId = Dongpo, ResidentId = paid, OrderId = "order-2023-1", CoverageYear = 2023, PersonalAmountFen = 35000,
            });

        var response = await ImportAsync("roster-1",
            Row(Id(101)),                             // 1: good
            Row(Id(105)),                             // 2: nobody registered with it
            Row(Id(101)),                             // 3: the same person and year again
            Row(Id(103)),                             // 4: already enrolled through a paid order
            Row(TestIds.WithWrongCheck(Id(107))),     // 5: not an ID number
            Row(Id(101), year: 2025),                 // 6: a year not yet begun
            Row(Id(101), year: 2022, fen: -1),        // 7: negative amount
            Row(Id(101), year: 2022, tier: 12));      // 8: no such tier

        Assert.Equal(1, response.Imported);
        Assert.Equal(
            [(2, "RESIDENT_NOT_REGISTERED"), (3, "DUPLICATE_ROW"), (4, "ALREADY_ENROLLED"), (5, "INVALID_NATIONAL_ID"),
             (6, "INVALID_COVERAGE_YEAR"), (7, "INVALID_AMOUNT"), (8, "INVALID_TIER")],
            response.Problems.Select(p => (p.RowNumber, p.Reason)));
        Assert.All(response.Problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Message)));
        Assert.Equal("order-2023-1", Assert.Single((await GetAsync(paid)).Enrolments).OrderId);
        Assert.Single((await GetAsync(good)).Enrolments);
    }

    [Fact]
    public async Task ImportPriorEnrolments_ImportedBySecondRequest_AlreadyEnrolled()
    {
        await RegisterAsync(Id(101));
        await ImportAsync("roster-1", Row(Id(101)));

        var again = await ImportAsync("roster-2", Row(Id(101), fen: 1));

        Assert.Equal((0, "ALREADY_ENROLLED"), (again.Imported, Assert.Single(again.Problems).Reason));
    }

    [Fact]
    public async Task ImportPriorEnrolments_Replayed_FirstAnswerAndNothingImportedTwice()
    {
        var residentId = await RegisterAsync(Id(101));
        var first = await ImportAsync("roster-1", Row(Id(101)), Row(Id(105)));

        var replay = await ImportAsync("roster-1", Row(Id(101)), Row(Id(105)));

        Assert.Equal(first, replay);
        Assert.Equal(1, replay.Imported);
        Assert.Single((await GetAsync(residentId)).Enrolments);
    }

    [Fact]
    public async Task ImportPriorEnrolments_NoRequestIdOrNoRows_InvalidArgument()
    {
        var noId = await Assert.ThrowsAsync<RpcException>(() => ImportAsync("", Row(Id(101))));
        var noRows = await Assert.ThrowsAsync<RpcException>(() => ImportAsync("roster-1"));

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (noId.StatusCode, RpcErrors.ReasonOf(noId)));
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (noRows.StatusCode, RpcErrors.ReasonOf(noRows)));
    }

    [Fact]
    public async Task ImportPriorEnrolments_MoreRowsThanTheLimit_TooManyRowsNamingTheLimit()
    {
        var rows = Enumerable.Repeat(Row(Id(101)), Grpc.IdentityRegistryGrpcService.MaxPriorEnrolmentRows + 1).ToArray();

        var ex = await Assert.ThrowsAsync<RpcException>(() => ImportAsync("roster-1", rows));

        Assert.Equal((StatusCode.InvalidArgument, "TOO_MANY_ROWS"), (ex.StatusCode, RpcErrors.ReasonOf(ex)));
        Assert.Contains("50000", ex.Status.Detail);
    }

    [Fact]
    public async Task ImportPriorEnrolments_ThenPaidThisYear_OffTheLapsedLedger()
    {
        var residentId = await RegisterAsync(Id(101));
        await ImportAsync("roster-1", Row(Id(101)));
        using (var http = _host.CreateClient())
            await CloudEventPoster.DeliverAsync(http, "contribution.paid", Dongpo, new ContributionPaid
            {
                TenantId = Dongpo, ResidentId = residentId, OrderId = "order-2024-1", CoverageYear = 2024, PersonalAmountFen = 38000,
            });

        Assert.Empty(await LapsedAsync());
    }

    // Demo city: two of Gaoyang's villages (庞口, 西演), for per-village counts.
    private const string Gaoyang = "he-gaoyang";
    private const string Pangkou = "130628902201";
    private const string Xiyan = "130628903201";

    private static string GaoyangId(int sequence) => TestIds.Make("130628", new DateOnly(1971, 3, 9), sequence);

    private async Task RegisterInGaoyangAsync(string nationalId, string village) =>
        await Client(Gaoyang).RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(), NationalId = nationalId, Name = "郑十一", VillageCode = village,
        });

    private Task<ImportPriorEnrolmentsResponse> ImportInGaoyangAsync(string requestId, params PriorEnrolmentRow[] rows) =>
        Client(Gaoyang).ImportPriorEnrolmentsAsync(new ImportPriorEnrolmentsRequest { RequestId = requestId, Rows = { rows } }).ResponseAsync;

    /// <summary>The prior-enrolment events in the outbox, oldest first.</summary>
    private async Task<List<PriorEnrolmentsImported>> PublishedAsync()
    {
        await using var cmd = _db.Owner.CreateCommand(
            "SELECT payload::text FROM identity_registry.outbox WHERE topic = $1 ORDER BY created_at, event_id");
        cmd.Parameters.Add(new() { Value = EventTopics.PriorEnrolmentsImported });
        var events = new List<PriorEnrolmentsImported>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) events.Add(Google.Protobuf.JsonParser.Default.Parse<PriorEnrolmentsImported>(reader.GetString(0)));
        return events;
    }

    [Fact]
    public async Task ImportPriorEnrolments_PeopleInTwoVillages_OneEventWithTheRowsItAddedPerVillage()
    {
        await RegisterInGaoyangAsync(GaoyangId(101), Pangkou);
        await RegisterInGaoyangAsync(GaoyangId(103), Pangkou);
        await RegisterInGaoyangAsync(GaoyangId(105), Pangkou);
        await RegisterInGaoyangAsync(GaoyangId(107), Xiyan);
        await RegisterInGaoyangAsync(GaoyangId(109), Xiyan);
        // Already on the roster from an earlier request: not added again, so not in this import's counts.
        await ImportInGaoyangAsync("roster-0", Row(GaoyangId(109), fen: 35000));
        var before = await PublishedAsync();

        var response = await ImportInGaoyangAsync("roster-1",
            Row(GaoyangId(101), fen: 35000), Row(GaoyangId(103), fen: 35000), Row(GaoyangId(105), fen: 0),
            Row(GaoyangId(107), fen: 30000), Row(GaoyangId(109), fen: 35000), Row(GaoyangId(111), fen: 35000));

        Assert.Equal(4, response.Imported);
        var evt = Assert.Single((await PublishedAsync()).Except(before));
        Assert.Equal((Gaoyang, 2023), (evt.TenantId, evt.CoverageYear));
        Assert.Equal(
            [(Pangkou, 3L, 2L, 1L, 70000L), (Xiyan, 1L, 1L, 0L, 30000L)],
            evt.Villages.OrderBy(v => v.VillageCode, StringComparer.Ordinal)
                .Select(v => (v.VillageCode, v.EnrolledCount, v.PaidCount, v.ZeroContributionCount, v.CollectedAmountFen)));
    }

    [Fact]
    public async Task ImportPriorEnrolments_TwoYearsInOneRequest_OneEventPerYear()
    {
        await RegisterInGaoyangAsync(GaoyangId(101), Pangkou);

        await ImportInGaoyangAsync("roster-1", Row(GaoyangId(101), year: 2022, fen: 32000), Row(GaoyangId(101), year: 2023, fen: 35000));

        Assert.Equal([(2022, 32000L), (2023, 35000L)],
            (await PublishedAsync()).Select(e => (e.CoverageYear, Assert.Single(e.Villages).CollectedAmountFen)).Order());
    }

    [Fact]
    public async Task ImportPriorEnrolments_Replayed_PublishesNothingAgain()
    {
        await RegisterInGaoyangAsync(GaoyangId(101), Pangkou);
        await ImportInGaoyangAsync("roster-1", Row(GaoyangId(101)));

        await ImportInGaoyangAsync("roster-1", Row(GaoyangId(101)));

        Assert.Equal(1L, Assert.Single(Assert.Single(await PublishedAsync()).Villages).EnrolledCount);
    }

    [Fact]
    public async Task ImportPriorEnrolments_NoRowImported_PublishesNothing()
    {
        var response = await ImportInGaoyangAsync("roster-1", Row(GaoyangId(101)));

        Assert.Equal(0, response.Imported);
        Assert.Empty(await PublishedAsync());
    }
}
