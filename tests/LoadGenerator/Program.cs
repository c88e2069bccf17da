using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Medins.Identity.V1;
using Medins.LoadGenerator;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;

// Usage: LoadGenerator [--gateway http://127.0.0.1:5100] [--api-key demo-linjiang-key] [--region 500118]
//                      [--payments 2000] [--concurrency 16] [--timeout-seconds 300]
var options = LoadOptions.Parse(args);
using var channel = GrpcChannel.ForAddress(options.Gateway, new GrpcChannelOptions
{
    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
});
var invoker = channel.Intercept(m => { m.Add("x-api-key", options.ApiKey); return m; });
var identity = new IdentityRegistryService.IdentityRegistryServiceClient(invoker);
var payments = new PaymentCollectionService.PaymentCollectionServiceClient(invoker);
var quota = new QuotaTrackingService.QuotaTrackingServiceClient(invoker);

var villages = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
    .Divisions.Where(d => d.Level == DivisionLevel.Village).Select(d => d.Code).ToArray();
if (villages.Length == 0) { Console.Error.WriteLine("The tenant has no villages."); return 2; }
var before = await EnrolledAsync(quota, villages);

// Each run uses residents no earlier run registered: a random block of birth dates, 1000 sequence numbers each.
var run = Random.Shared.Next(0, 20_000);
var firstBirth = new DateOnly(1940, 1, 1).AddDays(run);
var stopwatch = Stopwatch.StartNew();
using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(options.TimeoutSeconds));

var register = await Phase.RunAsync(options.Payments, options.Concurrency, async i =>
{
    var nationalId = NationalIds.Make(options.Region, firstBirth.AddDays(i / 1000), i % 1000);
    var response = await identity.RegisterResidentAsync(new RegisterResidentRequest
    {
        RequestId = $"load-{run}-reg-{i}",
        NationalId = nationalId,
        Name = $"压测居民{i}",
        VillageCode = villages[i % villages.Length],
        RegistrationType = RegistrationType.HouseholdRegistered,
    }, cancellationToken: cts.Token);
    return response.Resident.ResidentId;
}, cts.Token);

var residentIds = register.Results;
var pay = await Phase.RunAsync(residentIds.Count, options.Concurrency, async i =>
{
    var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
    {
        RequestId = $"load-{run}-order-{i}",
        ResidentId = residentIds[i],
        CoverageYear = 2024,
        Channel = PaymentChannel.WechatPay,
    }, cancellationToken: cts.Token)).Order;
    await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
    {
        OrderId = order.OrderId,
        ChannelTransactionId = $"load-{run}-wx-{i}",
        AmountFen = order.PersonalAmountFen,
    }, cancellationToken: cts.Token);
    return order.OrderId;
}, cts.Token);

// Events drain: the quota counters must reach every payment made, once.
var paidCount = pay.Results.Count;
var drainWatch = Stopwatch.StartNew();
long enrolled;
do
{
    enrolled = await EnrolledAsync(quota, villages) - before;
    if (enrolled >= paidCount) break;
    await Task.Delay(100);
} while (drainWatch.Elapsed < TimeSpan.FromSeconds(options.TimeoutSeconds));

Console.WriteLine($"registrations: {register.Summary()}");
Console.WriteLine($"payments (create + confirm): {pay.Summary()}");
Console.WriteLine($"events drained to quota-tracking: {enrolled}/{paidCount} counted, {drainWatch.Elapsed.TotalSeconds:F1} s after the last payment");
Console.WriteLine($"payments_per_second={pay.PerSecond:F1}");
Console.WriteLine($"total {stopwatch.Elapsed.TotalSeconds:F1} s");
return enrolled == paidCount && register.Failures == 0 && pay.Failures == 0 ? 0 : 1;

static async Task<long> EnrolledAsync(QuotaTrackingService.QuotaTrackingServiceClient quota, string[] villages)
{
    long total = 0;
    var token = "";
    do
    {
        var page = await quota.ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = 2024, PageSize = 500, PageToken = token });
        total += page.Progress.Where(p => villages.Contains(p.VillageCode)).Sum(p => p.EnrolledCount);
        token = page.NextPageToken;
    } while (token != "");
    return total;
}
