namespace Medins.Notification.Channels;

/// <summary>Channel names as stored in templates and messages: how a message reaches a person.</summary>
public static class ChannelNames
{
    public const string Sms = "SMS";
    public const string WeChat = "WECHAT";
    public const string Letter = "LETTER";
}

/// <summary>Message states as stored.</summary>
public static class MessageStatus
{
    public const string Pending = "PENDING";
    public const string Sent = "SENT";
    public const string Delivered = "DELIVERED";
    public const string Failed = "FAILED";
    public const string Skipped = "SKIPPED";
}

/// <summary>One message as a provider sends it.</summary>
/// <param name="Address">A mainland mobile number (11 digits) for SMS; the resident's openid for WeChat.</param>
/// <param name="Body">The rendered text; what the local sink keeps, and what the provider's template will show.</param>
/// <param name="ProviderTemplateId">The provider's approved template; empty for the local sink.</param>
/// <param name="ProviderParams">Provider parameter name and value, in the provider's order.</param>
public sealed record ProviderMessage(
    string TenantId,
    Guid MessageId,
    string Channel,
    string Address,
    string Body,
    string ProviderTemplateId,
    IReadOnlyList<KeyValuePair<string, string>> ProviderParams);

public enum SendOutcomeKind
{
    /// <summary>The provider took the message; a delivery receipt may follow.</summary>
    Accepted,
    /// <summary>Throttled, timed out or a provider fault: the same message may succeed later.</summary>
    RetryLater,
    /// <summary>It can never succeed as it is (bad number, user blocked, template not approved).</summary>
    Rejected,
}

public sealed record SendOutcome(SendOutcomeKind Kind, string? ProviderMessageId, string? Error, TimeSpan? RetryAfter = null)
{
    public static SendOutcome Accepted(string providerMessageId) => new(SendOutcomeKind.Accepted, providerMessageId, null);
    public static SendOutcome RetryLater(string error, TimeSpan? after = null) => new(SendOutcomeKind.RetryLater, null, error, after);
    public static SendOutcome Rejected(string error) => new(SendOutcomeKind.Rejected, null, error);
}

/// <summary>
/// A provider that carries one channel (Tencent Cloud SMS, the WeChat official account, or the local sink). The
/// dispatcher calls it outside any database transaction, after quiet hours, opt-out and the registry are checked,
/// and within the provider's rate limit. Implementations must not throw for provider answers: every answer is an
/// outcome; only cancellation escapes.
/// </summary>
public interface IMessageProvider
{
    /// <summary>Stored on each message it sends ("local-sink", "tencent-sms", "wechat-mp").</summary>
    string Name { get; }

    /// <summary>One of <see cref="ChannelNames"/>.</summary>
    string Channel { get; }

    Task<SendOutcome> SendAsync(ProviderMessage message, CancellationToken ct);
}

/// <summary>A provider's report on a message it accepted, matched by its message id.</summary>
public sealed record DeliveryReceipt(string Provider, string ProviderMessageId, bool Delivered, DateTimeOffset At, string? Error);

/// <summary>Records delivery receipts on the messages they name; unknown ids are ignored and counted.</summary>
public interface IDeliveryReceiptSink
{
    /// <returns>How many receipts matched a message.</returns>
    Task<int> ApplyAsync(IReadOnlyList<DeliveryReceipt> receipts, CancellationToken ct);
}

/// <summary>Forgets a WeChat binding the follower ended, for residents and officials of every tenant.</summary>
public interface IWeChatBindings
{
    /// <returns>How many bindings were removed.</returns>
    Task<int> UnbindAsync(string openId, CancellationToken ct);
}

/// <summary>Where an unsubscribe reply lands: every resident written to at the number is opted out of reminders.</summary>
public interface IReplyOptOuts
{
    /// <returns>How many residents were opted out.</returns>
    Task<int> OptOutRepliedAsync(byte[] addressHash, string source, CancellationToken ct);
}
