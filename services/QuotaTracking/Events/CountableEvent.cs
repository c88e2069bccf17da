using Microsoft.Extensions.Logging;

namespace Medins.QuotaTracking.Events;

/// <summary>
/// What a contribution event must name to move a village counter. An event that cannot be counted is logged and
/// acknowledged: retrying would never make it countable, and it stays in the publisher's outbox for inspection.
/// </summary>
internal static class CountableEvent
{
    public static bool Check(ILogger logger, string topic, Guid eventId, string envelopeTenant, string dataTenant,
        string villageCode, int coverageYear, string orderId)
    {
        if (dataTenant.Length > 0 && dataTenant != envelopeTenant)
        {
            // The envelope's tenant chose the row-level-security scope; a different tenant in the data is a
            // publisher bug, and counting it in either tenant could be wrong.
            logger.LogError("Not counting {Topic} event {EventId}: envelope tenant {EnvelopeTenant} differs from data tenant {DataTenant}",
                topic, eventId, envelopeTenant, dataTenant);
            return false;
        }
        if (string.IsNullOrWhiteSpace(villageCode) || coverageYear <= 0 || string.IsNullOrWhiteSpace(orderId))
        {
            logger.LogWarning("Not counting {Topic} event {EventId}: it names no village, coverage year or order", topic, eventId);
            return false;
        }
        return true;
    }
}
