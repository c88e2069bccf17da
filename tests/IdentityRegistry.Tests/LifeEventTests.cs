using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Grpc;
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

    private async Task<bool> OnLedgerAsync(Ledger ledger) =>
        (await Client.ListLedgerAsync(new ListLedgerRequest { Ledger = ledger, CoverageYear = 2024 }))
            .Entries.Any(e => e.ResidentId == _residentId);

    private async Task EnrolAsync(int year)
    {
        using var http = _host.CreateClient();
        await CloudEventPoster.DeliverAsync(http, "contribution.paid", Linjiang, new Medins.Payment.V1.ContributionPaid
        {
            TenantId = Linjiang, ResidentId = _residentId, OrderId = $"order-{year}", CoverageYear = year, PersonalAmountFen = 38000,
        });
    }

    // Seed 004 二（五）3 (Gaoyang): death, army service, prison, employee insurance and another region's
    // resident insurance suspend her insurance here; seed 002 (Linjiang): deregistration and insurance
    // elsewhere reduce the village's task. Release, discharge, a newborn's registration and a student's enrolment
    // take nobody out. She was enrolled for 2023, so she starts on both the registered and the lapsed ledgers.
    [Theory]
    [InlineData(LifeEventKind.Death, false)]
    [InlineData(LifeEventKind.MovedAway, false)]
    [InlineData(LifeEventKind.EmployeeInsurance, false)]
    [InlineData(LifeEventKind.InsuredElsewhere, false)]
    [InlineData(LifeEventKind.Army, false)]
    [InlineData(LifeEventKind.Prison, false)]
    [InlineData(LifeEventKind.Release, true)]
    [InlineData(LifeEventKind.Discharge, true)]
    [InlineData(LifeEventKind.NewbornRegistration, true)]
    [InlineData(LifeEventKind.StudentEnrolment, true)]
    public async Task RecordLifeEvent_EachKind_OnTheShouldEnrolLedgersOnlyIfStillExpectedToEnrol(LifeEventKind kind, bool expectedToEnrol)
    {
        await EnrolAsync(2023);
        Assert.True(await OnLedgerAsync(Ledger.RegisteredNotEnrolled));
        Assert.True(await OnLedgerAsync(Ledger.EnrolledLastYearNotThisYear));

        await Client.RecordLifeEventAsync(Event(kind));

        Assert.Equal(expectedToEnrol, await OnLedgerAsync(Ledger.RegisteredNotEnrolled));
        Assert.Equal(expectedToEnrol, await OnLedgerAsync(Ledger.EnrolledLastYearNotThisYear));
        var resident = await GetAsync();
        var suspends = kind is LifeEventKind.EmployeeInsurance or LifeEventKind.InsuredElsewhere or LifeEventKind.Army or LifeEventKind.Prison;
        Assert.Equal(suspends ? new Google.Type.Date { Year = 2023, Month = 10, Day = 20 } : null, resident.SuspendedDate);
        Assert.Equal(suspends ? kind : LifeEventKind.Unspecified, resident.SuspensionReason);
    }

    [Theory]
    [InlineData(LifeEventKind.Army, LifeEventKind.Discharge)]
    [InlineData(LifeEventKind.Prison, LifeEventKind.Release)]
    public async Task RecordLifeEvent_ReleaseOrDischargeAfterSuspension_BackOnTheLedgerFromThatDate(LifeEventKind away, LifeEventKind back)
    {
        await Client.RecordLifeEventAsync(Event(away, month: 3, day: 1));
        Assert.False(await OnLedgerAsync(Ledger.RegisteredNotEnrolled));

        await Client.RecordLifeEventAsync(Event(back, month: 11, day: 2, requestId: "event-2"));

        var resident = await GetAsync();
        Assert.True(await OnLedgerAsync(Ledger.RegisteredNotEnrolled));
        Assert.Null(resident.SuspendedDate);
        Assert.Equal(LifeEventKind.Unspecified, resident.SuspensionReason);
        Assert.Equal([away, back], resident.LifeEvents.Select(e => e.Kind));
    }

    [Fact]
    public async Task RecordLifeEvent_DischargeAfterPrison_StillSuspendedByPrison()
    {
        await Client.RecordLifeEventAsync(Event(LifeEventKind.Prison, month: 3, day: 1));

        await Client.RecordLifeEventAsync(Event(LifeEventKind.Discharge, month: 11, day: 2, requestId: "event-2"));

        var resident = await GetAsync();
        Assert.Equal((new Google.Type.Date { Year = 2023, Month = 3, Day = 1 }, LifeEventKind.Prison),
            (resident.SuspendedDate, resident.SuspensionReason));
        Assert.False(await OnLedgerAsync(Ledger.RegisteredNotEnrolled));
    }

    [Fact]
    public async Task RecordLifeEvent_ArmyRecordedAfterALaterDischarge_DateOrderCountsSoNotSuspended()
    {
        // The discharge papers reached the village before the enlistment record: dates decide, not arrival.
        await Client.RecordLifeEventAsync(Event(LifeEventKind.Discharge, month: 9, day: 30));

        await Client.RecordLifeEventAsync(Event(LifeEventKind.Army, month: 1, day: 5, requestId: "event-2"));

        Assert.Null((await GetAsync()).SuspendedDate);
        Assert.True(await OnLedgerAsync(Ledger.RegisteredNotEnrolled));
    }

    [Fact]
    public void SuspensionAfter_SeveralReasons_EarliestStandingOneNamesIt()
    {
        var jan = new DateOnly(2023, 1, 10);
        var mar = new DateOnly(2023, 3, 1);
        var jun = new DateOnly(2023, 6, 1);

        Assert.Null(Domain.LifeEvents.SuspensionAfter([]));
        Assert.Equal(new Domain.Suspension(jan, Domain.LifeEventKind.Army),
            Domain.LifeEvents.SuspensionAfter([(Domain.LifeEventKind.Prison, mar), (Domain.LifeEventKind.Army, jan)]));
        // Prison ended by release; the army service that began before it still stands.
        Assert.Equal(new Domain.Suspension(jan, Domain.LifeEventKind.Army),
            Domain.LifeEvents.SuspensionAfter([(Domain.LifeEventKind.Army, jan), (Domain.LifeEventKind.Prison, mar), (Domain.LifeEventKind.Release, jun)]));
        // A second enlistment after a discharge starts a new suspension from its own date.
        Assert.Equal(new Domain.Suspension(jun, Domain.LifeEventKind.Army),
            Domain.LifeEvents.SuspensionAfter([(Domain.LifeEventKind.Army, jan), (Domain.LifeEventKind.Discharge, mar), (Domain.LifeEventKind.Army, jun)]));
        // Employee insurance has no end event: it stands over a later army service and its discharge.
        Assert.Equal(new Domain.Suspension(mar, Domain.LifeEventKind.EmployeeInsurance),
            Domain.LifeEvents.SuspensionAfter([(Domain.LifeEventKind.EmployeeInsurance, mar), (Domain.LifeEventKind.Army, jun), (Domain.LifeEventKind.Discharge, jun)]));
    }

    [Fact]
    public void LifeEventKind_EveryKindOfContractAndDomain_MapsBothWaysByName()
    {
        // The service maps the two enums by an explicit switch; a kind added to one side only fails here.
        foreach (var kind in Enum.GetValues<LifeEventKind>().Where(k => k != LifeEventKind.Unspecified))
            Assert.Equal(kind, IdentityRegistryGrpcService.ToProto(IdentityRegistryGrpcService.LifeEventKindOf(kind)!.Value));
        foreach (var kind in Enum.GetValues<Domain.LifeEventKind>())
            Assert.Equal(kind, IdentityRegistryGrpcService.LifeEventKindOf(IdentityRegistryGrpcService.ToProto(kind)));
        Assert.Null(IdentityRegistryGrpcService.LifeEventKindOf(LifeEventKind.Unspecified));
        Assert.Equal(Enum.GetNames<LifeEventKind>().Skip(1).Order(), Enum.GetNames<Domain.LifeEventKind>().Order());
    }
}
