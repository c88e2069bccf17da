namespace Medins.Notification.Channels;

/// <summary>
/// The local and test provider for a channel: the stored message is the delivery (its body is exactly what would
/// have been sent), so it is accepted at once under a made-up provider id.
/// </summary>
public sealed class LocalSinkProvider(string channel) : IMessageProvider
{
    public const string ProviderName = "local-sink";

    public string Name => ProviderName;

    public string Channel => channel;

    public Task<SendOutcome> SendAsync(ProviderMessage message, CancellationToken ct) =>
        Task.FromResult(SendOutcome.Accepted($"sink-{message.MessageId:N}"));
}
