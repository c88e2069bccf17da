using Medins.Notification.Data;
using System.Diagnostics;
using System.Threading.RateLimiting;
using Medins.Identity.V1;
using Medins.Notification.Channels;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Platform.Hosting.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Notification.Delivery;

public sealed class DispatcherOptions
{
    /// <summary>Off in tests that drive dispatching themselves.</summary>
    public bool Enabled { get; set; } = true;
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);
    public int BatchSize { get; set; } = 200;
    /// <summary>Provider calls in flight at once per replica.</summary>
    public int Concurrency { get; set; } = 8;
    /// <summary>How long a claimed message is held before another dispatcher may take it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Messages per second per channel and replica (SMS accounts and the WeChat API are rate-limited).</summary>
    public Dictionary<string, int> RatePerSecond { get; set; } = new(StringComparer.Ordinal)
    {
        [ChannelNames.Sms] = 50,
        [ChannelNames.WeChat] = 50,
        [ChannelNames.Letter] = 1000,
    };
    public TimeSpan RetryFirstDelay { get; set; } = RetrySchedule.Default.FirstDelay;
    public TimeSpan RetryMaxDelay { get; set; } = RetrySchedule.Default.MaxDelay;
    public int MaxAttempts { get; set; } = RetrySchedule.Default.MaxAttempts;
}

/// <summary>
/// Sends what is due. Seconds before the provider calls, once per batch and tenant: quiet hours again (settings may
/// have changed), opt-out again, and the registry for each resident's phone and state, so nobody dead, deregistered or
/// already enrolled (for reminders) is written to, and no phone number is kept here. Provider calls run outside any
/// transaction, within a per-channel rate limit, each only after re-checking this dispatcher still holds the message's
/// claim; transient failures back off and retry, then fail.
/// </summary>
public sealed class Dispatcher : IAsyncDisposable
{
    private readonly DeliveryStore _store;
    private readonly ResidentDirectory _directory;
    private readonly PlatformDatabase _db;
    private readonly TimeProvider _time;
    private readonly DispatcherOptions _options;
    private readonly RetrySchedule _retry;
    private readonly ILogger<Dispatcher> _logger;
    private readonly AddressHasher _addressHasher;
    private readonly Dictionary<string, IMessageProvider> _providers;
    private readonly Dictionary<string, RateLimiter> _limiters;

