using Medins.Identity.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.Time.Testing;

namespace Medins.QuotaTracking.Tests;

/// <summary>Last year's roster imported into identity-registry at run time reaches the village counters of its year.</summary>
public sealed class PriorEnrolmentsImportedTests : IAsyncLifetime
{
    private const string Gaoyang = "he-gaoyang";
    // Demo city divisions (synthetic codes under the seeds' counties): 庞口 and 西演.
    private const string Pangkou = "130628902201";
    private const string Xiyan = "130628903201";

    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db, _time);
        _http = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static VillagePriorEnrolments Village(string code, long paid, long zero, long collectedFen) => new()
    {
        VillageCode = code, EnrolledCount = paid + zero, PaidCount = paid, ZeroContributionCount = zero, CollectedAmountFen = collectedFen,
    };

    private static PriorEnrolmentsImported Imported(int year, params VillagePriorEnrolments[] villages)
    {
        var evt = new PriorEnrolmentsImported { TenantId = Gaoyang, CoverageYear = year };
        evt.Villages.AddRange(villages);
        return evt;
    }

    private Task DeliverAsync(PriorEnrolmentsImported evt, Guid? eventId = null) =>
        CloudEventPoster.DeliverAsync(_http, EventTopics.PriorEnrolmentsImported, Gaoyang, evt, eventId);

    /// <summary>Every counter row of the tenant: village, year, enrolled, paid, zero-contribution, collected.</summary>
    private async Task<List<(string, int, long, long, long, long)>> CountersAsync()
    {
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT village_code, coverage_year, enrolled_count, paid_count, zero_contribution_count, collected_amount_fen
            FROM quota_tracking.village_counters WHERE tenant_id = 'he-gaoyang' ORDER BY village_code, coverage_year
            """);
        var rows = new List<(string, int, long, long, long, long)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        return rows;
    }

    private async Task SeedCounterAsync(string village, int year, long enrolled, long collectedFen)
    {
        await using var cmd = _db.Owner.CreateCommand("""
            INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count,
                                                        collected_amount_fen, refunded_count, updated_at)
            VALUES ('he-gaoyang', $1, $2, $3, $3, $4, 0, now())
            """);
        cmd.Parameters.Add(new() { Value = year });
        cmd.Parameters.Add(new() { Value = village });
        cmd.Parameters.Add(new() { Value = enrolled });
        cmd.Parameters.Add(new() { Value = collectedFen });
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task PriorEnrolmentsImported_Delivered_AddsToThatYearsCountersOnly()
    {
        // 西演 already counts 10 for 2023 (the demo load, or an earlier import) and 5 paid for 2024.
        await SeedCounterAsync(Xiyan, 2023, 10, 350000);
        await SeedCounterAsync(Xiyan, 2024, 5, 190000);

        await DeliverAsync(Imported(2023, Village(Pangkou, paid: 2, zero: 1, collectedFen: 70000), Village(Xiyan, paid: 1, zero: 0, collectedFen: 35000)));

        Assert.Equal(
            [(Pangkou, 2023, 3L, 2L, 1L, 70000L), (Xiyan, 2023, 11L, 11L, 0L, 385000L), (Xiyan, 2024, 5L, 5L, 0L, 190000L)],
            await CountersAsync());
    }

    [Fact]
    public async Task PriorEnrolmentsImported_SameEventIdTwice_CountsOnce()
    {
        var eventId = Guid.NewGuid();
        var evt = Imported(2023, Village(Pangkou, paid: 2, zero: 1, collectedFen: 70000));

        await DeliverAsync(evt, eventId);
        await DeliverAsync(evt, eventId);

        Assert.Equal([(Pangkou, 2023, 3L, 2L, 1L, 70000L)], await CountersAsync());
    }

    [Fact]
    public async Task PriorEnrolmentsImported_VillageUnknownHere_SkippedOthersCounted()
    {
        await DeliverAsync(Imported(2023, Village("130628999201", paid: 4, zero: 0, collectedFen: 140000),
            Village(Pangkou, paid: 1, zero: 0, collectedFen: 35000)));

        Assert.Equal([(Pangkou, 2023, 1L, 1L, 0L, 35000L)], await CountersAsync());
    }

    [Fact]
    public async Task ImportVillageTargets_GaoyangAfterRosterEvent_RaisedToTheRostersCount()
    {
        // Seed 004 一（三）1: 95% of the resident population and 不低于2023年城乡居民参保人数. The roster imported at run
        // time counts three of 庞口 for 2023; the import gives no last_year_enrolled.
        await DeliverAsync(Imported(2023, Village(Pangkou, paid: 2, zero: 1, collectedFen: 70000)));

        var response = await new QuotaTrackingService.QuotaTrackingServiceClient(_host.Channel(Gaoyang)).ImportVillageTargetsAsync(
            new ImportVillageTargetsRequest
            {
                RequestId = "gaoyang-roster-event", CoverageYear = 2024,
                Villages = { new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 2 } },
            });

        // 95% of 2 is 2 (ceiling); last year's 3 enrolled is higher, so the task is 3.
        var target = Assert.Single(response.Targets);
        Assert.Equal((2L, 3L, true), (target.Base, target.Task, target.RaisedToLastYear));
    }
}
