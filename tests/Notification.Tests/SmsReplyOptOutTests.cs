using System.Net;
using System.Text;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;

namespace Medins.Notification.Tests;

/// <summary>A resident who answers a message with "TD" (回复TD退订) gets no more reminders; receipts still come.</summary>
public sealed class SmsReplyOptOutTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string Token = "sms-callback-token-reply";
    private static readonly DateTimeOffset Morning = new(2023, 11, 20, 2, 0, 0, TimeSpan.Zero); // 10:00 in Beijing
    private NotificationPlatform _platform = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _platform = await NotificationPlatform.StartAsync(Morning,
            new Dictionary<string, string?> { ["Notification:TencentSms:CallbackToken"] = Token });
        _http = _platform.NotificationHttp();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _platform.DisposeAsync();
    }

    private async Task<string> ResidentWithSentReceiptAsync(string phone)
    {
        var resident = await _platform.RegisterResidentAsync(Lidu, "500102901001", phone: phone);
        await CloudEventPoster.DeliverAsync(_http, Medins.EventTopics.ContributionPaid, Lidu, new ContributionPaid
        {
            TenantId = Lidu, OrderId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024, PersonalAmountFen = 38000,
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        });
        await _platform.RunDispatchPassAsync();
        Assert.Equal(DeliveryStatus.Sent, Assert.Single(await _platform.MessagesAsync(Lidu, residentId: resident)).Status);
        return resident;
    }

    private Task<HttpResponseMessage> ReplyAsync(string mobile, string text, string token = Token) =>
        _http.PostAsync($"/providers/tencent-sms/replies?token={token}", new StringContent(
            $$"""{"extend":"","mobile":"{{mobile}}","nationcode":"86","sign":"李渡医保","text":"{{text}}","time":1700445600}""",
            Encoding.UTF8, "application/json"));

    private async Task<OptOutScope> OptOutOfAsync(string resident) =>
        (await _platform.Client(Lidu).GetContactPreferenceAsync(new GetContactPreferenceRequest { ResidentId = resident }))
            .Preference.OptOut;

    [Fact]
    public async Task Reply_TD_EveryResidentWrittenToAtThatNumberOptedOutOfReminders()
    {
        var replier = await ResidentWithSentReceiptAsync("13912345678");
        var sameNumber = await ResidentWithSentReceiptAsync("13912345678"); // a parent's phone on a child's record
        var other = await ResidentWithSentReceiptAsync("13987654321");

        using var response = await ReplyAsync("13912345678", " td ");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OptOutScope.Reminders, await OptOutOfAsync(replier));
        Assert.Equal(OptOutScope.Reminders, await OptOutOfAsync(sameNumber));
        Assert.Equal(OptOutScope.None, await OptOutOfAsync(other));
    }

    [Fact]
    public async Task Reply_OtherText_NothingChanges()
    {
        var resident = await ResidentWithSentReceiptAsync("13912345678");

        using var response = await ReplyAsync("13912345678", "已缴费，谢谢");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OptOutScope.None, await OptOutOfAsync(resident));
    }

    [Fact]
    public async Task Reply_WrongToken_ForbiddenAndNothingChanges()
    {
        var resident = await ResidentWithSentReceiptAsync("13912345678");

        using var response = await ReplyAsync("13912345678", "TD", token: "guess");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(OptOutScope.None, await OptOutOfAsync(resident));
    }

    [Fact]
    public async Task Reply_AlreadyOptedOutOfEverything_StaysOptedOutOfEverything()
    {
        var resident = await ResidentWithSentReceiptAsync("13912345678");
        await _platform.OptOutAsync(Lidu, resident, "ALL");

        await ReplyAsync("13912345678", "TD");

        Assert.Equal(OptOutScope.All, await OptOutOfAsync(resident));
    }
}
