using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;

namespace Medins.ChannelSimulation;

/// <summary>A payment as the provider holds it once the payer has paid.</summary>
public sealed record SimulatedPayment(SimulatedMerchant Merchant, string OutTradeNo, string TransactionId, long AmountFen,
    DateTimeOffset PaidAt)
{
    public string Channel => Merchant.Channel;
}

/// <summary>A notice exactly as the provider posts it: headers and the raw body the signature covers.</summary>
public sealed record SignedNotice(SimulatedPayment Payment, string ContentType, IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    public string Channel => Payment.Channel;
}

/// <summary>How the platform answered a notice, and whether the provider takes that as success (and stops retrying).</summary>
public sealed record NoticeResponse(HttpStatusCode Status, string Body, bool Acknowledged);

/// <summary>
/// The providers' side of every payment channel. It keeps the trades it was asked to open (prepay) or saw paid,
/// answers the adapters' API calls through <see cref="Handler"/> (point an adapter's HttpClient at it, with
/// <see cref="BaseAddress"/> as the channel's base address), and posts correctly signed notices to the platform's
/// notify endpoint — or duplicate, late, reordered, forged and tampered ones when a test asks. Time comes from the
/// given TimeProvider, so it agrees with the platform's (fake) clock.
/// </summary>
public sealed class ChannelSimulator
{
    private readonly ConcurrentDictionary<(string Channel, string MerchantId, string OutTradeNo), SimulatedTrade> _trades = new();
    private readonly Dictionary<string, IProviderSide> _providers;
    private readonly HttpClient _platform;

    /// <param name="platform">Reaches the platform's HTTP port (payment-collection's, or the gateway's): notices go to
    /// <c>channels/{channel}/notify</c> relative to its base address.</param>
    public ChannelSimulator(SimulatorSetup setup, TimeProvider time, HttpClient platform)
    {
        Setup = setup;
        Time = time;
        _platform = platform;
        var bureau = new BureauSide(this);
        _providers = new Dictionary<string, IProviderSide>(StringComparer.Ordinal)
        {
            ["wechat_pay"] = new WeChatPaySide(this),
            ["alipay"] = new AlipaySide(this),
            ["tax_e_bureau"] = bureau,
            ["yukuaiban"] = bureau,
            ["bank_counter"] = bureau,
            ["village_pos"] = bureau,
            ["school"] = bureau,
        };
        Handler = new ProviderApiHandler(this);
    }

    public SimulatorSetup Setup { get; }

    public TimeProvider Time { get; }

    /// <summary>Answers prepay and status queries of every channel as its provider would.</summary>
    public HttpMessageHandler Handler { get; }

    public static IReadOnlyList<string> Channels { get; } =
        ["wechat_pay", "alipay", "tax_e_bureau", "yukuaiban", "bank_counter", "village_pos", "school"];

    /// <summary>The base address an adapter of <paramref name="channel"/> must use to reach <see cref="Handler"/>.</summary>
    public static Uri BaseAddress(string channel) => new($"http://channel-simulator.invalid/{channel}/");

    /// <summary>The order number a provider is given for an order: its id's 32 hex digits.</summary>
    public static string OutTradeNoOf(Guid orderId) => orderId.ToString("N");

    /// <summary>Every trade the simulated providers hold, paid or not: what a statement file would list.</summary>
    public IReadOnlyCollection<SimulatedTrade> Trades => [.. _trades.Values];

    /// <summary>
    /// The payer pays the order at the channel (after a prepay, or by its number at a counter): the provider now
    /// holds <paramref name="amountFen"/> under a new transaction number.
    /// </summary>
    public SimulatedPayment Pay(string channel, string tenantId, Guid orderId, long amountFen, DateTimeOffset? paidAt = null) =>
        Pay(Setup.MerchantOf(channel, tenantId), OutTradeNoOf(orderId), amountFen, paidAt);

    public SimulatedPayment Pay(SimulatedMerchant merchant, string outTradeNo, long amountFen, DateTimeOffset? paidAt = null)
    {
        var payment = new SimulatedPayment(merchant, outTradeNo, NewTransactionId(merchant.Channel), amountFen,
            paidAt ?? Time.GetUtcNow());
        _trades.AddOrUpdate((merchant.Channel, merchant.MerchantId, outTradeNo),
            _ => new SimulatedTrade(merchant.Channel, merchant.MerchantId, outTradeNo, amountFen, TradeStates.Paid) { Payment = payment },
            (_, trade) => trade with { State = TradeStates.Paid, Payment = payment });
        return payment;
    }

    /// <summary>The provider's correctly signed notice of a payment, stamped now. <paramref name="status"/> defaults to
    /// the channel's success status (SUCCESS, TRADE_SUCCESS, PAID).</summary>
    public SignedNotice Notice(SimulatedPayment payment, string? status = null) =>
        Provider(payment.Channel).Notice(payment, status, Time.GetUtcNow());

    /// <summary>The same notice, signed with a key that is not the provider's (or the channel's).</summary>
    public SignedNotice Forge(SignedNotice notice) => Provider(notice.Channel).Forge(notice);

