using System.Diagnostics;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Xunit.Abstractions;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// One consumer hangs (SIGSTOP: it accepts connections and answers nothing) while payments keep coming: the other
/// consumers keep applying them, and after it resumes every store agrees, with nothing applied twice.
/// </summary>
[Collection("platform processes")]
public sealed class SubscriberPauseTests(RunningPlatform platform, ITestOutputHelper output) : IClassFixture<RunningPlatform>
{
    private const string ApiKey = "demo-linjiang-key";
    private const int Payments = 30;

    [Fact]
    public async Task Events_NotificationPausedDuringPayments_OthersKeepApplyingAndAllStoresAgreeAfterResume()
    {
        var channel = platform.GatewayChannel(ApiKey);
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(channel);
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(channel);
        var village = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.First(d => d.Level == DivisionLevel.Village).Code;
        var before = (await ProgressAsync(village)).EnrolledCount;

        platform["notification"].Pause();
        var residents = new List<string>();
        var orders = new List<string>();
        try
        {
            for (var i = 0; i < Payments; i++)
            {
                var resident = (await RetryAsync(() => identity.RegisterResidentAsync(new RegisterResidentRequest
                {
                    RequestId = $"pause-register-{i}",
                    NationalId = NationalIds.Make("500118", new DateOnly(1950, 3, 1).AddDays(i * 41), 500 + i),
                    Name = $"居民{i}",
                    VillageCode = village,
                    RegistrationType = RegistrationType.HouseholdRegistered,
                }).ResponseAsync)).Resident;
                var order = (await RetryAsync(() => payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
                {
                    RequestId = $"pause-order-{i}",
                    ResidentId = resident.ResidentId,
                    CoverageYear = 2024,
                    Channel = PaymentChannel.WechatPay,
                }).ResponseAsync)).Order;
                var paid = (await RetryAsync(() => payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
                {
                    OrderId = order.OrderId,
                    ChannelTransactionId = $"wx-pause-{i}",
                    AmountFen = order.PersonalAmountFen,
                }).ResponseAsync)).Order;
                Assert.Equal(OrderState.Paid, paid.State);
                residents.Add(resident.ResidentId);
                orders.Add(order.OrderId);
            }
            var paidAt = Stopwatch.StartNew();

            // identity-registry and quota-tracking apply every payment while notification answers nothing.
            var enrolled = await RunningPlatform.EventuallyAsync(() => EnrolmentsAsync(orders), n => n == Payments);
            var progress = await RunningPlatform.EventuallyAsync(() => ProgressAsync(village), p => p.EnrolledCount == before + Payments);
            output.WriteLine($"while notification is paused: {Payments} payments applied by identity-registry and quota-tracking " +
                             $"{paidAt.Elapsed.TotalSeconds:0.0} s after the last payment");
            Assert.Equal(Payments, enrolled);
            Assert.Equal(before + Payments, progress.EnrolledCount);
            Assert.Equal(0L, await ReceiptsAsync(residents));
            // The hung consumer's deliveries fail by timeout, each an attempt of its own lane, and show in the backlog.
            var timedOut = await RunningPlatform.EventuallyAsync(() => CountAsync("""
                SELECT count(*) FROM payment_collection.outbox_delivery
                WHERE target = 'notification' AND attempts >= 1 AND last_error LIKE '%did not answer%'
                """), n => n > 0);
            Assert.True(timedOut > 0, "no delivery to the paused notification was counted as a failed attempt");
        }
        finally
        {
            platform["notification"].Resume();
        }

        var resumed = Stopwatch.StartNew();
        var receipts = await RunningPlatform.EventuallyAsync(() => ReceiptsAsync(residents), n => n == Payments, TimeSpan.FromSeconds(90));
        var owed = await RunningPlatform.EventuallyAsync(() => CountAsync("""
            SELECT count(*) FROM payment_collection.outbox_delivery
            WHERE target = 'notification' AND topic = 'contribution.paid' AND delivered_at IS NULL
            """), n => n == 0, TimeSpan.FromSeconds(90));
        output.WriteLine($"drain after resume: {Payments} receipts in {resumed.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(Payments, receipts);
        Assert.Equal(0L, owed);

        // Every store agrees: paid orders = enrolments = quota counts = receipts, each applied once.
        await Task.Delay(TimeSpan.FromSeconds(2)); // room for a late duplicate to show up
        Assert.Equal((long)Payments, await CountAsync(
            "SELECT count(*) FROM payment_collection.payment_orders WHERE order_id::text = ANY($1) AND state = 'paid'", orders));
        Assert.Equal(Payments, await EnrolmentsAsync(orders));
        Assert.Equal((long)Payments, await CountAsync(
            "SELECT count(*) FROM identity_registry.enrolments WHERE order_id = ANY($1)", orders));
        Assert.Equal((long)Payments, await CountAsync(
            "SELECT count(*) FROM quota_tracking.contribution_orders WHERE order_id = ANY($1) AND state = 'enrolled'", orders));
        Assert.Equal(before + Payments, (await ProgressAsync(village)).EnrolledCount);
        Assert.Equal((long)Payments, await ReceiptsAsync(residents));
        Assert.Equal((long)Payments, await CountAsync("""
            SELECT count(DISTINCT source_event_id) FROM notification.messages
            WHERE recipient_id = ANY($1) AND template_key = 'payment-receipt'
            """, residents));
        foreach (var consumer in new[] { "identity_registry", "quota_tracking", "notification" })
            Assert.Equal((long)Payments, await CountAsync($"""
                SELECT count(*) FROM {consumer}.inbox WHERE event_id IN (
                  SELECT event_id FROM payment_collection.outbox WHERE topic = 'contribution.paid' AND payload->>'orderId' = ANY($1))
                """, orders));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM payment_collection.dead_letter"));
    }

    /// <summary>What an integrator does with UNAVAILABLE ("retry later with the same request"): the same request again.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }

    private async Task<VillageProgress> ProgressAsync(string village)
    {
        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(platform.GatewayChannel(ApiKey));
        return (await quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;
    }

    private async Task<int> EnrolmentsAsync(List<string> orders) => (int)await CountAsync(
        "SELECT count(*) FROM identity_registry.enrolments WHERE order_id = ANY($1) AND status = 'enrolled'", orders);

    private Task<long> ReceiptsAsync(List<string> residents) => CountAsync(
        "SELECT count(*) FROM notification.messages WHERE recipient_id = ANY($1) AND template_key = 'payment-receipt'", residents);

    private async Task<long> CountAsync(string sql, List<string>? values = null)
    {
        await using var cmd = platform.Database.Owner.CreateCommand(sql);
        if (values is not null) cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = values.ToArray() });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
