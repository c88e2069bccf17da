namespace Medins.Notification.Channels;

/// <summary>The local and test channel: the stored message is the delivery, so it is sent the moment it is stored.</summary>
public sealed class LocalSinkChannel(TimeProvider time) : IMessageChannel
{
    public string Name => ChannelNames.LocalSink;

    public Task<DeliveryResult> SendAsync(OutgoingMessage message, CancellationToken ct) =>
        Task.FromResult(new DeliveryResult(MessageStatus.Sent, time.GetUtcNow()));
}
