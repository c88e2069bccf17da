using System.Net;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Medins.Platform.Hosting.Messaging;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// payment-collection reached directly: without an assertion nobody is a tenant, whatever headers say; with one, its
/// calls to identity-registry and contribution-calculation carry its own assertion and the caller's.
/// </summary>
public sealed class ServiceAuthenticationTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;
    private string _resident = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _resident = await _p.RegisterResidentAsync(Lidu, LiduVillage);
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private CreatePaymentOrderRequest Request() => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        ResidentId = _resident,
        CoverageYear = 2024,
        Channel = PaymentChannel.WechatPay,
        Tier = 2,
    };

    private Task<long> OrdersAsync() => _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_orders");

    [Fact]
    public async Task CreatePaymentOrder_ForgedTenantHeadersNoAssertion_UnauthenticatedAndNoOrder()
    {
        var forged = new PaymentCollectionService.PaymentCollectionServiceClient(_p.PaymentHost.AnonymousChannel());

        await ForgedCalls.AssertRefusedAsync(forged.CreatePaymentOrderAsync(Request(), ForgedCalls.Metadata()).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Missing);

        Assert.Equal(0, await OrdersAsync());
    }

    [Fact]
    public async Task CreatePaymentOrder_NoAssertion_RefusalCarriesZhCnTextOverGrpcAndJson()
    {
        var forged = new PaymentCollectionService.PaymentCollectionServiceClient(_p.PaymentHost.AnonymousChannel());
        using var http = ForgedCalls.With(_p.PaymentHttpClient());

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            forged.CreatePaymentOrderAsync(Request(), ForgedCalls.Metadata()).ResponseAsync);
        using var json = await http.PostAsync("/v1/paymentOrders", new StringContent("{}", Encoding.UTF8, "application/json"));
        var body = await json.Content.ReadAsStringAsync();

        var clerk = Google.Rpc.LocalizedMessage.Parser.ParseFrom(ex.GetRpcStatus()!.Details
            .Single(d => d.Is(Google.Rpc.LocalizedMessage.Descriptor)).Value);
        Assert.Equal("zh-CN", clerk.Locale);
        Assert.Equal(Medins.Platform.Hosting.ClerkMessages.ByReason[AssertionReasons.Missing], clerk.Message);
        Assert.Equal(HttpStatusCode.Unauthorized, json.StatusCode);
        Assert.Contains("type.googleapis.com/google.rpc.LocalizedMessage", body);
        Assert.Contains(clerk.Message, body);
    }

    [Fact]
    public async Task CreatePaymentOrder_CallerAssertion_PricedThroughIdentityRegistryAndCalculationOnItsBehalf()
    {
        // payment-collection reads the resident and quotes her with its own assertion and the caller's.
        var order = (await _p.Client(Lidu).CreatePaymentOrderAsync(Request())).Order;

        Assert.Equal(75500, order.PersonalAmountFen); // seed 000 (Lidu) §2: tier 2, 755 yuan
        Assert.Equal(1, await OrdersAsync());
    }

    [Fact]
    public async Task PaymentOrdersJson_ForgedTenantHeadersNoAssertion_401AndNothingPaid()
    {
        var order = (await _p.Client(Lidu).CreatePaymentOrderAsync(Request())).Order;
        using var http = ForgedCalls.With(_p.PaymentHttpClient());

        using var create = await http.PostAsync("/v1/paymentOrders", new StringContent(
            $$"""{"requestId":"{{Guid.NewGuid()}}","residentId":"{{_resident}}","coverageYear":2024,"channel":"PAYMENT_CHANNEL_WECHAT_PAY","tier":2}""",
            Encoding.UTF8, "application/json"));
        using var confirm = await http.PostAsync($"/v1/paymentOrders/{order.OrderId}:confirm", new StringContent(
            $$"""{"requestId":"{{Guid.NewGuid()}}","orderId":"{{order.OrderId}}","channelTransactionId":"made-up-4200000001","amountFen":75500}""",
            Encoding.UTF8, "application/json"));

        await ForgedCalls.AssertRefusedAsync(create, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(confirm, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        Assert.Equal(1, await OrdersAsync());
        Assert.Equal(0, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_orders WHERE state <> 'created'"));
        Assert.Empty(await _p.ContributionPaidEventsAsync());
    }

    [Fact]
    public async Task IdentityCertifiedEvent_UnsignedOrFromAnotherPublisher_RefusedAndNothingApplied()
    {
        using var http = _p.PaymentHttpClient();
        var certified = new IdentityCertified { TenantId = Lidu, ResidentId = _resident };
        var body = CloudEventPoster.Envelope(EventTopics.IdentityCertified, Lidu, certified);

        using var unsigned = await CloudEventPoster.PostRawAsync(http, EventTopics.IdentityCertified, body, null, ForgedCalls.Headers);
        using var wrongPublisher = await CloudEventPoster.PostAsync(http, EventTopics.IdentityCertified, Lidu, certified,
            publisher: "quota-tracking");

        await ForgedCalls.AssertRefusedAsync(unsigned, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(wrongPublisher, HttpStatusCode.Forbidden, EventDeliveryAuthenticator.PublisherNotAllowed);
        Assert.Equal(0, await _p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.inbox"));
    }
}
