using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Grpc;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Grpc;
using Medins.Payment.V1;
using Medins.PaymentCollection.Grpc;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// payment-collection on a fresh database with the demo city, calling the real identity-registry and
/// contribution-calculation (in process, same database) over real gRPC. Each service is named through a type of
/// its own assembly, as every one of them has a global <c>Program</c>.
/// </summary>
public sealed class PaymentPlatform : IAsyncDisposable
{
    // 2023-11-20 09:00 in Asia/Shanghai, inside every demo tenant's concentrated collection period.
    public static readonly DateTimeOffset CampaignDay = new(2023, 11, 20, 1, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> _hosts = [];
    private ServiceHost<IdentityRegistryGrpcService> _identity = null!;
    private ServiceHost<PaymentCollectionGrpcService> _payment = null!;
    private ServiceHost<ContributionCalculationGrpcService> _calculation = null!;
    private int _registered;

    public TestDatabase Db { get; private init; } = null!;
    public FakeTimeProvider Clock { get; } = new(CampaignDay);

    private PaymentPlatform() { }

    /// <param name="identityRegistryFailure">When set, identity-registry is replaced by a double failing with this status.</param>
    /// <param name="orderExpiryMinutes">Overrides PaymentCollection:OrderExpiryMinutes (30 in appsettings.json).</param>
    /// <param name="registryFacts">
    /// When true, payment-collection reaches identity-registry through <see cref="FactsIdentityRegistry"/>, so a test can
    /// give a resident facts (<see cref="Facts"/>) the real registry of this version cannot record yet, and
    /// contribution-calculation through <see cref="ContractContributionCalculation"/>, whose quotes say whether the policy
    /// enrols a booklet together.
    /// </param>
    public static async Task<PaymentPlatform> StartAsync(StatusCode? identityRegistryFailure = null, int? orderExpiryMinutes = null,
        bool registryFacts = false)
    {
        var platform = new PaymentPlatform { Db = await TestDatabase.CreateAsync() };
        var clock = platform.Clock;

        // On payment-collection's clock too: the assertions it signs are checked against calculation's clock.
        var calculation = new ServiceHost<ContributionCalculationGrpcService>(platform.Db, "contribution-calculation",
            services: s => s.AddSingleton<TimeProvider>(clock));
        platform._hosts.Add(calculation);
        platform._identity = new ServiceHost<IdentityRegistryGrpcService>(platform.Db, "identity-registry",
            services: s => s.AddSingleton<TimeProvider>(clock));
        platform._hosts.Add(platform._identity);
        TestServer identityServer;
        if (identityRegistryFailure is { } failure)
        {
            var failing = await new FailingIdentityRegistry(failure).StartAsync();
            platform._hosts.Add(failing);
            identityServer = failing.GetTestServer();
        }
        else if (registryFacts)
        {
            var facts = new FactsIdentityRegistry(FactsIdentityRegistry.ChannelTo(platform._identity.Server));
            var app = await facts.StartAsync();
            platform._hosts.Add(app);
            platform.Facts = facts;
            identityServer = app.GetTestServer();
        }
        else
        {
            identityServer = platform._identity.Server;
        }
        platform._calculation = calculation;
        var calculationServer = calculation.Server;
        if (registryFacts)
        {
            var contract = await new ContractContributionCalculation(FactsIdentityRegistry.ChannelTo(calculation.Server)).StartAsync();
            platform._hosts.Add(contract);
            calculationServer = contract.GetTestServer();
        }

        var settings = new Dictionary<string, string?>();
        if (orderExpiryMinutes is { } minutes) settings["PaymentCollection:OrderExpiryMinutes"] = minutes.ToString();
        platform._payment = new ServiceHost<PaymentCollectionGrpcService>(platform.Db, "payment-collection", settings,
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                // A second registration of a client adds configuration after the service's own: address and handler win.
                services.AddGrpcClient<ContributionCalculationService.ContributionCalculationServiceClient>(o =>
                        o.Address = calculationServer.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(() => calculationServer.CreateHandler());
                services.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>(o =>
                        o.Address = identityServer.BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(() => identityServer.CreateHandler());
            });
        platform._hosts.Insert(0, platform._payment);
        return platform;
    }

    public PaymentCollectionService.PaymentCollectionServiceClient Client(string? tenantId) => new(_payment.Channel(tenantId));

    /// <summary>The facts double in front of identity-registry (started with <c>registryFacts: true</c>).</summary>
    public FactsIdentityRegistry Facts { get; private set; } = null!;

    /// <summary>contribution-calculation itself, to ask it what the same facts cost.</summary>
    public ContributionCalculationService.ContributionCalculationServiceClient Calculation(string tenantId) =>
        new(_calculation.Channel(tenantId));

    /// <summary>identity-registry itself.</summary>
    public IdentityRegistryService.IdentityRegistryServiceClient Registry(string tenantId) => new(_identity.Channel(tenantId));

    public VillageCashService.VillageCashServiceClient VillageCash(string? tenantId) => new(_payment.Channel(tenantId));

    /// <summary>payment-collection's host, for calls that carry other assertions than a test tenant's (or none).</summary>
    public ServiceHost<PaymentCollectionGrpcService> PaymentHost => _payment;

    /// <summary>payment-collection's services, to drive its background work from a test.</summary>
    public IServiceProvider PaymentServices => _payment.Services;

    /// <summary>payment-collection's HTTP endpoints (channel notices, /metrics), as a provider reaches them.</summary>
    public HttpClient PaymentHttpClient() => _payment.CreateClient();

    /// <summary>Registers a resident in identity-registry (a demo village of the tenant) and returns her id.</summary>
    public async Task<string> RegisterResidentAsync(string tenantId, string villageCode, DateOnly? birthDate = null) =>
        (await RegisterResidentWithIdAsync(tenantId, villageCode, birthDate)).ResidentId;

    /// <summary>Registers a resident; returns her id and the ID number she was registered with.</summary>
    public async Task<(string ResidentId, string NationalId)> RegisterResidentWithIdAsync(string tenantId, string villageCode,
        DateOnly? birthDate = null, string householdNumber = "",
        HouseholdRelationship relationship = HouseholdRelationship.Unspecified)
    {
        var sequence = Interlocked.Increment(ref _registered);
        var nationalId = NationalIds.Make(villageCode[..6], birthDate ?? new DateOnly(1980, 5, 1), sequence);
        var response = await new IdentityRegistryService.IdentityRegistryServiceClient(_identity.Channel(tenantId))
            .RegisterResidentAsync(new RegisterResidentRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                NationalId = nationalId,
                Name = "测试居民" + sequence,
                VillageCode = villageCode,
                HouseholdNumber = householdNumber,
                Relationship = relationship,
            });
        return (response.Resident.ResidentId, nationalId);
    }

    /// <summary>
    /// Records a household booklet listing <paramref name="bookletMembers"/> people and registers
    /// <paramref name="registeredMembers"/> of them (the first as head); returns their ids and ID numbers.
    /// </summary>
    public async Task<IReadOnlyList<(string ResidentId, string NationalId)>> RegisterHouseholdAsync(string tenantId,
        string villageCode, string householdNumber, int registeredMembers, int? bookletMembers = null)
    {
        await new IdentityRegistryService.IdentityRegistryServiceClient(_identity.Channel(tenantId))
            .RecordHouseholdAsync(new RecordHouseholdRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                HouseholdNumber = householdNumber,
                VillageCode = villageCode,
                BookletMemberCount = bookletMembers ?? registeredMembers,
            });
        var members = new List<(string, string)>();
        for (var i = 0; i < registeredMembers; i++)
            members.Add(await RegisterResidentWithIdAsync(tenantId, villageCode, new DateOnly(1980 + i, 5, 1), householdNumber,
                i == 0 ? HouseholdRelationship.Head : HouseholdRelationship.Child));
        return members;
    }

