using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

/// <summary>What the payment RPCs and the notice endpoint refuse as malformed, storing nothing but the rejected notice.</summary>
public sealed class InputValidationTests : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private async Task<PaymentOrder> CreateOrderAsync() =>
        (await _p.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = await _p.RegisterResidentAsync(Lidu, LiduVillage),
            CoverageYear = 2024,
            Channel = PaymentChannel.Alipay,
        })).Order;

    private Task<long> CountAsync(string table) => _p.ScalarAsync<long>($"SELECT count(*) FROM payment_collection.{table}");

    [Fact]
    public async Task ConfirmPayment_WithoutAmount_InvalidArgumentNothingStored()
    {
        var order = await CreateOrderAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "T-no-amount",
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("amount_fen", ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal(0, await CountAsync("payment_confirmations"));
        Assert.Equal(0, await CountAsync("payment_reviews"));
    }

    [Theory]
    [InlineData(-3600)]          // an hour before the order was created
    [InlineData(24 * 3600)]      // tomorrow
    public async Task ConfirmPayment_PaidTimeOutOfRange_InvalidArgumentOrderStillPayable(int secondsFromOrder)
    {
        var order = await CreateOrderAsync();
        var paidTime = Timestamp.FromDateTimeOffset(order.CreateTime.ToDateTimeOffset().AddSeconds(secondsFromOrder));

        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "T-bad-time", AmountFen = order.PersonalAmountFen, PaidTime = paidTime,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("paid_time", ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal(0, await CountAsync("payment_confirmations"));
        var paid = await _p.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "T-good-time", AmountFen = order.PersonalAmountFen,
            PaidTime = Timestamp.FromDateTimeOffset(_p.Clock.GetUtcNow()),
        });
        Assert.Equal(OrderState.Paid, paid.Order.State);
    }

    [Fact]
    public async Task GetPaymentOrder_NulInOrderId_InvalidCharactersFieldViolation()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _p.Client(Lidu).GetPaymentOrderAsync(
            new GetPaymentOrderRequest { OrderId = "a\0b" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_CHARACTERS", RpcErrors.ReasonOf(ex));
        Assert.Equal("order_id", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("1")]
    [InlineData("\"x\"")]
    public async Task BureauNotice_BodyNotAnObject_FailureAnswerAndKeptAsRejected(string body)
    {
        using var http = _p.PaymentHttpClient();

        using var response = await http.PostAsync("/channels/tax_e_bureau/notify", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"FAIL\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await _p.ScalarAsync<long>(
            "SELECT count(*) FROM payment_collection.rejected_channel_notices WHERE channel = 'tax_e_bureau' AND reason = 'MALFORMED_NOTICE'"));
    }
}
