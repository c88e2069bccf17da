using System.Net;
using System.Text.Json;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Notification.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.EndToEnd.Tests;

/// <summary>Real processes are heavy on two cores: the end-to-end classes run one after another.</summary>
[CollectionDefinition("platform processes", DisableParallelization = true)]
public sealed class PlatformProcessesCollection;

[Collection("platform processes")]
public sealed partial class WalkingPathTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    [Fact]
    public async Task Payment_ThroughGateway_TravelsThroughAllFiveServices()
    {
        var linjiang = platform.GatewayChannel("demo-linjiang-key");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        var village = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.First(d => d.Level == DivisionLevel.Village);
        var nationalId = NationalIds.Make("500118", new DateOnly(1980, 5, 17), 124);

        // 1. Register a resident in a Linjiang village (identity-registry).
        var resident = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "e2e-register-1",
            NationalId = nationalId,
            Name = "王秀英",
            VillageCode = village.Code,
            HouseholdNumber = "HB-0001",
            RegistrationType = RegistrationType.HouseholdRegistered,
            Phone = "13800001234",
        })).Resident;
        Assert.DoesNotContain(nationalId, resident.NationalId);
        Assert.Equal(Sex.Female, resident.Sex);

        // 2. Quote her contribution (contribution-calculation): Chongqing tier 1, 380 yuan (seed 002 uses seed 000's tiers).
        var quote = (await new ContributionCalculationService.ContributionCalculationServiceClient(linjiang)
            .QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 })).Quote;
        Assert.Equal(38000, quote.PersonalAmountFen);

        // 3. Create and confirm a payment (payment-collection), replaying the creation once.
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(linjiang);
        var create = new CreatePaymentOrderRequest
        {
            RequestId = "e2e-order-1",
            ResidentId = resident.ResidentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.WechatPay,
        };
        var order = (await payments.CreatePaymentOrderAsync(create)).Order;
        Assert.Equal(order.OrderId, (await payments.CreatePaymentOrderAsync(create)).Order.OrderId);
        Assert.Equal(38000, order.PersonalAmountFen);
        var paid = (await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId,
            ChannelTransactionId = "wx-e2e-0001",
            AmountFen = 38000,
        })).Order;
        Assert.Equal(OrderState.Paid, paid.State);

        // 4. contribution.paid reaches the three consumers.
        var enrolled = await RunningPlatform.EventuallyAsync(
            async () => (await identity.GetResidentAsync(new GetResidentRequest { ResidentId = resident.ResidentId })).Resident,
            r => r.Enrolments.Any(e => e.CoverageYear == 2024 && e.Status == EnrolmentStatus.Enrolled));
        var enrolment = Assert.Single(enrolled.Enrolments, e => e.CoverageYear == 2024);
        Assert.Equal(EnrolmentStatus.Enrolled, enrolment.Status);
        Assert.Equal(order.OrderId, enrolment.OrderId);

        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(linjiang);
        var progress = await RunningPlatform.EventuallyAsync(
            async () => (await quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village.Code })).Progress,
            p => p.EnrolledCount >= 1);
        Assert.Equal(1, progress.EnrolledCount);
        Assert.Equal(38000, progress.CollectedAmountFen);

        var notification = new NotificationService.NotificationServiceClient(linjiang);
        var messages = await RunningPlatform.EventuallyAsync(
            async () => (await notification.ListMessagesAsync(new ListMessagesRequest { ResidentId = resident.ResidentId })).Messages,
            m => m.Count >= 1);
        var receipt = Assert.Single(messages);
        Assert.Contains("380.00", receipt.Body);
        Assert.DoesNotContain(nationalId, receipt.Body);
        // The dispatcher of the running notification process sends it (local sink) after asking the registry for
        // her phone number; the campaign day's clock stands in daytime, outside quiet hours.
        var sent = await RunningPlatform.EventuallyAsync(
            async () => (await notification.ListMessagesAsync(new ListMessagesRequest { ResidentId = resident.ResidentId })).Messages,
            m => m.Count == 1 && m[0].Status == DeliveryStatus.Sent);
        Assert.Equal(1, sent[0].Attempts);

        // 5. The JSON API through the gateway shows the same resident, ID masked.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{platform.Gateway.HttpAddress}/v1/residents/{resident.ResidentId}");
        request.Headers.Add("x-api-key", "demo-linjiang-key");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("resident");
        Assert.Equal(resident.ResidentId, json.GetProperty("residentId").GetString());
        Assert.DoesNotContain(nationalId, json.GetProperty("nationalId").GetString());
    }

    [Fact]
    public async Task Gateway_OtherTenantsCredential_CannotSeeTheResident()
    {
        var linjiang = new IdentityRegistryService.IdentityRegistryServiceClient(platform.GatewayChannel("demo-linjiang-key"));
        var village = (await linjiang.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.First(d => d.Level == DivisionLevel.Village);
        var resident = (await linjiang.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "e2e-register-isolation",
            NationalId = NationalIds.Make("500118", new DateOnly(1975, 2, 3), 311),
            Name = "李国强",
            VillageCode = village.Code,
            RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;

        var lidu = new IdentityRegistryService.IdentityRegistryServiceClient(platform.GatewayChannel("demo-lidu-key"));
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            lidu.GetResidentAsync(new GetResidentRequest { ResidentId = resident.ResidentId }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);

        var anonymous = new IdentityRegistryService.IdentityRegistryServiceClient(Grpc.Net.Client.GrpcChannel.ForAddress(platform.Gateway.GrpcAddress));
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            anonymous.GetResidentAsync(new GetResidentRequest { ResidentId = resident.ResidentId }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }
}
