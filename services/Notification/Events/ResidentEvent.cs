using Microsoft.Extensions.Logging;

namespace Medins.Notification.Events;

/// <summary>What an event must name to become a message; otherwise it is logged and acknowledged.</summary>
internal static class ResidentEvent
{
    /// <summary>Its data names the tenant it was delivered for (or none).</summary>
    public static bool SameTenant(ILogger logger, string topic, Guid eventId, string envelopeTenant, string dataTenant)
    {
        if (dataTenant.Length == 0 || dataTenant == envelopeTenant) return true;
        // A publisher bug: writing to either tenant's residents or officials could reach the wrong person.
        logger.LogError("No message for {Topic} event {EventId}: envelope tenant {EnvelopeTenant} differs from data tenant {DataTenant}",
            topic, eventId, envelopeTenant, dataTenant);
        return false;
    }

    /// <summary>The tenant matches and the event names a resident.</summary>
    public static bool Check(ILogger logger, string topic, Guid eventId, string envelopeTenant, string dataTenant, string residentId)
    {
        if (!SameTenant(logger, topic, eventId, envelopeTenant, dataTenant)) return false;
        if (string.IsNullOrWhiteSpace(residentId))
        {
            logger.LogWarning("No message for {Topic} event {EventId}: it names no resident", topic, eventId);
            return false;
        }
        return true;
    }
}
