using Medins.Identity.V1;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Notification.Tests;

/// <summary>identity-registry unreachable: messages wait and retry; none is sent to an address nobody checked.</summary>
public sealed class RegistryDownTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private static readonly DateTimeOffset Morning = new(2023, 11, 20, 2, 0, 0, TimeSpan.Zero); // 10:00 in Beijing
    private NotificationPlatform _platform = null!;

    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (identity-registry)");
    }

    public async Task InitializeAsync() =>
        _platform = await NotificationPlatform.StartAsync(Morning, services: s =>
            s.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>()
                .ConfigurePrimaryHttpMessageHandler(() => new Unreachable()));

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Dispatch_RegistryUnreachable_PendingWithBackoffAndError()
    {
        var resident = Guid.NewGuid().ToString();
        using var http = _platform.NotificationHttp();
        await CloudEventPoster.DeliverAsync(http, Medins.EventTopics.ContributionPaid, Lidu, new ContributionPaid
        {
            TenantId = Lidu, OrderId = "o-1", ResidentId = resident, CoverageYear = 2024, PersonalAmountFen = 38000,
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        });

        await _platform.RunDispatchPassAsync();

        var message = Assert.Single(await _platform.MessagesAsync(Lidu, residentId: resident));
        Assert.Equal((DeliveryStatus.Pending, 1), (message.Status, message.Attempts));
        Assert.StartsWith("identity-registry: ", message.LastError);
        Assert.Equal(Morning.AddSeconds(30), message.NextAttemptTime.ToDateTimeOffset());
    }
}
