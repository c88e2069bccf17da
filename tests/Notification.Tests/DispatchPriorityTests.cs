using Medins.Notification.Delivery;
using Medins.Notification.Channels;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Notification.Tests;

public sealed class DispatchPriorityTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private static readonly DateTimeOffset Morning = new(2023, 11, 20, 2, 0, 0, TimeSpan.Zero); // 10:00 in Beijing
    private readonly ScriptedSmsProvider _sms = new();
    private NotificationPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await NotificationPlatform.StartAsync(Morning,
            new Dictionary<string, string?> { ["Notification:Dispatcher:BatchSize"] = "1" },
            s => s.AddSingleton<IMessageProvider>(_sms));

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task DispatchDue_ReminderDueEarlierThanReceipt_ReceiptGoesFirst()
    {
        var reminded = await _platform.RegisterResidentAsync(Lidu, "500102901001", phone: "13900000001");
        var payer = await _platform.RegisterResidentAsync(Lidu, "500102901001", phone: "13900000002");
        await using (var cmd = _platform.Db.Owner.CreateCommand($"""
            INSERT INTO notification.messages (tenant_id, message_id, recipient_kind, recipient_id, template_key, channel, body,
                                               status, campaign_id, created_at, next_attempt_at)
            VALUES ('{Lidu}', gen_random_uuid(), 'RESIDENT', '{reminded}', 'reminder', 'SMS', '请缴费', 'PENDING', gen_random_uuid(),
                    '{Morning.AddHours(-1):O}', '{Morning.AddHours(-1):O}')
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        using var http = _platform.NotificationHttp();
        await CloudEventPoster.DeliverAsync(http, Medins.EventTopics.ContributionPaid, Lidu, new ContributionPaid
        {
            TenantId = Lidu, OrderId = "o-1", ResidentId = payer, CoverageYear = 2024, PersonalAmountFen = 38000,
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        });

        var dispatcher = _platform.Services.GetRequiredService<Dispatcher>();
        await dispatcher.DispatchDueAsync(CancellationToken.None);
        var first = Assert.Single(_sms.Calls).Address;
        await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Equal("13900000002", first);
        Assert.Equal(["13900000002", "13900000001"], _sms.Calls.Select(c => c.Address));
    }
}
