using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Medins.Platform.Hosting.Messaging;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

/// <summary>
/// identity-registry reached directly, as anyone on its ports could: only an assertion the gateway signed for it, or
/// a platform service's own assertion (for a caller, or alone), makes a request a tenant's; headers prove nothing.
/// </summary>
public sealed class ServiceAuthenticationTests : IAsyncLifetime
{
    private const string Tenant = "cq-linjiang";
    private const string Gaotan = "500118901201";
    private const string Self = "identity-registry";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private string _residentId = "";

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, Self, services: s => s.AddSingleton<TimeProvider>(_time));
        _residentId = (await new IdentityRegistryService.IdentityRegistryServiceClient(_host.Channel(Tenant))
            .RegisterResidentAsync(Register("auth-setup", 1))).Resident.ResidentId;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static RegisterResidentRequest Register(string requestId, int sequence) => new()
    {
        RequestId = requestId,
        NationalId = TestIds.Make("500118", new DateOnly(1980, 5, 17), sequence),
        Name = "张三",
        VillageCode = Gaotan,
    };

    private IdentityRegistryService.IdentityRegistryServiceClient With(Metadata headers) =>
        new(_host.AnonymousChannel().Intercept(m =>
        {
            foreach (var h in headers) m.Add(h);
            return m;
        }));

    private async Task<long> ResidentsAsync()
    {
        await using var cmd = _db.Owner.CreateCommand("SELECT count(*) FROM identity_registry.residents");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private AssertionCodec Signer(string issuer) => TestAuth.Codec(issuer, _time);

    [Fact]
    public async Task RegisterResident_ForgedTenantHeadersNoAssertion_UnauthenticatedAndNothingWritten()
    {
        var before = await ResidentsAsync();

        await ForgedCalls.AssertRefusedAsync(With(ForgedCalls.Metadata()).RegisterResidentAsync(Register("forged-1", 2)).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Missing);

        Assert.Equal(before, await ResidentsAsync());
    }

    [Fact]
    public async Task ListResidents_ForgedCityScopeHeadersNoAssertion_UnauthenticatedNoData()
    {
        var ex = await ForgedCalls.AssertRefusedAsync(With(ForgedCalls.Metadata()).ListResidentsAsync(new ListResidentsRequest()).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Missing);

        Assert.DoesNotContain(_residentId, ex.Status.Detail);
    }

    [Fact]
    public async Task JsonApi_ForgedTenantHeadersNoAssertion_401AndNothingReadOrWritten()
    {
        var before = await ResidentsAsync();
        using var http = ForgedCalls.With(_host.CreateClient());

        using var list = await http.GetAsync("/v1/residents");
        using var duplicates = await http.GetAsync("/v1/duplicateResidents");
        using var register = await http.PostAsync("/v1/residents", new StringContent(
            $$"""{"requestId":"forged-json","nationalId":"{{TestIds.Make("500118", new DateOnly(1980, 5, 17), 3)}}","name":"李四","villageCode":"{{Gaotan}}"}""",
            Encoding.UTF8, "application/json"));

        await ForgedCalls.AssertRefusedAsync(list, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(duplicates, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(register, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        Assert.DoesNotContain(_residentId, await list.Content.ReadAsStringAsync());
        Assert.Equal(before, await ResidentsAsync());
    }

    [Fact]
    public async Task GetResident_ExpiredCallerAssertion_Unauthenticated()
    {
        var now = _time.GetUtcNow();
        var expired = Signer(TestAuth.Gateway).Sign(new Assertion(TestAuth.Gateway, "test-client", Self,
            now - TimeSpan.FromMinutes(4), now - TimeSpan.FromMinutes(2), Tenant, Scopes.Tenant, Roles.All));

        await ForgedCalls.AssertRefusedAsync(
            With(new Metadata { { AssertionHeaders.Caller, expired } }).GetResidentAsync(new GetResidentRequest { ResidentId = _residentId }).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Expired);
    }

    [Fact]
    public async Task GetResident_CallerAssertionForAnotherService_Unauthenticated()
    {
        var forQuota = Signer(TestAuth.Gateway).Issue(TestAuth.Gateway, "test-client", "quota-tracking", Tenant, Scopes.Tenant, Roles.All);

        await ForgedCalls.AssertRefusedAsync(
            With(new Metadata { { AssertionHeaders.Caller, forQuota } }).GetResidentAsync(new GetResidentRequest { ResidentId = _residentId }).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.WrongAudience);
    }

    [Fact]
    public async Task RegisterResident_GatewayAssertionSignedWithAServiceKey_UnauthenticatedAndNothingWritten()
    {
        var before = await ResidentsAsync();
        // payment-collection's key claims to be the gateway: each key signs for one issuer only.
        var forged = Signer("payment-collection").Issue(TestAuth.Gateway, "demo-city", Self, Tenant, Scopes.City, Roles.All);
        // ... or speaks as itself in the caller header: only the gateway asserts callers.
        var asItself = Signer("payment-collection").Issue("payment-collection", "demo-city", Self, Tenant, Scopes.City, Roles.All);

        await ForgedCalls.AssertRefusedAsync(With(new Metadata { { AssertionHeaders.Caller, forged } }).RegisterResidentAsync(Register("forged-2", 4)).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.WrongIssuer);
        await ForgedCalls.AssertRefusedAsync(With(new Metadata { { AssertionHeaders.Caller, asItself } }).RegisterResidentAsync(Register("forged-3", 5)).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.WrongIssuer);
        Assert.Equal(before, await ResidentsAsync());
    }

    [Fact]
    public async Task GetResident_PaymentCollectionForwardingItsCaller_ActsInTheCallersTenant()
    {
        var caller = Signer(TestAuth.Gateway).Issue(TestAuth.Gateway, "demo-linjiang", "payment-collection", Tenant, Scopes.Tenant, [Roles.Collect]);
        var service = Signer("payment-collection").Issue("payment-collection", "payment-collection", Self, null, Scopes.Service, []);

        var found = await With(new Metadata { { AssertionHeaders.Service, service }, { AssertionHeaders.Caller, caller } })
            .GetResidentAsync(new GetResidentRequest { ResidentId = _residentId });

        Assert.Equal(_residentId, found.Resident.ResidentId);
    }

    [Fact]
    public async Task GetResident_ServiceAloneNamingTheTenant_Found()
    {
        var service = Signer("payment-collection").Issue("payment-collection", "payment-collection", Self, Tenant, Scopes.Service, []);

        var found = await With(new Metadata { { AssertionHeaders.Service, service } })
            .GetResidentAsync(new GetResidentRequest { ResidentId = _residentId });

        Assert.Equal(_residentId, found.Resident.ResidentId);
    }

    [Fact]
    public async Task GetResident_ServiceNotInServiceRoles_Unauthenticated()
    {
        // quota-tracking never calls identity-registry, so appsettings.json gives it no roles here.
        var caller = Signer(TestAuth.Gateway).Issue(TestAuth.Gateway, "demo-linjiang", "quota-tracking", Tenant, Scopes.Tenant, Roles.All);
        var service = Signer("quota-tracking").Issue("quota-tracking", "quota-tracking", Self, Tenant, Scopes.Service, []);

        await ForgedCalls.AssertRefusedAsync(
            With(new Metadata { { AssertionHeaders.Service, service }, { AssertionHeaders.Caller, caller } })
                .GetResidentAsync(new GetResidentRequest { ResidentId = _residentId }).ResponseAsync,
            StatusCode.Unauthenticated, CallerAuthenticator.ServiceNotAllowed);
    }

    [Fact]
    public async Task GetResident_ForwardedCallerAddressedToThisService_Unauthenticated()
    {
        // A caller assertion proves a delegation only when addressed to the service that forwards it.
        var caller = Signer(TestAuth.Gateway).Issue(TestAuth.Gateway, "demo-linjiang", Self, Tenant, Scopes.Tenant, Roles.All);
        var service = Signer("payment-collection").Issue("payment-collection", "payment-collection", Self, Tenant, Scopes.Service, []);

        await ForgedCalls.AssertRefusedAsync(
            With(new Metadata { { AssertionHeaders.Service, service }, { AssertionHeaders.Caller, caller } })
                .GetResidentAsync(new GetResidentRequest { ResidentId = _residentId }).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.WrongAudience);
    }

    private ContributionPaid Paid() => new()
    {
        TenantId = Tenant,
        OrderId = "forged-order",
        ResidentId = _residentId,
        VillageCode = Gaotan,
        CoverageYear = 2024,
        Tier = 1,
        PersonalAmountFen = 0,
        PaidTime = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
        BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
        BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
    };

    private async Task<(long Inbox, long Enrolments)> EventStateAsync()
    {
        await using var inbox = _db.Owner.CreateCommand("SELECT count(*) FROM identity_registry.inbox");
        await using var enrolments = _db.Owner.CreateCommand("SELECT count(*) FROM identity_registry.enrolments");
        return ((long)(await inbox.ExecuteScalarAsync())!, (long)(await enrolments.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task ContributionPaidEvent_Unsigned_401AndNothingApplied()
    {
        var before = await EventStateAsync();
        using var http = _host.CreateClient();
        var body = CloudEventPoster.Envelope(EventTopics.ContributionPaid, Tenant, Paid());

        using var response = await CloudEventPoster.PostRawAsync(http, EventTopics.ContributionPaid, body, serviceAssertion: null,
            headers: ForgedCalls.Headers);

        await ForgedCalls.AssertRefusedAsync(response, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        Assert.Equal(before, await EventStateAsync());
        Assert.Equal(EnrolmentStatus.NotEnrolled, await StatusAsync());
    }

    [Fact]
    public async Task ContributionPaidEvent_SignedByAServiceThatDoesNotPublishIt_403AndNothingApplied()
    {
        var before = await EventStateAsync();
        using var http = _host.CreateClient();

        using var response = await CloudEventPoster.PostAsync(http, EventTopics.ContributionPaid, Tenant, Paid(), publisher: "quota-tracking");

        await ForgedCalls.AssertRefusedAsync(response, HttpStatusCode.Forbidden, EventDeliveryAuthenticator.PublisherNotAllowed);
        Assert.Equal(before, await EventStateAsync());
    }

    [Fact]
    public async Task ContributionPaidEvent_BodyChangedAfterSigning_401AndNothingApplied()
    {
        var before = await EventStateAsync();
        using var http = _host.CreateClient();
        var signed = CloudEventPoster.Envelope(EventTopics.ContributionPaid, Tenant, Paid());
        var token = Signer("payment-collection").Issue("payment-collection", "payment-collection", Self, Tenant, Scopes.Service, [],
            AssertionCodec.Digest(signed));
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(signed).Replace("forged-order", "forged-order2", StringComparison.Ordinal));

        using var response = await CloudEventPoster.PostRawAsync(http, EventTopics.ContributionPaid, tampered, token);

        await ForgedCalls.AssertRefusedAsync(response, HttpStatusCode.Unauthorized, AssertionReasons.BodyMismatch);
        Assert.Equal(before, await EventStateAsync());
    }

    [Fact]
    public async Task ContributionPaidEvent_SignedForAnotherSubscriber_401AndNothingApplied()
    {
        var before = await EventStateAsync();
        using var http = _host.CreateClient();

        using var response = await CloudEventPoster.PostAsync(http, EventTopics.ContributionPaid, Tenant, Paid(), subscriber: "quota-tracking");

        await ForgedCalls.AssertRefusedAsync(response, HttpStatusCode.Unauthorized, AssertionReasons.WrongAudience);
        Assert.Equal(before, await EventStateAsync());
    }

    [Fact]
    public async Task ContributionPaidEvent_SignedByPaymentCollection_Applied()
    {
        using var http = _host.CreateClient();

        await CloudEventPoster.DeliverAsync(http, EventTopics.ContributionPaid, Tenant, Paid());

        Assert.Equal(EnrolmentStatus.Enrolled, await StatusAsync());
    }

    private async Task<EnrolmentStatus> StatusAsync()
    {
        var resident = (await new IdentityRegistryService.IdentityRegistryServiceClient(_host.Channel(Tenant))
            .GetResidentAsync(new GetResidentRequest { ResidentId = _residentId })).Resident;
        return resident.Enrolments.FirstOrDefault(e => e.CoverageYear == 2024)?.Status ?? EnrolmentStatus.NotEnrolled;
    }
}
