using Microsoft.Extensions.Logging;

namespace Medins.Notification.Events;

/// <summary>What a contribution event must name to become a message to a resident; otherwise it is logged and acknowledged.</summary>
internal static class ResidentEvent
{
    public static bool Check(ILogger logger, string topic, Guid eventId, string envelopeTenant, string dataTenant, string residentId)
    {
        if (dataTenant.Length > 0 && dataTenant != envelopeTenant)
        {
            // A publisher bug: writing to either tenant's resident could reach the wrong person.
            logger.LogError("No message for {Topic} event {EventId}: envelope tenant {EnvelopeTenant} differs from data tenant {DataTenant}",
                topic, eventId, envelopeTenant, dataTenant);
            return false;
        }
        if (string.IsNullOrWhiteSpace(residentId))
        {
            logger.LogWarning("No message for {Topic} event {EventId}: it names no resident", topic, eventId);
            return false;
        }
        return true;
    }
}
