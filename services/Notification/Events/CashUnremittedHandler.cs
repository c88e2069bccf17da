using Medins.Notification.Data;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A village agent's cash not deposited by the cut-off alerts the village's heads: who, which day, how much.</summary>
public sealed class CashUnremittedHandler(OfficialAlerts alerts) : IEventHandler<CashUnremitted>
{
    public async Task HandleAsync(InboundEvent<CashUnremitted> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var cash = evt.Data;
        if (!alerts.SameTenant(evt.Topic, evt.Id, evt.TenantId, cash.TenantId)) return;
        var values = new Dictionary<string, string>
        {
            // The event carries the village's code only; notification keeps no division names.
            ["village_name"] = cash.VillageCode,
            ["agent_id"] = cash.AgentId,
            ["amount_yuan"] = MessageTemplate.Yuan(cash.UnremittedAmountFen),
            ["receipt_count"] = MessageValues.Count(cash.ReceiptCount),
        };
        if (cash.CollectionDate.ToDateOnly() is { } day) values["collection_date"] = MessageTemplate.Date(day);
        await alerts.SendAsync(conn, tx, evt.TenantId, cash.VillageCode, OfficialRoles.VillageHead, TemplateKeys.CashUnremittedAlert,
            values, evt.Id, ct);
    }
}
