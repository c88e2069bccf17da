using Medins.Notification.Data;
using System.Globalization;
using Medins.Notification.Delivery;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Platform.Hosting.Messaging;
using Medins.Quota.V1;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>
/// A tenant's weekly snapshot sends each township's leaders the township's week from quota-tracking's bulletin. When
/// quota-tracking cannot answer the handler throws: the event is not acknowledged, nothing of it commits, and the
/// redelivery writes the bulletins once.
/// </summary>
public sealed class WeeklySnapshotHandler(QuotaBulletins bulletins, OfficialAlerts alerts) : IEventHandler<QuotaWeeklySnapshotTaken>
{
    private const int LaggingVillagesNamed = 3;

    /// <summary>The bulletin is asked for before the inbox transaction opens: no remote call runs inside one.</summary>
    public async Task<object?> PrepareAsync(InboundEvent<QuotaWeeklySnapshotTaken> evt, CancellationToken ct) =>
        evt.TenantId == evt.Data.TenantId || evt.Data.TenantId.Length == 0
            ? await bulletins.WeeklyAsync(evt.TenantId, evt.Data.CoverageYear, evt.Data.SnapshotDate, ct)
            : null;

    public async Task HandleAsync(InboundEvent<QuotaWeeklySnapshotTaken> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var taken = evt.Data;
        if (!alerts.SameTenant(evt.Topic, evt.Id, evt.TenantId, taken.TenantId)) return;
        var bulletin = evt.Prepared as GetWeeklyBulletinResponse
            ?? throw new InvalidOperationException($"The bulletin of event {evt.Id} was not fetched before its transaction.");
        foreach (var township in bulletin.Townships)
            await alerts.SendAsync(conn, tx, evt.TenantId, township.TownshipCode, OfficialRoles.TownshipLeader, TemplateKeys.WeeklyBulletin,
                Values(bulletin, township), evt.Id, ct);
    }

    public static Dictionary<string, string> Values(GetWeeklyBulletinResponse bulletin, TownshipWeek township)
    {
        var lagging = bulletin.Villages
            .Where(v => v.TownshipCode == township.TownshipCode && v.BehindSchedule)
            .OrderByDescending(v => v.GapBp).ThenBy(v => v.VillageCode, StringComparer.Ordinal)
            .Take(LaggingVillagesNamed)
            .Select(v => v.VillageName.Length > 0 ? v.VillageName : v.VillageCode)
            .ToList();
        var values = new Dictionary<string, string>
        {
            ["township_name"] = township.TownshipName.Length > 0 ? township.TownshipName : township.TownshipCode,
            ["coverage_year"] = bulletin.CoverageYear.ToString(CultureInfo.InvariantCulture),
            ["enrolled_count"] = MessageValues.Count(township.EnrolledCount),
            ["enrolled_this_week"] = MessageValues.Count(township.EnrolledThisWeek),
            // A township with no registered base has no rate; the bulletin says so rather than 0%.
            ["enrolment_rate"] = township.HasEnrolmentRateBp ? MessageValues.Percent(township.EnrolmentRateBp) : "—",
            ["villages_behind_schedule"] = MessageValues.Count(township.VillagesBehindSchedule),
            ["expected_rate"] = MessageValues.Percent(bulletin.ExpectedRateBp),
            ["lagging_villages"] = lagging.Count > 0 ? string.Join("、", lagging) : "无",
        };
        if (bulletin.SnapshotDate.ToDateOnly() is { } day) values["snapshot_date"] = MessageTemplate.Date(day);
        return values;
    }
}