    /// <summary>The notice with its amount changed after it was signed (for WeChat Pay, re-encrypted with the APIv3
    /// key, as someone holding that key but not the platform key could).</summary>
    public SignedNotice TamperAmount(SignedNotice notice, long amountFen) => Provider(notice.Channel).TamperAmount(notice, amountFen);

    /// <summary>Posts one notice to the platform's notify endpoint.</summary>
    public async Task<NoticeResponse> SendAsync(SignedNotice notice, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"channels/{notice.Channel}/notify")
        {
            Content = new ByteArrayContent(notice.Body) { Headers = { { "Content-Type", notice.ContentType } } },
        };
        foreach (var (name, value) in notice.Headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await _platform.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        return new NoticeResponse(response.StatusCode, body, Provider(notice.Channel).IsAcknowledged(response.StatusCode, body));
    }

    /// <summary>Pays the order and notifies the platform once.</summary>
    public async Task<(SimulatedPayment Payment, NoticeResponse Response)> PayAndNotifyAsync(string channel, string tenantId,
        Guid orderId, long amountFen, CancellationToken ct = default)
    {
        var payment = Pay(channel, tenantId, orderId, amountFen);
        return (payment, await SendAsync(Notice(payment), ct));
    }

    /// <summary>Sends the same notice <paramref name="times"/> times, as a provider retrying on a lost answer does.</summary>
    public async Task<IReadOnlyList<NoticeResponse>> SendDuplicatesAsync(SignedNotice notice, int times, CancellationToken ct = default)
    {
        var responses = new List<NoticeResponse>();
        for (var i = 0; i < times; i++) responses.Add(await SendAsync(notice, ct));
        return responses;
    }

    /// <summary>Sends notices last first, as retries and parallel senders deliver them out of order.</summary>
    public async Task<IReadOnlyList<NoticeResponse>> SendReorderedAsync(IEnumerable<SignedNotice> notices, CancellationToken ct = default)
    {
        var responses = new List<NoticeResponse>();
        foreach (var notice in notices.Reverse()) responses.Add(await SendAsync(notice, ct));
        responses.Reverse();
        return responses;
    }

    /// <summary>Sends until the platform acknowledges, up to <paramref name="maxAttempts"/>, as providers retry.</summary>
    public async Task<NoticeResponse> DeliverAsync(SignedNotice notice, int maxAttempts = 5, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await SendAsync(notice, ct);
            if (response.Acknowledged || attempt >= maxAttempts) return response;
        }
    }

    internal IProviderSide Provider(string channel) =>
        _providers.GetValueOrDefault(channel) ?? throw new ArgumentException($"The simulator plays no channel '{channel}'.", nameof(channel));

    internal SimulatedTrade? Find(string channel, string merchantId, string outTradeNo) =>
        _trades.GetValueOrDefault((channel, merchantId, outTradeNo));

    /// <summary>Opens a trade on prepay; the same order number again gets the open trade back.</summary>
    internal SimulatedTrade Open(SimulatedMerchant merchant, string outTradeNo, long amountFen, string description) =>
        _trades.GetOrAdd((merchant.Channel, merchant.MerchantId, outTradeNo),
            _ => new SimulatedTrade(merchant.Channel, merchant.MerchantId, outTradeNo, amountFen, TradeStates.Pending)
            {
                Description = description,
                PayerCode = RandomNumberGenerator.GetHexString(20, lowercase: true),
            });

    // WeChat Pay's transaction_id and Alipay's trade_no are 28 digits; bureau channels use their own prefix.
    private static string NewTransactionId(string channel)
    {
        string Digits(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));
        return channel switch
        {
            "wechat_pay" => "4200" + Digits(24),
            "alipay" => "2023" + Digits(24),
            _ => channel.ToUpperInvariant().Replace("_", "") + Digits(20),
        };
    }
}

public static class TradeStates
{
    public const string Pending = "PENDING";
    public const string Paid = "PAID";
    public const string Closed = "CLOSED";
}

/// <summary>A trade the simulated provider holds.</summary>
public sealed record SimulatedTrade(string Channel, string MerchantId, string OutTradeNo, long AmountFen, string State)
{
    public string Description { get; init; } = "";
    /// <summary>What prepay handed the payer (the end of WeChat's code_url, Alipay's qr_code, a bureau pay_code).</summary>
    public string PayerCode { get; init; } = "";
    public SimulatedPayment? Payment { get; init; }
}

/// <summary>One provider's protocol: notices it sends, forgeries of them, and answers to the adapters' calls.</summary>
internal interface IProviderSide
{
    SignedNotice Notice(SimulatedPayment payment, string? status, DateTimeOffset now);
    SignedNotice Forge(SignedNotice notice);
    SignedNotice TamperAmount(SignedNotice notice, long amountFen);
    bool IsAcknowledged(HttpStatusCode status, string body);
    Task<HttpResponseMessage> AnswerAsync(string channel, HttpRequestMessage request, string path, byte[] body);
}
