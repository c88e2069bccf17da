using Medins.Notification.Data;
using System.Globalization;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Platform.Hosting.Messaging;
using Medins.Quota.V1;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A village trailing the schedule at a weekly snapshot alerts its heads with the target, the rate and the gap.</summary>
public sealed class QuotaBehindScheduleHandler(OfficialAlerts alerts) : IEventHandler<QuotaBehindSchedule>
{
    public async Task HandleAsync(InboundEvent<QuotaBehindSchedule> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var behind = evt.Data;
        if (!alerts.SameTenant(evt.Topic, evt.Id, evt.TenantId, behind.TenantId)) return;
        var values = new Dictionary<string, string>
        {
            ["village_name"] = behind.VillageName.Length > 0 ? behind.VillageName : behind.VillageCode,
            ["coverage_year"] = behind.CoverageYear.ToString(CultureInfo.InvariantCulture),
            ["target_rate"] = MessageValues.Percent(behind.TargetRateBp),
            ["achieved_rate"] = MessageValues.Percent(behind.AchievedRateBp),
            ["gap"] = MessageValues.Percent(behind.GapBp),
        };
        // Absent, the date stays absent, so a template needing it refuses to render instead of printing a blank.
        if (behind.SnapshotDate.ToDateOnly() is { } day) values["snapshot_date"] = MessageTemplate.Date(day);
        await alerts.SendAsync(conn, tx, evt.TenantId, behind.VillageCode, OfficialRoles.VillageHead, TemplateKeys.BehindScheduleAlert,
            values, evt.Id, ct);
    }
}
