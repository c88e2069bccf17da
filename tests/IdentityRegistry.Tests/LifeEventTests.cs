using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using LifeEventKind = Medins.Identity.V1.LifeEventKind;

namespace Medins.IdentityRegistry.Tests;

public sealed class LifeEventTests : IAsyncLifetime
{
    // Demo city: Linjiang's 高滩村 (seed 002 §6).
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private string _residentId = "";

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "identity-registry", services: s => s.AddSingleton<TimeProvider>(_time));
        _residentId = (await Client.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "register-1", NationalId = TestIds.Make("500118", new DateOnly(1950, 6, 1), 101), Name = "陈七", VillageCode = Gaotan,
        })).Resident.ResidentId;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client => new(_host.Channel(Linjiang));

    private RecordLifeEventRequest Event(LifeEventKind kind, int month = 10, int day = 20, string requestId = "event-1") => new()
    {
        RequestId = requestId, ResidentId = _residentId, Kind = kind,
        OccurredDate = new Google.Type.Date { Year = 2023, Month = month, Day = day }, EvidenceReference = "永公(临)注字2023第0815号",
    };

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<Resident> GetAsync() =>
        (await Client.GetResidentAsync(new GetResidentRequest { ResidentId = _residentId })).Resident;

    [Fact]
    public async Task RecordLifeEvent_Death_DeregisteredAndResidentDeregisteredEvent()
    {
        await Client.RecordLifeEventAsync(Event(LifeEventKind.Death));

        var resident = await GetAsync();

        Assert.Equal(new Google.Type.Date { Year = 2023, Month = 10, Day = 20 }, resident.DeregisteredDate);
        var lifeEvent = Assert.Single(resident.LifeEvents);
        Assert.Equal((LifeEventKind.Death, "永公(临)注字2023第0815号"), (lifeEvent.Kind, lifeEvent.EvidenceReference));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM identity_registry.outbox WHERE topic = 'resident.deregistered'
              AND payload->>'reason' = 'LIFE_EVENT_KIND_DEATH' AND payload->>'villageCode' = '500118901201'
            """));
    }

    [Fact]
    public async Task RecordLifeEvent_EmployeeInsurance_ListedButNotDeregistered()
    {
        await Client.RecordLifeEventAsync(Event(LifeEventKind.EmployeeInsurance));

        var resident = await GetAsync();

        Assert.Null(resident.DeregisteredDate);
        Assert.Equal(LifeEventKind.EmployeeInsurance, Assert.Single(resident.LifeEvents).Kind);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'resident.deregistered'"));
    }

    [Fact]
    public async Task RecordLifeEvent_ReplaySameRequestId_OneEventSameAnswer()
    {
        var first = (await Client.RecordLifeEventAsync(Event(LifeEventKind.MovedAway))).LifeEvent;

        var replay = (await Client.RecordLifeEventAsync(Event(LifeEventKind.MovedAway))).LifeEvent;

        Assert.Equal(first.LifeEventId, replay.LifeEventId);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.life_events"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'resident.deregistered'"));
    }

    [Fact]
    public async Task RecordLifeEvent_AfterDeath_FailedPreconditionResidentDeregistered()
    {
        await Client.RecordLifeEventAsync(Event(LifeEventKind.Death));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.RecordLifeEventAsync(Event(LifeEventKind.Prison, requestId: "event-2")).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("RESIDENT_DEREGISTERED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RecordLifeEvent_DateInFuture_InvalidLifeEventDate()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.RecordLifeEventAsync(Event(LifeEventKind.Army, month: 12, day: 1)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_LIFE_EVENT_DATE", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RecordLifeEvent_NoKindNoEvidence_InvalidRequestNamingBoth()
    {
        var request = Event(LifeEventKind.Unspecified);
        request.EvidenceReference = " ";

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.RecordLifeEventAsync(request).ResponseAsync);

        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
        Assert.Equal(["kind", "evidence_reference"],
            ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task RecordLifeEvent_UnknownResident_NotFound()
    {
        var request = Event(LifeEventKind.Release);
        request.ResidentId = Guid.NewGuid().ToString();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.RecordLifeEventAsync(request).ResponseAsync);

        Assert.Equal("RESIDENT_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public void LifeEventKind_ContractAndDomain_SameKindsInSameOrder()
    {
        // The service maps the two enums by position; this keeps them in step.
        Assert.Equal(Enum.GetNames<LifeEventKind>().Skip(1), Enum.GetNames<Domain.LifeEventKind>());
    }
}
