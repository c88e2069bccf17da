using Google.Protobuf.WellKnownTypes;
using Medins.Notification.Channels;
using Medins.Notification.Data;
using Medins.Notification.Delivery;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Notification.Tests;

/// <summary>
/// Two dispatcher replicas never send one message twice: a batch that outlives its lease re-checks the claim right
/// before each send, and leaves a message another replica has claimed since.
/// </summary>
public sealed class DispatcherLeaseTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string Village = "500102901001";
    private static readonly DateTimeOffset Morning = new(2023, 11, 20, 2, 0, 0, TimeSpan.Zero);
    private readonly SlowSmsProvider _sms = new();
    private NotificationPlatform _platform = null!;
    private HttpClient _http = null!;

    /// <summary>Records every call; the first one takes longer than the lease, while another replica claims what is free.</summary>
    private sealed class SlowSmsProvider : IMessageProvider
    {
        public List<Guid> Calls { get; } = [];
        public Func<Task>? DuringFirstSend { get; set; }
        public string Name => "slow-sms";
        public string Channel => ChannelNames.Sms;

        public async Task<SendOutcome> SendAsync(ProviderMessage message, CancellationToken ct)
        {
            Func<Task>? during;
            lock (Calls)
            {
                Calls.Add(message.MessageId);
                during = DuringFirstSend;
                DuringFirstSend = null;
            }
            if (during is not null) await during();
            return SendOutcome.Accepted("ok-" + message.MessageId.ToString("N"));
        }
    }

    public async Task InitializeAsync()
    {
        _platform = await NotificationPlatform.StartAsync(Morning, new Dictionary<string, string?>
        {
            ["Notification:Dispatcher:Concurrency"] = "1",
            ["Notification:Dispatcher:Lease"] = "00:02:00",
        }, s => s.AddSingleton<IMessageProvider>(_sms));
        _http = _platform.NotificationHttp();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _platform.DisposeAsync();
    }

    private Task ReceiptAsync(string residentId) =>
        CloudEventPoster.DeliverAsync(_http, Medins.EventTopics.ContributionPaid, Lidu, new ContributionPaid
        {
            TenantId = Lidu, OrderId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024, PersonalAmountFen = 38000,
            PaidTime = Timestamp.FromDateTimeOffset(_platform.Clock.GetUtcNow()), ReceiptNumber = "20240000000001",
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        });

    [Fact]
    public async Task Dispatch_BatchOutlivesItsLease_LeavesMessagesAnotherReplicaClaimed()
    {
        var first = await _platform.RegisterResidentAsync(Lidu, Village, phone: "13912340001");
        var second = await _platform.RegisterResidentAsync(Lidu, Village, phone: "13912340002");
        await ReceiptAsync(first);
        await ReceiptAsync(second);
        var store = _platform.Services.GetRequiredService<DeliveryStore>();
        IReadOnlyList<DueMessage> claimedByOther = [];
        _sms.DuringFirstSend = async () =>
        {
            // The first send takes three minutes; meanwhile the other replica claims whatever is no longer leased.
            _platform.Clock.Advance(TimeSpan.FromMinutes(3));
            claimedByOther = await store.ClaimDueAsync(_platform.Clock.GetUtcNow(), TimeSpan.FromMinutes(2), 10, CancellationToken.None);
        };

        await _platform.Services.GetRequiredService<Dispatcher>().DispatchDueAsync(CancellationToken.None);

        // This replica sent one message; the other one is the other replica's now, and was not sent here.
        var sentHere = Assert.Single(_sms.Calls);
        var taken = Assert.Single(claimedByOther, m => m.MessageId != sentHere);
        var pending = Assert.Single(await _platform.MessagesAsync(Lidu, residentId: taken.RecipientId));
        Assert.Equal(DeliveryStatus.Pending, pending.Status);

        // The other replica's lease ends unused; the next pass sends it, once.
        _platform.Clock.Advance(TimeSpan.FromMinutes(3));
        await _platform.RunDispatchPassAsync();
        Assert.Equal(2, _sms.Calls.Count);
        Assert.Equal(2, _sms.Calls.Distinct().Count());
        foreach (var resident in new[] { first, second })
            Assert.Equal(DeliveryStatus.Sent, Assert.Single(await _platform.MessagesAsync(Lidu, residentId: resident)).Status);
    }
}
