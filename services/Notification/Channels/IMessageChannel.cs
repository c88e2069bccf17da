namespace Medins.Notification.Channels;

/// <summary>Channel names as stored in templates and messages.</summary>
public static class ChannelNames
{
    public const string Sms = "SMS";
    public const string WeChat = "WECHAT";
    public const string Letter = "LETTER";
    public const string LocalSink = "LOCAL_SINK";
}

/// <summary>Message states as stored.</summary>
public static class MessageStatus
{
    public const string Pending = "PENDING";
    public const string Sent = "SENT";
    public const string Failed = "FAILED";
}

public sealed record OutgoingMessage(string TenantId, Guid MessageId, string ResidentId, string TemplateKey, string Body);

public sealed record DeliveryResult(string Status, DateTimeOffset? SentAt);

/// <summary>
/// A way to reach a resident. It is called inside the event's inbox transaction, which suits the local sink; an
/// adapter that calls out over the network (SMS, WeChat) must not send from there, because a rolled-back
/// transaction would be redelivered and send twice: it should leave the message PENDING for a dispatcher.
/// </summary>
public interface IMessageChannel
{
    /// <summary>One of <see cref="ChannelNames"/>; templates choose their channel by this name.</summary>
    string Name { get; }

    Task<DeliveryResult> SendAsync(OutgoingMessage message, CancellationToken ct);
}
