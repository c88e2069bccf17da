using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public sealed class UpstreamFailureTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE")]
    [InlineData(StatusCode.DeadlineExceeded, "UPSTREAM_UNAVAILABLE")]
    [InlineData(StatusCode.Internal, "UPSTREAM_FAILED")]
    [InlineData(StatusCode.Unimplemented, "UPSTREAM_FAILED")]
    public async Task CreatePaymentOrder_IdentityRegistryFails_UnavailableWithReasonAndNothingStored(StatusCode failure,
        string reason)
    {
        await using var p = await PaymentPlatform.StartAsync(identityRegistryFailure: failure);

        var ex = await Assert.ThrowsAsync<RpcException>(() => p.Client("cq-lidu").CreatePaymentOrderAsync(
            new CreatePaymentOrderRequest
            {
                RequestId = "req-1",
                ResidentId = Guid.NewGuid().ToString(),
                CoverageYear = 2024,
                Channel = PaymentChannel.BankCounter,
            }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(reason, RpcErrors.ReasonOf(ex));
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("identity-registry", info.Metadata["upstream"]);
        Assert.Equal(failure.ToString(), info.Metadata["upstream_code"]);
        Assert.DoesNotContain("   at ", ex.Status.Detail);
        // The failed call left no trace, so a retry with the same request id is a first call.
        Assert.Equal(0L, await p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.request_log"));
        Assert.Equal(0L, await p.ScalarAsync<long>("SELECT count(*) FROM payment_collection.payment_orders"));
    }
}