    /// <summary>A department's list certifying one person, imported through the registry's CSV RPC.</summary>
    public async Task CertifyAsync(string tenantId, string nationalId, string localCode, string department,
        string validFrom = "2023-08-01")
    {
        var result = (await new IdentityRegistryService.IdentityRegistryServiceClient(_identity.Channel(tenantId))
            .ImportIdentitiesCsvAsync(new ImportIdentitiesCsvRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                CsvText = $"national_id,local_code,department,valid_from\n{nationalId},{localCode},{department},{validFrom}\n",
            })).Result;
        Assert.Equal(1, result.CertifiedCount);
    }

    /// <summary>A scalar read as the owner (row-level security bypassed), for asserting what was stored.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = Db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Runs SQL as the owner, for arranging data other services own.</summary>
    public async Task ExecuteAsync(string sql, params object[] args)
    {
        await using var cmd = Db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Publishes a one-tier policy for a tenant and year straight into contribution-calculation's store, open for
    /// payment from two years before the coverage year to its end: a standard of 0 makes everyone a
    /// zero-contribution enrolment.
    /// </summary>
    public Task PublishFlatPolicyAsync(string tenantId, int coverageYear, long standardFen)
    {
        var document = $$$"""
            {"formatVersion":1,"policyName":"test {{{coverageYear}}}","appliesTo":["{{{tenantId}}}"],"coverageYear":{{{coverageYear}}},
             "benefitPeriod":{"start":"{{{coverageYear}}}-01-01","end":"{{{coverageYear}}}-12-31"},"fiscalSubsidy":{"amountFen":64000},
             "tiers":[{"tier":1,"name":"一档"}],"defaultTier":1,
             "personGroups":[{"id":"resident","name":"城乡居民","default":true,"standardFen":{"tier1":{{{standardFen}}}},"clause":"test"}],
             "fundingSources":[],"identities":[],"precedence":{"rule":"highest-subsidy"},
             "collectionPeriods":[{"id":"concentrated","label":"集中参保期","kind":"concentrated","from":"{{{coverageYear - 2}}}-01-01","to":"{{{coverageYear}}}-12-31",
               "benefitStart":{"rule":"benefit-period-start"},"clause":"test"}],
             "refunds":{"reasons":[],"differentialRefundForIdentityCertifiedAfterPayment":{"duringCollectionPeriod":false,"afterCollectionPeriod":false},"clause":"test"}}
            """;
        return ExecuteAsync("""
            INSERT INTO contribution_calculation.policies
              (tenant_id, coverage_year, version, policy_id, document, document_text, published_at, effective_from, published_by, applies_to)
            VALUES ($1, $2, 1, $1 || '-' || $2 || '-v1', $3::jsonb, $3, now(), make_date($2 - 2, 1, 1), 'test', ARRAY[$1])
            """, tenantId, coverageYear, document);
    }

    /// <summary>The ContributionPaid events in the outbox, oldest first.</summary>
    public async Task<IReadOnlyList<(string TenantId, ContributionPaid Event)>> ContributionPaidEventsAsync()
    {
        await using var cmd = Db.Owner.CreateCommand(
            "SELECT tenant_id, payload::text FROM payment_collection.outbox WHERE topic = $1 ORDER BY created_at, event_id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = EventTopics.ContributionPaid });
        await using var reader = await cmd.ExecuteReaderAsync();
        var events = new List<(string, ContributionPaid)>();
        while (await reader.ReadAsync())
            events.Add((reader.GetString(0), Google.Protobuf.JsonParser.Default.Parse<ContributionPaid>(reader.GetString(1))));
        return events;
    }

    /// <summary>The tenant's money ledger (payment_money_ledger, migration 0010).</summary>
    public async Task<MoneyLedger> MoneyLedgerAsync(string tenantId)
    {
        await using var cmd = Db.Owner.CreateCommand(
            "SELECT held_fen, on_queue_fen, returned_fen, double_held FROM payment_collection.payment_money_ledger($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return new MoneyLedger(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
    }

    /// <summary>payment-collection's Prometheus exposition.</summary>
    public async Task<string> MetricsAsync()
    {
        using var http = _payment.CreateClient();
        return await http.GetStringAsync("/metrics");
    }

    /// <summary>The events of one topic in payment-collection's outbox, oldest first.</summary>
    public async Task<IReadOnlyList<T>> OutboxEventsAsync<T>(string topic) where T : Google.Protobuf.IMessage<T>, new()
    {
        await using var cmd = Db.Owner.CreateCommand(
            "SELECT payload::text FROM payment_collection.outbox WHERE topic = $1 ORDER BY created_at, event_id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = topic });
        await using var reader = await cmd.ExecuteReaderAsync();
        var events = new List<T>();
        while (await reader.ReadAsync())
            events.Add(Google.Protobuf.JsonParser.Default.Parse<T>(reader.GetString(0)));
        return events;
    }

    /// <summary>
    /// Delivers identity-registry's outbox events of <paramref name="topic"/> to payment-collection's subscriber route,
    /// as the relay would, with their own event ids; returns how many.
    /// </summary>
    public async Task<int> DeliverRegistryEventsAsync<T>(string topic) where T : Google.Protobuf.IMessage<T>, new()
    {
        var events = new List<(Guid Id, string Tenant, T Data)>();
        await using (var cmd = Db.Owner.CreateCommand(
            "SELECT event_id, tenant_id, payload::text FROM identity_registry.outbox WHERE topic = $1 ORDER BY created_at, event_id"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = topic });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                events.Add((reader.GetGuid(0), reader.GetString(1), Google.Protobuf.JsonParser.Default.Parse<T>(reader.GetString(2))));
        }
        using var http = _payment.CreateClient();
        foreach (var (id, tenant, data) in events)
            await CloudEventPoster.DeliverAsync(http, topic, tenant, data, id);
        return events.Count;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        await Db.DisposeAsync();
    }
}

/// <summary>
/// Where the money the channels reported is: held by paid orders, on the review queue, or returned to the payer from
/// it. Received = held + on queue + returned; <see cref="DoubleHeld"/> counts transactions placed twice (always 0).
/// </summary>
public sealed record MoneyLedger(long HeldFen, long OnQueueFen, long ReturnedFen, long DoubleHeld)
{
    public long ReceivedFen => HeldFen + OnQueueFen + ReturnedFen;
}
