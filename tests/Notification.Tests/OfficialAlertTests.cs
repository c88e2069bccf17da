using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests;

/// <summary>Alerts to village heads: a village behind the schedule (quota.behind-schedule) and a village agent's
/// unremitted cash (payment.cash-unremitted). The tests bring their own templates and officials.</summary>
public sealed class OfficialAlertTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaoyang = "he-gaoyang";
    private const string Guilin = "500118901202";
    private const string Gaotan = "500118901201";

    private const string BehindBody = "{village_name}：截至{snapshot_date}，{coverage_year}年度参保率{achieved_rate}，时序进度{target_rate}，落后{gap}，请抓紧动员。";
    private const string CashBody = "{village_name}代收员{agent_id}于{collection_date}代收现金{receipt_count}笔共{amount_yuan}元，逾时未缴存。";

    // Monday 20 Nov 2023, 09:30 in Beijing: outside every quiet hour.
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        // The tests' own officials are the only ones, whatever the demo city brings.
        await ExecuteAsOwnerAsync("DELETE FROM notification.officials");
        foreach (var tenant in new[] { Linjiang, Gaoyang })
        {
            await TemplateAsync(tenant, "behind-schedule-alert", BehindBody);
            await TemplateAsync(tenant, "cash-unremitted-alert", CashBody);
        }
        _host = new ServiceHost<Program>(_db, "notification", services: s => s.AddSingleton<TimeProvider>(_time));
        _http = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task ExecuteAsOwnerAsync(string sql, params object[] args)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new() { Value = arg });
        await cmd.ExecuteNonQueryAsync();
    }

    // A version above any the demo city ships, so it is the one in use.
    private Task TemplateAsync(string tenant, string key, string body) => ExecuteAsOwnerAsync(
        "INSERT INTO notification.templates (tenant_id, template_key, version, channel, body) VALUES ($1, $2, 90, 'SMS', $3)",
        tenant, key, body);

    private Task OfficialAsync(string tenant, string officialId, string villageCode, bool active = true) => ExecuteAsOwnerAsync("""
        INSERT INTO notification.officials (tenant_id, official_id, name, role, division_code, phone, active, update_time)
        VALUES ($1, $2, '村主任', 'VILLAGE_HEAD', $3, '13800000000', $4, now())
        """, tenant, officialId, villageCode, active);

    private sealed record OfficialMessage(string RecipientKind, string OfficialId, string Template, string Body, Guid? SourceEventId);

    private async Task<List<OfficialMessage>> MessagesAsync(string tenant)
    {
        await using var cmd = _db.Owner.CreateCommand("""
            SELECT recipient_kind, recipient_id, template_key, body, source_event_id FROM notification.messages
            WHERE tenant_id = $1 ORDER BY recipient_id, template_key
            """);
        cmd.Parameters.Add(new() { Value = tenant });
        var list = new List<OfficialMessage>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            list.Add(new OfficialMessage(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4)));
        return list;
    }

    private async Task<long> InboxCountAsync(Guid eventId)
    {
        await using var cmd = _db.Owner.CreateCommand($"SELECT count(*) FROM notification.inbox WHERE event_id = '{eventId}'");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static QuotaBehindSchedule Behind(string tenant, string village = Guilin, string name = "桂林村") => new()
    {
        TenantId = tenant,
        VillageCode = village,
        VillageName = name,
        CoverageYear = 2024,
        // Seed 002 §二(三): 20 Nov expects 3008 bp; 桂林村 700/2540 enrolled is 2755 bp.
        TargetRateBp = 3008,
        AchievedRateBp = 2755,
        GapBp = 253,
        SnapshotDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 20 },
    };

    private static CashUnremitted Cash(string tenant, string village = Guilin) => new()
    {
        TenantId = tenant,
        AgentId = "agent-07",
        VillageCode = village,
        CollectionDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 19 },
        UnremittedAmountFen = 114000,
        ReceiptCount = 3,
        CutoffTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2023, 11, 19, 9, 30, 0, TimeSpan.Zero)),
    };

    [Fact]
    public async Task BehindSchedule_VillageWithHeads_EachActiveHeadOfThatVillageGetsTheRenderedAlert()
    {
        await OfficialAsync(Linjiang, "head-guilin-1", Guilin);
        await OfficialAsync(Linjiang, "head-guilin-2", Guilin);
        await OfficialAsync(Linjiang, "head-guilin-retired", Guilin, active: false);
        await OfficialAsync(Linjiang, "head-gaotan", Gaotan);
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaBehindSchedule, Linjiang, Behind(Linjiang), eventId);

        const string body = "桂林村：截至2023-11-20，2024年度参保率27.55%，时序进度30.08%，落后2.53%，请抓紧动员。";
        Assert.Equal(
        [
            new OfficialMessage("OFFICIAL", "head-guilin-1", "behind-schedule-alert", body, eventId),
            new OfficialMessage("OFFICIAL", "head-guilin-2", "behind-schedule-alert", body, eventId),
        ], await MessagesAsync(Linjiang));
    }

    [Fact]
    public async Task BehindSchedule_SameEventTwice_OneMessagePerHead()
    {
        await OfficialAsync(Linjiang, "head-guilin-1", Guilin);
        await OfficialAsync(Linjiang, "head-guilin-2", Guilin);
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaBehindSchedule, Linjiang, Behind(Linjiang), eventId);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaBehindSchedule, Linjiang, Behind(Linjiang), eventId);

        Assert.Equal(["head-guilin-1", "head-guilin-2"], (await MessagesAsync(Linjiang)).Select(m => m.OfficialId));
    }

    [Fact]
    public async Task BehindSchedule_VillageWithoutActiveHead_NoMessageCountedAndEventAcknowledged()
    {
        await OfficialAsync(Linjiang, "head-guilin-retired", Guilin, active: false);
        await OfficialAsync(Linjiang, "head-gaotan", Gaotan);
        var unaddressed = NotificationMetrics.Unaddressed.WithLabels(Linjiang, "behind-schedule-alert");
        var before = unaddressed.Value;
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaBehindSchedule, Linjiang, Behind(Linjiang), eventId);

        Assert.Empty(await MessagesAsync(Linjiang));
        Assert.Equal(1L, await InboxCountAsync(eventId));
        Assert.Equal(before + 1, unaddressed.Value);
    }

    [Fact]
    public async Task BehindSchedule_SameVillageCodeInTwoTenants_OnlyTheEventsTenantsHead()
    {
        await OfficialAsync(Linjiang, "head-linjiang", Guilin);
        await OfficialAsync(Gaoyang, "head-gaoyang", Guilin);

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaBehindSchedule, Gaoyang, Behind(Gaoyang));

        Assert.Equal(["head-gaoyang"], (await MessagesAsync(Gaoyang)).Select(m => m.OfficialId));
        Assert.Empty(await MessagesAsync(Linjiang));
    }

    [Fact]
    public async Task BehindSchedule_DataNamesAnotherTenant_NoMessageInEither()
    {
        await OfficialAsync(Linjiang, "head-linjiang", Guilin);
        await OfficialAsync(Gaoyang, "head-gaoyang", Guilin);

        await CloudEventPoster.DeliverAsync(_http, EventTopics.QuotaBehindSchedule, Gaoyang, Behind(Linjiang));

        Assert.Empty(await MessagesAsync(Gaoyang));
        Assert.Empty(await MessagesAsync(Linjiang));
    }

    [Fact]
    public async Task CashUnremitted_VillageWithHeads_EachActiveHeadGetsAmountDayAndAgent()
    {
        await OfficialAsync(Linjiang, "head-guilin-1", Guilin);
        await OfficialAsync(Linjiang, "head-guilin-retired", Guilin, active: false);
        await OfficialAsync(Linjiang, "head-gaotan", Gaotan);
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.CashUnremitted, Linjiang, Cash(Linjiang), eventId);
        await CloudEventPoster.DeliverAsync(_http, EventTopics.CashUnremitted, Linjiang, Cash(Linjiang), eventId);

        // The event carries the village's code, not its name.
        Assert.Equal(
        [
            new OfficialMessage("OFFICIAL", "head-guilin-1", "cash-unremitted-alert",
                "500118901202代收员agent-07于2023-11-19代收现金3笔共1140.00元，逾时未缴存。", eventId),
        ], await MessagesAsync(Linjiang));
    }

    [Fact]
    public async Task CashUnremitted_VillageWithoutHead_NoMessageAndEventAcknowledged()
    {
        await OfficialAsync(Linjiang, "head-gaotan", Gaotan);
        var eventId = Guid.NewGuid();

        await CloudEventPoster.DeliverAsync(_http, EventTopics.CashUnremitted, Linjiang, Cash(Linjiang), eventId);

        Assert.Empty(await MessagesAsync(Linjiang));
        Assert.Equal(1L, await InboxCountAsync(eventId));
    }

    [Fact]
    public async Task CashUnremitted_OtherTenantsEvent_ThisTenantsHeadsGetNothing()
    {
        await OfficialAsync(Linjiang, "head-linjiang", Guilin);
        await OfficialAsync(Gaoyang, "head-gaoyang", Guilin);

        await CloudEventPoster.DeliverAsync(_http, EventTopics.CashUnremitted, Gaoyang, Cash(Gaoyang));

        Assert.Equal(["head-gaoyang"], (await MessagesAsync(Gaoyang)).Select(m => m.OfficialId));
        Assert.Empty(await MessagesAsync(Linjiang));
    }
}
