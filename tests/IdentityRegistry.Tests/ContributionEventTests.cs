using System.Net;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

public sealed class ContributionEventTests : IAsyncLifetime
{
    private const string Tenant = "cq-linjiang";
    private const string Gaotan = "500118901201";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private string _residentId = "";

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "identity-registry", services: s => s.AddSingleton<TimeProvider>(_time));
        _residentId = (await Client().RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "register-1",
            NationalId = TestIds.Make("500118", new DateOnly(1980, 5, 17), 123),
            Name = "张三",
            VillageCode = Gaotan,
        })).Resident.ResidentId;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client() => new(_host.Channel(Tenant));

    // Seed 002 (Linjiang) pays the Chongqing tier 1 of 380 yuan (seed 000 §2) for benefits 1 Jan–31 Dec 2024 (§4).
    private ContributionPaid Paid(string orderId = "order-1", long personalFen = 38000) => new()
    {
        TenantId = Tenant,
        OrderId = orderId,
        ResidentId = _residentId,
        VillageCode = Gaotan,
        CoverageYear = 2024,
        Tier = 1,
        PersonalAmountFen = personalFen,
        PaidTime = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
        BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
        BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
    };

    /// <summary>Posts as the local relay does: a structured CloudEvent signed by payment-collection.</summary>
    private async Task PostAsync(string topic, Guid eventId, IMessage data, string tenant = Tenant)
    {
        using var http = _host.CreateClient();
        using var response = await CloudEventPoster.PostAsync(http, topic, tenant, data, eventId);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<Resident> GetAsync() =>
        (await Client().GetResidentAsync(new GetResidentRequest { ResidentId = _residentId })).Resident;

    [Fact]
    public async Task ContributionPaid_RegisteredResident_EnrolledForCoverageYear()
    {
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());

        var enrolment = Assert.Single((await GetAsync()).Enrolments);
        Assert.Equal(2024, enrolment.CoverageYear);
        Assert.Equal(EnrolmentStatus.Enrolled, enrolment.Status);
        Assert.Equal("order-1", enrolment.OrderId);
        Assert.Equal(38000, enrolment.PersonalAmountFen);
        Assert.Equal(new Google.Type.Date { Year = 2024, Month = 1, Day = 1 }, enrolment.BenefitStartDate);
        Assert.Equal(new Google.Type.Date { Year = 2024, Month = 12, Day = 31 }, enrolment.BenefitEndDate);
        Assert.Equal(_time.GetUtcNow(), enrolment.UpdateTime.ToDateTimeOffset());
    }

    [Fact]
    public async Task ContributionPaid_SameEventIdDeliveredAgain_ChangesNothing()
    {
        var eventId = Guid.NewGuid();
        await PostAsync("contribution.paid", eventId, Paid());
        var first = Assert.Single((await GetAsync()).Enrolments);

        // Different content under the same id proves the second delivery is not applied at all.
        _time.Advance(TimeSpan.FromHours(1));
        await PostAsync("contribution.paid", eventId, Paid("order-1", personalFen: 1));

        Assert.Equal(first, Assert.Single((await GetAsync()).Enrolments));
        await using var cmd = _db.Owner.CreateCommand("SELECT count(*) FROM identity_registry.inbox WHERE event_id = $1");
        cmd.Parameters.Add(new() { Value = eventId });
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ContributionRefunded_EnrollingOrder_Refunded()
    {
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());

        await PostAsync("contribution.refunded", Guid.NewGuid(), new ContributionRefunded
        {
            TenantId = Tenant,
            OrderId = "order-1",
            ResidentId = _residentId,
            VillageCode = Gaotan,
            CoverageYear = 2024,
            RefundedAmountFen = 38000,
            Reason = "joined employee insurance",
        });

        var enrolment = Assert.Single((await GetAsync()).Enrolments);
        Assert.Equal(EnrolmentStatus.Refunded, enrolment.Status);
        Assert.Equal("order-1", enrolment.OrderId);
    }

    [Fact]
    public async Task ContributionRefunded_Differential_StaysEnrolled()
    {
        // A differential refund (identity certified after paying, seed 004 §二(五)3) returns the newly subsidised part;
        // the person stays enrolled.
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());

        await PostAsync("contribution.refunded", Guid.NewGuid(), new ContributionRefunded
        {
            TenantId = Tenant,
            OrderId = "order-1",
            ResidentId = _residentId,
            VillageCode = Gaotan,
            CoverageYear = 2024,
            RefundedAmountFen = 34200,
            Reason = "identity-certified",
            Kind = RefundKind.Differential,
        });

        var enrolment = Assert.Single((await GetAsync()).Enrolments);
        Assert.Equal(EnrolmentStatus.Enrolled, enrolment.Status);
    }

    [Fact]
    public async Task ContributionPaid_ResidentOfAnotherTenant_Ignored()
    {
        var paid = Paid();
        paid.TenantId = "he-gaoyang";

        await PostAsync("contribution.paid", Guid.NewGuid(), paid, tenant: "he-gaoyang");

        Assert.Empty((await GetAsync()).Enrolments);
        await using var cmd = _db.Owner.CreateCommand("SELECT count(*) FROM identity_registry.enrolments");
        Assert.Equal(0L, await cmd.ExecuteScalarAsync());
    }

    private ContributionRefundRequested RefundRequested(string reason, string orderId = "order-1") => new()
    {
        TenantId = Tenant,
        OrderId = orderId,
        ResidentId = _residentId,
        VillageCode = Gaotan,
        CoverageYear = 2024,
        RefundId = "refund-1",
        Reason = reason,
        AmountFen = 38000,
        RequestTime = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
    };

    private async Task<bool> OnRegisteredLedgerAsync() =>
        (await Client().ListLedgerAsync(new ListLedgerRequest
        {
            Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = 2024, VillageCode = Gaotan, PageSize = 1000,
        })).Entries.Any(e => e.ResidentId == _residentId);

    [Fact]
    public async Task ContributionRefundRequested_EnrollingOrder_SuspendedAndOffTheLedgers()
    {
        // Seed 004 §二(五)3: army service before benefits start suspends the enrolment while the refund is handled.
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());
        var eventId = Guid.NewGuid();

        await PostAsync("contribution.refund-requested", eventId, RefundRequested("army"));

        var enrolment = Assert.Single((await GetAsync()).Enrolments);
        Assert.Equal(EnrolmentStatus.RefundPending, enrolment.Status);
        Assert.Equal("order-1", enrolment.OrderId);
        Assert.Equal("army", enrolment.RefundReason);
        Assert.True(enrolment.ExcusedFromEnrolment);
        Assert.False(await OnRegisteredLedgerAsync());

        // Redelivered under its id with other content: not applied again.
        _time.Advance(TimeSpan.FromHours(1));
        await PostAsync("contribution.refund-requested", eventId, RefundRequested("death"));
        Assert.Equal(enrolment, Assert.Single((await GetAsync()).Enrolments));
    }

    [Fact]
    public async Task ContributionRefundRequested_PayloadOfAnotherTenant_Ignored()
    {
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());
        var foreign = RefundRequested("army");
        foreign.TenantId = "he-gaoyang";

        await PostAsync("contribution.refund-requested", Guid.NewGuid(), foreign);

        Assert.Equal(EnrolmentStatus.Enrolled, Assert.Single((await GetAsync()).Enrolments).Status);
    }

    [Fact]
    public async Task ContributionRefunded_FullForDuplicate_EndsEnrolmentAndStaysOffTheLedgers()
    {
        // Seed 003 附件1: a duplicate enrolment is refunded where she is registered; she is insured elsewhere, so the
        // not-enrolled ledger (and any reminder campaign reading it) must not list her.
        Assert.True(await OnRegisteredLedgerAsync());
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());
        await PostAsync("contribution.refund-requested", Guid.NewGuid(), RefundRequested("duplicate"));
        var refunded = new ContributionRefunded
        {
            TenantId = Tenant, OrderId = "order-1", ResidentId = _residentId, VillageCode = Gaotan, CoverageYear = 2024,
            RefundedAmountFen = 38000, Reason = "duplicate", Kind = RefundKind.Full, RefundId = "refund-1",
        };
        var eventId = Guid.NewGuid();

        await PostAsync("contribution.refunded", eventId, refunded);
        await PostAsync("contribution.refunded", eventId, refunded);

        var enrolment = Assert.Single((await GetAsync()).Enrolments);
        Assert.Equal(EnrolmentStatus.Refunded, enrolment.Status);
        Assert.Equal("duplicate", enrolment.RefundReason);
        Assert.True(enrolment.ExcusedFromEnrolment);
        Assert.False(await OnRegisteredLedgerAsync());
    }

    [Fact]
    public async Task ContributionRefunded_DifferentialWithRemainingAmount_EnrolmentShowsAmountAndGrantedLines()
    {
        // Seed 004 §二(一)/§二(五)3: certified 低保 (90% of 380 yuan subsidised) after paying as ordinary: 342 yuan go
        // back, 38 stay hers and the medical-assistance fund's line replaces none.
        await PostAsync("contribution.paid", Guid.NewGuid(), Paid());
        var line = new SubsidyLine { Category = "dibao", FundingSource = "medical-assistance-fund", AmountFen = 34200, Description = "低保" };

        await PostAsync("contribution.refunded", Guid.NewGuid(), new ContributionRefunded
        {
            TenantId = Tenant, OrderId = "order-1", ResidentId = _residentId, VillageCode = Gaotan, CoverageYear = 2024,
            RefundedAmountFen = 34200, Reason = "identity-certified", Kind = RefundKind.Differential, RefundId = "refund-2",
            GrantedSubsidyLines = { line }, RemainingPersonalAmountFen = 3800,
        });

        var enrolment = Assert.Single((await GetAsync()).Enrolments);
        Assert.Equal(EnrolmentStatus.Enrolled, enrolment.Status);
        Assert.Equal(3800, enrolment.PersonalAmountFen);
        var granted = Assert.Single(enrolment.SubsidyLines);
        Assert.Equal(("dibao", "medical-assistance-fund", 34200L), (granted.Category, granted.FundingSource, granted.AmountFen));
        Assert.False(enrolment.ExcusedFromEnrolment);
    }
}
