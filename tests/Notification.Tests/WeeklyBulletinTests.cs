extern alias quota;

using System.Globalization;
using Google.Protobuf;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using QuotaService = quota::Medins.QuotaTracking.Grpc.QuotaTrackingGrpcService;
using SnapshotTaker = quota::Medins.QuotaTracking.Progress.SnapshotTaker;

namespace Medins.Notification.Tests;

/// <summary>
/// The weekly bulletin to township leaders: quota-tracking (in process, same database) takes a real snapshot, its
/// quota.weekly-snapshot-taken event is delivered to notification, which reads the bulletin over gRPC. Linjiang's rules
/// (seed 002 §二(三)): Monday snapshots, 时序进度 from 0% on 1 Nov to 95% on 31 Dec; one township, 临江镇.
/// </summary>
public sealed class WeeklyBulletinTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string LinjiangTown = "500118901";
    private const string Gaotan = "500118901201";   // 5027 registered
    private const string Guilin = "500118901202";   // 2540 registered

    private const string BulletinBody = "{township_name}{coverage_year}年度参保周报（{snapshot_date}）：已参保{enrolled_count}人，本周新增{enrolled_this_week}人，"
        + "参保率{enrolment_rate}，时序进度{expected_rate}，落后村{villages_behind_schedule}个，落后最多：{lagging_villages}。";

    // Monday 13 Nov 2023, 09:00 in Beijing: a snapshot day, outside quiet hours.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 13, 1, 0, 0, TimeSpan.Zero));
    private readonly QuotaLink _link = new();
    private TestDatabase _db = null!;
    private ServiceHost<QuotaService> _quota = null!;
    private ServiceHost<Program> _notification = null!;
    private HttpClient _http = null!;

    /// <summary>Whether notification can reach quota-tracking.</summary>
    private sealed class QuotaLink
    {
        public volatile bool Down;
    }

    private sealed class SwitchedHandler(QuotaLink link, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            link.Down ? throw new HttpRequestException("quota-tracking is down") : base.SendAsync(request, ct);
    }

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await Execute("DELETE FROM notification.officials");
        await Execute("INSERT INTO notification.templates (tenant_id, template_key, version, channel, body) VALUES ($1, 'weekly-bulletin', 90, 'SMS', $2)",
            Linjiang, BulletinBody);
        _quota = new ServiceHost<QuotaService>(_db, "quota-tracking",
            settings: new Dictionary<string, string?> { ["QuotaTracking:Progress:Enabled"] = "false" },
            services: s => s.AddSingleton<TimeProvider>(_time));
        var quotaServer = _quota.Server;
        _notification = new ServiceHost<Program>(_db, "notification", services: s =>
        {
            s.AddSingleton<TimeProvider>(_time);
            // A second registration of the client adds configuration after the service's own: address and handler win.
            s.AddGrpcClient<QuotaTrackingService.QuotaTrackingServiceClient>(o => o.Address = quotaServer.BaseAddress)
                .ConfigurePrimaryHttpMessageHandler(() => new SwitchedHandler(_link, quotaServer.CreateHandler()));
        });
        _http = _notification.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _notification.DisposeAsync();
        await _quota.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task Execute(string sql, params object[] args)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new() { Value = arg });
        await cmd.ExecuteNonQueryAsync();
    }

    private Task LeaderAsync(string officialId, string townshipCode, bool active = true) => Execute("""
        INSERT INTO notification.officials (tenant_id, official_id, name, role, division_code, phone, active, update_time)
        VALUES ('cq-linjiang', $1, '镇长', 'TOWNSHIP_LEADER', $2, '13900000000', $3, now())
        """, officialId, townshipCode, active);

    /// <summary>Arranges a village's enrolled count directly (quota-tracking's own tests cover the event path).</summary>
    private Task EnrolledAsync(string village, long enrolled) => Execute("""
        INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count,
          collected_amount_fen, refunded_count, updated_at)
        VALUES ('cq-linjiang', 2024, $1, $2, $2, 0, 0, now())
        ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET enrolled_count = $2, paid_count = $2
        """, village, enrolled);

    /// <summary>Takes the day's snapshots in quota-tracking and returns Linjiang's snapshot event as it sits in the outbox.</summary>
    private async Task<(Guid EventId, QuotaWeeklySnapshotTaken Taken)> TakeSnapshotAsync()
    {
        await _quota.Services.GetRequiredService<SnapshotTaker>().TakeDueAsync(CancellationToken.None);
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT event_id, payload::text FROM quota_tracking.outbox
            WHERE tenant_id = 'cq-linjiang' AND topic = 'quota.weekly-snapshot-taken' ORDER BY created_at DESC LIMIT 1
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no quota.weekly-snapshot-taken in quota-tracking's outbox");
        return (reader.GetGuid(0), JsonParser.Default.Parse<QuotaWeeklySnapshotTaken>(reader.GetString(1)));
    }

    private async Task<List<(string OfficialId, string Body)>> BulletinsAsync()
    {
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT recipient_id, body FROM notification.messages
            WHERE tenant_id = 'cq-linjiang' AND recipient_kind = 'OFFICIAL' AND template_key = 'weekly-bulletin' ORDER BY recipient_id
            """);
        var list = new List<(string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    private static string Percent(int bp) => string.Create(CultureInfo.InvariantCulture, $"{bp / 100}.{bp % 100:00}%");

    /// <summary>The bulletin as a township leader should read it, from the figures quota-tracking's RPC gives.</summary>
    private async Task<string> ExpectedBodyAsync(Google.Type.Date day)
    {
        var client = new QuotaTrackingService.QuotaTrackingServiceClient(_quota.Channel(Linjiang));
        var bulletin = await client.GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest { CoverageYear = 2024, SnapshotDate = day });
        var town = bulletin.Townships.Single(t => t.TownshipCode == LinjiangTown);
        var lagging = bulletin.Villages.Where(v => v.TownshipCode == LinjiangTown && v.BehindSchedule)
            .OrderByDescending(v => v.GapBp).ThenBy(v => v.VillageCode, StringComparer.Ordinal).Take(3).Select(v => v.VillageName);
        return $"{town.TownshipName}2024年度参保周报（{day.Year:0000}-{day.Month:00}-{day.Day:00}）：已参保{town.EnrolledCount}人，"
            + $"本周新增{town.EnrolledThisWeek}人，参保率{Percent(town.EnrolmentRateBp)}，时序进度{Percent(bulletin.ExpectedRateBp)}，"
            + $"落后村{town.VillagesBehindSchedule}个，落后最多：{string.Join("、", lagging)}。";
    }

    [Fact]
    public async Task WeeklySnapshot_SecondWeek_EachActiveLeaderOfTheTownshipGetsTheBulletinsFigures()
    {
        await LeaderAsync("leader-1", LinjiangTown);
        await LeaderAsync("leader-2", LinjiangTown);
        await LeaderAsync("leader-former", LinjiangTown, active: false);
        await LeaderAsync("leader-elsewhere", "500118902");
        await EnrolledAsync(Gaotan, 1000);
        await TakeSnapshotAsync();
        _time.Advance(TimeSpan.FromDays(7));
        // 20 Nov: 3008 bp expected. 高滩村 1600/5027 = 31.82% ahead; 桂林村 700/2540 = 27.55% behind.
        await EnrolledAsync(Gaotan, 1600);
        await EnrolledAsync(Guilin, 700);
        var (eventId, taken) = await TakeSnapshotAsync();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaWeeklySnapshotTaken, Linjiang, taken, eventId);

        var expected = await ExpectedBodyAsync(taken.SnapshotDate);
        // Seed 002 attachment: 37694 registered in 临江镇; 2300 enrolled is 6.10%, 1300 of them this week.
        Assert.StartsWith("临江镇2024年度参保周报（2023-11-20）：已参保2300人，本周新增1300人，参保率6.10%，时序进度30.08%，落后村10个，", expected);
        Assert.Equal([("leader-1", expected), ("leader-2", expected)], await BulletinsAsync());
    }

    [Fact]
    public async Task WeeklySnapshot_QuotaTrackingDown_NotAcknowledgedThenOneBulletinPerLeaderOnRedelivery()
    {
        await LeaderAsync("leader-1", LinjiangTown);
        await LeaderAsync("leader-2", LinjiangTown);
        await EnrolledAsync(Guilin, 400);
        var (eventId, taken) = await TakeSnapshotAsync();

        _link.Down = true;
        // Not acknowledged: the Dapr way, HTTP 200 with status RETRY (the sidecar and the local relay retry it later).
        using (var refused = await CloudEventPoster.PostAsync(_http, EventTopics.QuotaWeeklySnapshotTaken, Linjiang, taken, eventId))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.IsSuccessStatusCode && body.Contains("\"RETRY\""), $"answered {(int)refused.StatusCode} {body} with quota-tracking down");
        }
        Assert.Empty(await BulletinsAsync());

        _link.Down = false;
        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaWeeklySnapshotTaken, Linjiang, taken, eventId);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaWeeklySnapshotTaken, Linjiang, taken, eventId);

        var expected = await ExpectedBodyAsync(taken.SnapshotDate);
        Assert.Equal([("leader-1", expected), ("leader-2", expected)], await BulletinsAsync());
    }

    [Fact]
    public async Task WeeklySnapshot_TownshipWithoutLeader_NothingSentEventAcknowledged()
    {
        await LeaderAsync("leader-elsewhere", "500118902");
        var (eventId, taken) = await TakeSnapshotAsync();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaWeeklySnapshotTaken, Linjiang, taken, eventId);

        Assert.Empty(await BulletinsAsync());
        await using var cmd = _db.Owner.CreateCommand($"SELECT count(*) FROM notification.inbox WHERE event_id = '{eventId}'");
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
    }
}
