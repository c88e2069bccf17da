using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Http;

namespace Medins.PaymentCollection.Channels;

/// <summary>The channel codes (as payment orders store them) that confirm payments through a provider's notices.</summary>
public static class PaymentChannels
{
    public const string WeChatPay = "wechat_pay";
    public const string Alipay = "alipay";

    /// <summary>Channels without a public API: they follow the bureau collection notice (README).</summary>
    public static readonly IReadOnlyList<string> Bureau = ["tax_e_bureau", "yukuaiban", "bank_counter", "village_pos", "school"];

    public static readonly IReadOnlySet<string> WithAdapter = new SortedSet<string>([WeChatPay, Alipay, .. Bureau], StringComparer.Ordinal);
}

/// <summary>
/// One payment channel as its provider documents it: prepay (the provider's order for a payment order), notice
/// verification (a signed notice in, a verified payment or a rejection out) and status query. Adapters keep no
/// state and never touch the database: the notify endpoint applies what they verify through the order book.
/// </summary>
public interface IPaymentChannel
{
    /// <summary>The channel code, as payment orders store it.</summary>
    string Code { get; }

    ChannelAccount Account { get; }

    /// <summary>Asks the provider to open a payment for an order; returns what the payer needs to pay it.</summary>
    /// <exception cref="RuleViolation">The provider refused, was unreachable or answered unsigned.</exception>
    Task<PrepayResult> PrepayAsync(ChannelMerchant merchant, PrepayRequest request, CancellationToken ct);

    /// <summary>Checks a notice's signature and reads it. Never throws for anything a sender controls.</summary>
    NoticeVerification VerifyNotice(IHeaderDictionary headers, ReadOnlyMemory<byte> body);

    /// <summary>Asks the provider where a payment stands (for a notice that never came).</summary>
    /// <exception cref="RuleViolation">The provider refused, was unreachable or answered unsigned.</exception>
    Task<TradeStatus> QueryAsync(ChannelMerchant merchant, string outTradeNo, CancellationToken ct);

    /// <summary>The provider's documented answer to a notice: success stops its retries, failure makes it retry.</summary>
    IResult Answer(NoticeAnswer answer);
}

/// <summary>What a provider is asked to collect: the order's number at the provider, the amount, and until when.</summary>
public sealed record PrepayRequest(string OutTradeNo, long AmountFen, string Description, DateTimeOffset ExpiresAt);

/// <summary>
/// What the payer needs: WeChat Pay's <c>code_url</c> and Alipay's <c>qr_code</c> (shown as QR codes), or a bureau
/// channel's <c>pay_code</c> (typed in at a counter, POS or app).
/// </summary>
public sealed record PrepayResult(string OutTradeNo, string PayerCode);

/// <summary>A payment as a provider reports it, signature verified.</summary>
public sealed record ChannelPayment(string OutTradeNo, string TransactionId, long AmountFen, DateTimeOffset? PaidAt);

public enum TradeState
{
    /// <summary>Opened, not paid yet.</summary>
    Pending,
    Paid,
    /// <summary>Closed unpaid (or refunded): the provider holds no money for it.</summary>
    Closed,
    /// <summary>The provider has no such trade.</summary>
    NotFound,
}

public sealed record TradeStatus(TradeState State, ChannelPayment? Payment);

/// <summary>Why a notice is refused; each is stored with the notice and named in the failure answer.</summary>
public static class NoticeRejections
{
    public static readonly string BadSignature = ErrorReasons.Code(ErrorReason.BadSignature);
    public static readonly string MalformedNotice = ErrorReasons.Code(ErrorReason.MalformedNotice);
    public static readonly string UnknownMerchant = ErrorReasons.Code(ErrorReason.UnknownMerchant);
    /// <summary>The signed timestamp is outside the channel's window: a captured notice replayed later.</summary>
    public static readonly string StaleNotice = ErrorReasons.Code(ErrorReason.StaleNotice);
    /// <summary>Authentic, but its out_trade_no is not an order number this platform gave out.</summary>
    public static readonly string UnknownOrder = ErrorReasons.Code(ErrorReason.UnknownOrder);
    /// <summary>Authentic, but for an order opened for another channel.</summary>
    public static readonly string ChannelMismatch = ErrorReasons.Code(ErrorReason.ChannelMismatch);
}

/// <summary>What a notice turned out to be.</summary>
public abstract record NoticeVerification
{
    /// <summary>A signed payment notice from the provider for one of our merchant accounts.</summary>
    public sealed record Verified(ChannelMerchant Merchant, ChannelPayment Payment) : NoticeVerification;

    /// <summary>Authentic, but not a payment (for example an Alipay TRADE_CLOSED): acknowledged, nothing changes.</summary>
    public sealed record Ignored(ChannelMerchant Merchant, string Status) : NoticeVerification;

    /// <summary>
    /// Refused. <see cref="Merchant"/> is the account the notice names (unverified unless the reason says the
    /// notice is authentic); the claimed fields are kept as read, for whoever investigates.
    /// </summary>
    public sealed record Rejected(string Reason, string Detail) : NoticeVerification
    {
        public ChannelMerchant? Merchant { get; init; }
        public string? ClaimedMerchantId { get; init; }
        public string? ClaimedOutTradeNo { get; init; }
        public string? ClaimedTransactionId { get; init; }
        public long? ClaimedAmountFen { get; init; }
    }
}

/// <summary>How the notify endpoint answers the provider.</summary>
public sealed record NoticeAnswer(bool Success, int FailureStatus = StatusCodes.Status400BadRequest, string Reason = "",
    string Message = "")
{
    public static readonly NoticeAnswer Accepted = new(true);

    public static NoticeAnswer Refused(int status, string reason, string message) => new(false, status, reason, message);
}

/// <summary>
/// A call to a provider failed, as a refusal (<see cref="RuleViolation"/>) whose reason says how: CHANNEL_UNAVAILABLE
/// and CHANNEL_BAD_RESPONSE are worth retrying later (UNAVAILABLE), CHANNEL_REFUSED and CHANNEL_NOT_CONFIGURED are not
/// (FAILED_PRECONDITION). Its facts name the channel.
/// </summary>
public static class ChannelCallFailure
{
    public static RuleViolation Of(string channel, ErrorReason reason, string message, Exception? inner = null) =>
        new(reason, reason is ErrorReason.ChannelUnavailable or ErrorReason.ChannelBadResponse
                ? RefusalStatus.Unavailable
                : RefusalStatus.FailedPrecondition,
            $"{channel}: {message}", new Dictionary<string, string> { ["channel"] = channel }, inner: inner);
}
