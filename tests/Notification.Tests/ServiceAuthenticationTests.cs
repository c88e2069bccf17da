using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Platform.Hosting.Messaging;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;

namespace Medins.Notification.Tests;

/// <summary>notification reached directly: headers publish no template, read no message, and a forged event sends nothing.</summary>
public sealed class ServiceAuthenticationTests : NotificationRpcHost
{
    private async Task<long> CountAsync(string table)
    {
        await using var cmd = Db.Owner.CreateCommand($"SELECT count(*) FROM notification.{table}");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static PublishTemplateRequest Template() => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        TemplateKey = "reminder",
        Channel = MessageChannel.Sms,
        Body = "{name}您好：{coverage_year}年度城乡居民医保缴费截至{deadline}。",
    };

    [Fact]
    public async Task PublishTemplate_ForgedTenantHeadersNoAssertion_UnauthenticatedAndNothingStored()
    {
        var before = await CountAsync("templates");
        var forged = new NotificationService.NotificationServiceClient(Host.AnonymousChannel());

        await ForgedCalls.AssertRefusedAsync(forged.PublishTemplateAsync(Template(), ForgedCalls.Metadata()).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Missing);

        Assert.Equal(before, await CountAsync("templates"));
        // With the gateway's assertion the same request is stored: the refusal was the assertion's.
        await Client(TenantA).PublishTemplateAsync(Template());
        Assert.Equal(before + 1, await CountAsync("templates"));
    }

    [Fact]
    public async Task TemplatesAndMessagesJson_ForgedHeadersNoAssertion_401AndNothingStored()
    {
        var before = await CountAsync("templates");
        using var http = ForgedCalls.With(Host.CreateClient());

        using var publish = await http.PostAsync("/v1/templates", new StringContent(
            """{"requestId":"forged-json","templateKey":"reminder","channel":"MESSAGE_CHANNEL_SMS","body":"x"}""", Encoding.UTF8, "application/json"));
        using var messages = await http.GetAsync("/v1/messages");

        await ForgedCalls.AssertRefusedAsync(publish, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(messages, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        Assert.Equal(before, await CountAsync("templates"));
    }

    [Fact]
    public async Task ContributionPaidEvent_UnsignedOrWrongPublisher_RefusedAndNoMessage()
    {
        var paid = new ContributionPaid
        {
            TenantId = TenantA,
            OrderId = Guid.NewGuid().ToString(),
            ResidentId = Guid.NewGuid().ToString(),
            VillageCode = "500102901001",
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = 38000,
            Channel = PaymentChannel.WechatPay,
            ChannelTransactionId = "forged",
            PaidTime = Timestamp.FromDateTimeOffset(Now),
        };
        using var http = Host.CreateClient();

        using var unsigned = await CloudEventPoster.PostRawAsync(http, EventTopics.ContributionPaid,
            CloudEventPoster.Envelope(EventTopics.ContributionPaid, TenantA, paid), null, ForgedCalls.Headers);
        using var wrongPublisher = await CloudEventPoster.PostAsync(http, EventTopics.ContributionPaid, TenantA, paid,
            publisher: "quota-tracking");

        await ForgedCalls.AssertRefusedAsync(unsigned, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(wrongPublisher, HttpStatusCode.Forbidden, EventDeliveryAuthenticator.PublisherNotAllowed);
        Assert.Equal(0, await CountAsync("inbox"));
        Assert.Equal(0, await CountAsync("messages"));
    }
}
