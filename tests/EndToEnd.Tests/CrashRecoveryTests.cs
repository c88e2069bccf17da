using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Npgsql;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// Processes killed with SIGKILL at awkward moments: after restart every committed payment is delivered to every
/// consumer, and none is applied twice.
/// </summary>
[Collection("platform processes")]
public sealed class CrashRecoveryTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    private const string ApiKey = "demo-linjiang-key";

    [Fact]
    public async Task Outbox_ProducerKilledBetweenCommitAndDelivery_EventDeliveredOnceAfterRestart()
    {
        // The relay is held back, so the payment commits with its event still in the outbox when the process dies.
        await platform.RestartAsync("payment-collection", new Dictionary<string, string> { ["Events__RelayEnabled"] = "false" });
        var village = await FirstVillageAsync();
        var before = (await ProgressAsync(village)).EnrolledCount;
        var (residentId, orderId) = await PayAsync(village, 1);

        var ofThisOrder = $"FROM payment_collection.outbox WHERE payload->>'orderId' = '{orderId}'";
        Assert.Equal(1L, await CountAsync($"SELECT count(*) {ofThisOrder} AND delivered_at IS NULL"));
        await platform["payment-collection"].KillAsync();
        Assert.Equal(0L, await CountAsync($"SELECT count(*) FROM quota_tracking.inbox WHERE event_id IN (SELECT event_id {ofThisOrder})"));

        await platform.RestartAsync("payment-collection");

        var progress = await ProgressEventuallyAsync(village, before + 1);
        Assert.Equal(before + 1, progress.EnrolledCount);
        await Task.Delay(TimeSpan.FromSeconds(2)); // room for a wrong second delivery to show up
        Assert.Equal(before + 1, (await ProgressAsync(village)).EnrolledCount);
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM identity_registry.enrolments WHERE order_id::text = '{orderId}'"));
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM notification.messages WHERE recipient_id = '{residentId}'"));
    }

    [Fact]
    public async Task Events_ProducerAndConsumersKilledMidStream_EveryPaymentAppliedExactlyOnce()
    {
        var village = await FirstVillageAsync();
        var before = (await ProgressAsync(village)).EnrolledCount;
        const int payments = 12;
        for (var i = 0; i < payments; i++)
        {
            if (i == 3)
            {
                await platform["quota-tracking"].KillAsync();
                await platform["notification"].KillAsync();
            }
            if (i == 7)
            {
                await platform.RestartAsync("quota-tracking");
                await platform.RestartAsync("notification");
            }
            await PayAsync(village, 100 + i);
            if (i == 9) await platform.RestartAsync("payment-collection"); // SIGKILL, then start again
        }

        var progress = await ProgressEventuallyAsync(village, before + payments, TimeSpan.FromSeconds(60));
        Assert.Equal(before + payments, progress.EnrolledCount);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(before + payments, (await ProgressAsync(village)).EnrolledCount);
        Assert.Equal(0L, await CountAsync("""
            SELECT count(*) FROM (SELECT source_event_id FROM notification.messages GROUP BY source_event_id HAVING count(*) > 1) dup
            """));
        // Subscribers that were down get their events when the relay's backoff next retries them.
        var undelivered = await CountAsync("SELECT count(*) FROM payment_collection.outbox WHERE delivered_at IS NULL");
        for (var waited = 0; undelivered > 0 && waited < 60; waited++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            undelivered = await CountAsync("SELECT count(*) FROM payment_collection.outbox WHERE delivered_at IS NULL");
        }
        Assert.Equal(0L, undelivered);
    }

    private async Task<string> FirstVillageAsync()
    {
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(platform.GatewayChannel(ApiKey));
        return (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.First(d => d.Level == DivisionLevel.Village).Code;
    }

    private async Task<(string ResidentId, string OrderId)> PayAsync(string village, int sequence)
    {
        var channel = platform.GatewayChannel(ApiKey);
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(channel);
        var resident = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = $"crash-register-{sequence}",
            NationalId = NationalIds.Make("500118", new DateOnly(1960, 1, 1).AddDays(sequence * 37), sequence),
            Name = $"居民{sequence}",
            VillageCode = village,
            RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(channel);
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = $"crash-order-{sequence}",
            ResidentId = resident.ResidentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.Alipay,
        })).Order;
        await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId,
            ChannelTransactionId = $"ali-{sequence}",
            AmountFen = order.PersonalAmountFen,
        });
        return (resident.ResidentId, order.OrderId);
    }

    private async Task<VillageProgress> ProgressAsync(string village)
    {
        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(platform.GatewayChannel(ApiKey));
        return (await quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;
    }

    private Task<VillageProgress> ProgressEventuallyAsync(string village, long expected, TimeSpan? timeout = null) =>
        RunningPlatform.EventuallyAsync(() => ProgressAsync(village), p => p.EnrolledCount >= expected, timeout);

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = platform.Database.Owner.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