    public Dispatcher(DeliveryStore store, ResidentDirectory directory, PlatformDatabase db, IEnumerable<IMessageProvider> providers,
        TimeProvider time, IOptions<DispatcherOptions> options, AddressHasher addressHasher, ILogger<Dispatcher> logger)
    {
        _addressHasher = addressHasher;
        _store = store;
        _directory = directory;
        _db = db;
        _time = time;
        _options = options.Value;
        _retry = new RetrySchedule(_options.RetryFirstDelay, _options.RetryMaxDelay, _options.MaxAttempts);
        _logger = logger;
        // The last registration of a channel wins, so configuration can replace the local sink.
        _providers = providers.GroupBy(p => p.Channel).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        _limiters = _providers.Keys.ToDictionary(channel => channel, channel => (RateLimiter)new TokenBucketRateLimiter(
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, _options.RatePerSecond.GetValueOrDefault(channel, 50)),
                TokensPerPeriod = Math.Max(1, _options.RatePerSecond.GetValueOrDefault(channel, 50)),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            }), StringComparer.Ordinal);
    }

    /// <summary>Sends one batch of due messages; returns how many were handled.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var due = await _store.ClaimDueAsync(_time.GetUtcNow(), _options.Lease, _options.BatchSize, ct);
        // Quiet hours, preferences and officials are read once per tenant of the batch, a few seconds before the sends.
        var facts = new Dictionary<string, TenantFacts>(StringComparer.Ordinal);
        foreach (var tenant in due.GroupBy(m => m.TenantId))
            facts[tenant.Key] = await TenantFactsAsync(tenant.Key, tenant.ToList(), ct);
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = ct },
            async (message, token) =>
            {
                try
                {
                    await SendOneAsync(message, facts[message.TenantId], token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Left claimed: the lease ends and another pass retries it.
                    _logger.LogError(ex, "Dispatching message {MessageId} of {TenantId} failed", message.MessageId, message.TenantId);
                }
            });
        return due.Count;
    }

    private sealed record TenantFacts(QuietHours Quiet, IReadOnlyDictionary<string, ContactPreferenceRow> Preferences,
        IReadOnlyDictionary<string, OfficialRow> Officials, IReadOnlyDictionary<string, ResidentLookup> Residents);

    private async Task<TenantFacts> TenantFactsAsync(string tenantId, IReadOnlyList<DueMessage> messages, CancellationToken ct)
    {
        var residents = messages.Where(m => m.RecipientKind == RecipientKinds.Resident).Select(m => m.RecipientId).Distinct().ToList();
        var (quiet, preferences, officials) = await _db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var officials = new Dictionary<string, OfficialRow>(StringComparer.Ordinal);
            foreach (var id in messages.Where(m => m.RecipientKind == RecipientKinds.Official).Select(m => m.RecipientId).Distinct())
                if (await ContactBook.OfficialAsync(conn, tx, tenantId, id, ct) is { } official) officials[id] = official;
            return (await ContactBook.QuietHoursAsync(conn, tx, tenantId, ct),
                residents.Count == 0 ? new Dictionary<string, ContactPreferenceRow>()
                    : await ContactBook.PreferencesAsync(conn, tx, tenantId, residents, ct),
                officials);
        }, ct);
        // One registry call for the batch's residents of this tenant: phone numbers and state, just before sending.
        var lookups = residents.Count == 0 ? new Dictionary<string, ResidentLookup>()
            : await _directory.FindManyAsync(tenantId, residents, ct);
        return new TenantFacts(quiet, preferences, officials, lookups);
    }

    /// <summary>Dispatches until nothing is due now (tests, and catching up after an outage).</summary>
    public async Task<int> DrainAsync(CancellationToken ct)
    {
        var total = 0;
        int handled;
        while ((handled = await DispatchDueAsync(ct)) > 0) total += handled;
        return total;
    }

    private async Task SendOneAsync(DueMessage message, TenantFacts facts, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var quiet = facts.Quiet;
        var preference = facts.Preferences.GetValueOrDefault(message.RecipientId);
        var official = facts.Officials.GetValueOrDefault(message.RecipientId);
        if (quiet.IsQuiet(message.Channel, now))
        {
            await _store.RescheduleAsync(message, quiet.NextAllowed(message.Channel, now), error: null, attempted: false, ct);
            return;
        }

        string address;
        if (message.RecipientKind == RecipientKinds.Resident)
        {
            if (preference is not null && OptOut.Excludes(preference.OptOut, message.TemplateKey))
            {
                await SkipAsync(message, SkipReasons.OptedOut, ct);
                return;
            }
            switch (facts.Residents.GetValueOrDefault(message.RecipientId) ?? new ResidentLookup.Unknown())
            {
                case ResidentLookup.Unknown:
                    await SkipAsync(message, SkipReasons.UnknownResident, ct);
                    return;
                case ResidentLookup.Unavailable unavailable:
                    await RetryOrFailAsync(message, "registry", unavailable.Error, null, ct);
                    return;
                case ResidentLookup.Found(var resident):
                    if (ReasonNotToWrite(resident, message, MessageTemplate.ShanghaiDate(now)) is { } reason)
                    {
                        await SkipAsync(message, reason, ct);
                        return;
                    }
                    address = message.Channel == ChannelNames.WeChat ? preference?.WeChatOpenId ?? "" : resident.Phone;
                    break;
                default:
                    throw new UnreachableException();
            }
        }
        else
        {
            address = official is not { Active: true } ? ""
                : message.Channel == ChannelNames.WeChat ? official.WeChatOpenId : official.Phone;
        }
        if (string.IsNullOrWhiteSpace(address))
        {
            await SkipAsync(message, SkipReasons.NoContact, ct);
            return;
        }

        var provider = _providers[message.Channel];
        using var lease = await _limiters[message.Channel].AcquireAsync(1, ct);
        // A batch can outlive its lease (slow registry, rate limits): another replica may own the message by now.
        if (await _store.RenewClaimAsync(message, _time.GetUtcNow(), _options.Lease, ct) is not { } claimed)
        {
            _logger.LogInformation("Message {MessageId} of {TenantId} not sent: its claim ended and another dispatcher holds it",
                message.MessageId, message.TenantId);
            return;
        }
        message = claimed;
        var outgoing = new ProviderMessage(message.TenantId, message.MessageId, message.Channel, address, message.Body,
            message.ProviderTemplateId,
            message.ProviderParams.Zip(message.ProviderValues, KeyValuePair.Create).ToList());
        var started = Stopwatch.GetTimestamp();
        var outcome = await provider.SendAsync(outgoing, ct);
        NotificationMetrics.SendSeconds.WithLabels(provider.Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

        switch (outcome.Kind)
        {
            case SendOutcomeKind.Accepted:
                NotificationMetrics.Attempts.WithLabels(message.Channel, provider.Name, "accepted").Inc();
                NotificationMetrics.Finished.WithLabels(message.TenantId, message.Channel, "sent").Inc();
                await _store.MarkSentAsync(message, provider.Name, outcome.ProviderMessageId ?? message.MessageId.ToString("N"),
                    message.Channel == ChannelNames.Sms ? _addressHasher.Hash(address) : null, _time.GetUtcNow(), ct);
                break;
            case SendOutcomeKind.RetryLater:
                NotificationMetrics.Attempts.WithLabels(message.Channel, provider.Name, "retry").Inc();
                await RetryOrFailAsync(message, provider.Name, outcome.Error ?? "provider asked to retry", outcome.RetryAfter, ct);
                break;
            default:
                NotificationMetrics.Attempts.WithLabels(message.Channel, provider.Name, "rejected").Inc();
                NotificationMetrics.Finished.WithLabels(message.TenantId, message.Channel, "failed").Inc();
                _logger.LogWarning("Provider {Provider} rejected message {MessageId} of {TenantId}: {Error}",
                    provider.Name, message.MessageId, message.TenantId, outcome.Error);
                await _store.MarkFailedAsync(message, provider.Name, outcome.Error ?? "rejected", attempted: true, ct);
                break;
        }
    }

    /// <summary>Why this resident must not get this message now, or null.</summary>
    internal static string? ReasonNotToWrite(Resident resident, DueMessage message, DateOnly today)
    {
        if (resident.LifeEvents.Any(e => e.Kind == LifeEventKind.Death)) return SkipReasons.Deceased;
        if (resident.DeregisteredDate.ToDateOnly() is { } date && date <= today) return SkipReasons.Deregistered;
        if (TemplateKeys.IsReminder(message.TemplateKey) && message.CampaignYear is { } year
            && resident.Enrolments.Any(e => e.CoverageYear == year && e.Status == EnrolmentStatus.Enrolled))
            return SkipReasons.AlreadyEnrolled;
        if (TemplateKeys.IsReminder(message.TemplateKey) && message.CampaignYear is { } refundYear
            && resident.Enrolments.Any(e => e.CoverageYear == refundYear && e.ExcusedFromEnrolment))
            return SkipReasons.ExcusedByRefund;
        return null;
    }

    private async Task SkipAsync(DueMessage message, string reason, CancellationToken ct)
    {
        NotificationMetrics.Finished.WithLabels(message.TenantId, message.Channel, "skipped").Inc();
        await _store.MarkSkippedAsync(message, reason, ct);
    }

    private async Task RetryOrFailAsync(DueMessage message, string provider, string error, TimeSpan? retryAfter, CancellationToken ct)
    {
        if (_retry.DelayAfter(message.Attempts + 1, retryAfter) is { } delay)
        {
            await _store.RescheduleAsync(message, _time.GetUtcNow() + delay, error, attempted: true, ct);
            return;
        }
        NotificationMetrics.Finished.WithLabels(message.TenantId, message.Channel, "failed").Inc();
        _logger.LogWarning("Message {MessageId} of {TenantId} failed after {Attempts} attempts: {Error}",
            message.MessageId, message.TenantId, message.Attempts + 1, error);
        await _store.MarkFailedAsync(message, provider, error, attempted: true, ct);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var limiter in _limiters.Values) limiter.Dispose();
        return ValueTask.CompletedTask;
    }
}
