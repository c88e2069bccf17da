using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Grpc;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.PaymentCollection.Tests.Reconciliation;

/// <summary>The arranged WeChat Pay day: its orders and the lines of its statement.</summary>
public sealed record WeChatDay(PaymentOrder Matched, PaymentOrder Differs, PaymentOrder Unlisted, StatementEntry[] Entries);

/// <summary>
/// The payment platform (real upstream services, real orders and confirmations) and a second payment-collection
/// instance on the same database and clock, reached as a named credential, for calling ReconciliationService.
/// </summary>
public sealed class ReconciliationHarness : IAsyncDisposable
{
    public const string Lidu = "cq-lidu";
    public const string Linjiang = "cq-linjiang";
    // A demo community of Lidu (services/Migrator/DemoCity/identity_registry.sql).
    public const string LiduVillage = "500102901001";
    public const string Clerk = "lidu-finance-clerk";
    public static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    // The campaign day the platform's clock starts on (PaymentPlatform.CampaignDay, 09:00 in Beijing).
    public static readonly DateOnly Day = new(2023, 11, 20);

    private ServiceHost<PaymentCollectionGrpcService> _host = null!;

    public PaymentPlatform Platform { get; private init; } = null!;

    public static async Task<ReconciliationHarness> StartAsync()
    {
        var platform = await PaymentPlatform.StartAsync();
        return new ReconciliationHarness
        {
            Platform = platform,
            _host = new ServiceHost<PaymentCollectionGrpcService>(platform.Db, "payment-collection",
                services: s => s.AddSingleton<TimeProvider>(platform.Clock)),
        };
    }

    public ReconciliationService.ReconciliationServiceClient Client(string tenant = Lidu, string client = Clerk) =>
        new(_host.Channel(tenant, client: client));

    public static DateTimeOffset At(DateOnly day, int hour, int minute = 0) =>
        new(day.ToDateTime(new TimeOnly(hour, minute)), Beijing);

    /// <summary>Moves the platform's clock forward to a Beijing time.</summary>
    public void MoveClockTo(DateOnly day, int hour, int minute = 0) => Platform.Clock.SetUtcNow(At(day, hour, minute));

    /// <summary>A new resident of Lidu with an order through <paramref name="channel"/>, not yet paid.</summary>
    public async Task<PaymentOrder> OrderAsync(PaymentChannel channel, int coverageYear = 2024)
    {
        var resident = await Platform.RegisterResidentAsync(Lidu, LiduVillage);
        return (await Platform.Client(Lidu).CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ResidentId = resident,
            CoverageYear = coverageYear,
            Channel = channel,
        })).Order;
    }

    /// <summary>An order the channel confirmed with <paramref name="transaction"/> at its price, paid now.</summary>
    public async Task<PaymentOrder> PaidOrderAsync(PaymentChannel channel, string transaction)
    {
        var order = await OrderAsync(channel);
        return await ConfirmAsync(order, transaction);
    }

    public async Task<PaymentOrder> ConfirmAsync(PaymentOrder order, string transaction) =>
        (await Platform.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId,
            ChannelTransactionId = transaction,
            AmountFen = order.PersonalAmountFen,
            PaidTime = Timestamp.FromDateTimeOffset(Platform.Clock.GetUtcNow()),
        })).Order;

    /// <summary>A notice for the order at a wrong amount: refused and queued for review.</summary>
    public async Task RefusedNoticeAsync(PaymentOrder order, string transaction, long amountFen)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => Platform.Client(Lidu).ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId,
            ChannelTransactionId = transaction,
            AmountFen = amountFen,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    public Task<ImportStatementResponse> ImportAsync(PaymentChannel channel, DateOnly day, byte[] content,
        string? requestId = null, string replaces = "", string tenant = Lidu) =>
        Client(tenant).ImportStatementAsync(new ImportStatementRequest
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(),
            Channel = channel,
            StatementDate = new Google.Type.Date { Year = day.Year, Month = day.Month, Day = day.Day },
            Content = ByteString.CopyFrom(content),
            ReplacesStatementId = replaces,
        }).ResponseAsync;

    public async Task<List<Discrepancy>> DiscrepanciesAsync(string statementId = "",
        DiscrepancyState state = DiscrepancyState.Unspecified, string tenant = Lidu) =>
        [.. (await Client(tenant).ListDiscrepanciesAsync(new ListDiscrepanciesRequest
        {
            StatementId = statementId,
            State = state,
            PageSize = 500,
        })).Discrepancies];

    public Task<ResolveDiscrepancyResponse> ResolveAsync(string discrepancyId, ResolutionAction action, string note = "核对无误",
        string? requestId = null, string client = Clerk) =>
        Client(client: client).ResolveDiscrepancyAsync(new ResolveDiscrepancyRequest
        {
            RequestId = requestId ?? Guid.NewGuid().ToString(),
            DiscrepancyId = discrepancyId,
            Action = action,
            Note = note,
        }).ResponseAsync;

    /// <summary>
    /// One WeChat Pay day in Lidu: a payment the statement matches, one it lists at another amount, one it omits,
    /// one notice the platform refused (held for review), a zero-contribution enrolment and an Alipay payment (both
    /// no business of WeChat Pay's statement), and a WeChat payment of the next morning.
    /// </summary>
    public async Task<WeChatDay> ArrangeWeChatDayAsync()
    {
        var matched = await PaidOrderAsync(PaymentChannel.WechatPay, "wx-matched");
        var differs = await PaidOrderAsync(PaymentChannel.WechatPay, "wx-differs");
        var unlisted = await PaidOrderAsync(PaymentChannel.WechatPay, "wx-unlisted");
        var held = await OrderAsync(PaymentChannel.WechatPay);
        await RefusedNoticeAsync(held, "wx-held", 3800);
        await PaidOrderAsync(PaymentChannel.Alipay, "ali-1");
        await Platform.PublishFlatPolicyAsync(Lidu, 2025, 0);
        var zero = await OrderAsync(PaymentChannel.WechatPay, coverageYear: 2025);
        Assert.Equal(OrderState.Paid, zero.State);
        MoveClockTo(Day.AddDays(1), 8);
        await PaidOrderAsync(PaymentChannel.WechatPay, "wx-next-day");
        MoveClockTo(Day.AddDays(1), 10);

        StatementEntry[] entries =
        [
            new(StatementLineKind.Payment, "wx-matched", matched.PersonalAmountFen, At(Day, 9, 1)) { MerchantOrderId = matched.OrderId },
            new(StatementLineKind.Payment, "wx-differs", matched.PersonalAmountFen - 3000, At(Day, 9, 2)),
            new(StatementLineKind.Payment, "wx-unknown", 38000, At(Day, 12)) { MerchantOrderId = "unknown-order" },
            new(StatementLineKind.Payment, "wx-held", 3800, At(Day, 9, 3)),
            new(StatementLineKind.Refund, "wx-matched", matched.PersonalAmountFen, At(Day, 15)) { RefundId = "wx-refund-1" },
        ];
        return new WeChatDay(matched, differs, unlisted, entries);
    }

    public Task<long> CountAsync(string table, string? where = null, params object[] args) =>
        Platform.ScalarAsync<long>($"SELECT count(*) FROM payment_collection.{table} {(where is null ? "" : "WHERE " + where)}", args);

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await Platform.DisposeAsync();
    }
}
