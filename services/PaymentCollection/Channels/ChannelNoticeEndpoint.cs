using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Medins.PaymentCollection.Channels;

public static class ChannelNoticeEndpoint
{
    /// <summary>Where providers post notices: the channel code (as orders store it) names the adapter.</summary>
    public const string Route = "/channels/{channel}/notify";

    /// <summary>Maps the notify endpoint. Channels authenticate by signature: the endpoint never reads the
    /// gateway's tenant headers, it takes the tenant from the verified merchant account.</summary>
    public static IEndpointRouteBuilder MapChannelNotices(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, (string channel, HttpContext context, ChannelNoticeHandler handler) =>
            handler.HandleAsync(channel, context.Request, context.RequestAborted));
        return app;
    }
}

/// <summary>
/// Verifies a provider's notice with its adapter and applies it through the order book in the merchant's tenant.
/// The provider is told success only once the notice is committed (applied, queued for review, or kept as an
/// authentic notice no order can take); every other answer is a failure, so the provider sends it again.
/// </summary>
public sealed partial class ChannelNoticeHandler(
    PaymentChannelRegistry channels,
    PlatformDatabase db,
    OrderBook orders,
    ILogger<ChannelNoticeHandler> logger)
{
    /// <summary>Far above any provider's notice (a few kilobytes).</summary>
    public const int MaxBodyBytes = 64 * 1024;
    private const int MaxAttempts = 3;
    /// <summary>Far above any provider's transaction number (WeChat Pay's are 32 characters).</summary>
    private const int MaxTransactionIdLength = 128;

    public async Task<IResult> HandleAsync(string code, HttpRequest request, CancellationToken ct)
    {
        var channel = channels.Find(code);
        if (channel is null) return Results.NotFound();
        var receivedAt = orders.Now();

        var body = await ReadBodyAsync(request, ct);
        var tooLarge = body is null;
        body ??= [];
        try
        {
            var verification = tooLarge
                ? new NoticeVerification.Rejected(NoticeRejections.MalformedNotice, $"The body is larger than {MaxBodyBytes} bytes.")
                : channel.VerifyNotice(request.Headers, body);
            return verification switch
            {
                NoticeVerification.Rejected rejected => await RejectAsync(channel, rejected, body, tooLarge, receivedAt, ct),
                NoticeVerification.Ignored ignored => Ignore(channel, ignored),
                NoticeVerification.Verified verified => await ApplyAsync(channel, verified, body, receivedAt, ct),
                _ => throw new InvalidOperationException($"Unknown verification {verification.GetType().Name}."),
            };
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            ChannelMetrics.Notices.WithLabels(code, "error").Inc();
            LogNotKept(logger, ex, code);
            return channel.Answer(NoticeAnswer.Refused(StatusCodes.Status500InternalServerError,
                ErrorReasons.Code(ErrorReason.NotKept),
                "The notice could not be kept; send it again."));
        }
    }

    private async Task<IResult> RejectAsync(IPaymentChannel channel, NoticeVerification.Rejected rejected, byte[] body,
        bool tooLarge, DateTimeOffset receivedAt, CancellationToken ct)
    {
        var tenantId = rejected.Merchant?.TenantId;
        await StoreAsync(tenantId, Rejection(channel, rejected.Reason, rejected.Detail, authentic: false, body) with
        {
            MerchantId = rejected.Merchant?.MerchantId ?? rejected.ClaimedMerchantId,
            OutTradeNo = rejected.ClaimedOutTradeNo,
            ChannelTransactionId = rejected.ClaimedTransactionId,
            AmountFen = rejected.ClaimedAmountFen,
        }, receivedAt, ct);
        ChannelMetrics.Notices.WithLabels(channel.Code, rejected.Reason.ToLowerInvariant()).Inc();
        LogRejected(logger, channel.Code, rejected.Reason, tenantId ?? "-", rejected.Detail);
        var status = tooLarge ? StatusCodes.Status413PayloadTooLarge
            : rejected.Reason == NoticeRejections.MalformedNotice ? StatusCodes.Status400BadRequest
            : StatusCodes.Status401Unauthorized;
        return channel.Answer(NoticeAnswer.Refused(status, rejected.Reason, rejected.Detail));
    }

    private IResult Ignore(IPaymentChannel channel, NoticeVerification.Ignored ignored)
    {
        ChannelMetrics.Notices.WithLabels(channel.Code, "ignored").Inc();
        LogIgnored(logger, channel.Code, ignored.Merchant.TenantId, ignored.Status);
        return channel.Answer(NoticeAnswer.Accepted);
    }

    private async Task<IResult> ApplyAsync(IPaymentChannel channel, NoticeVerification.Verified verified, byte[] body,
        DateTimeOffset receivedAt, CancellationToken ct)
    {
        var tenantId = verified.Merchant.TenantId;
        var payment = verified.Payment;
        if (!OutTradeNo.TryParse(payment.OutTradeNo, out var orderId))
        {
            await StoreAsync(tenantId, Authentic(channel, NoticeRejections.UnknownOrder,
                "out_trade_no is not an order number this platform gave out.", verified, body), receivedAt, ct);
            return Kept(channel, NoticeRejections.UnknownOrder.ToLowerInvariant(), tenantId, orderId: null);
        }

        if (payment.TransactionId.Length > MaxTransactionIdLength || !RequestShape.IsStorable(payment.TransactionId))
            return await RejectAsync(channel, new NoticeVerification.Rejected(NoticeRejections.MalformedNotice,
                $"The transaction id is longer than {MaxTransactionIdLength} characters or holds characters text cannot store.")
            {
                Merchant = verified.Merchant,
                ClaimedOutTradeNo = payment.OutTradeNo,
                ClaimedTransactionId = payment.TransactionId,
                ClaimedAmountFen = payment.AmountFen,
            }, body, tooLarge: false, receivedAt, ct);

        var notice = new ConfirmationNotice(payment.TransactionId, payment.AmountFen,
            payment.PaidAt is { } paidAt ? Microseconds.Truncate(paidAt) : null) { Channel = channel.Code };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = await db.InTenantAsync(tenantId, async (conn, tx) =>
                {
                    // A household order's notice names the household order; the order book settles its members.
                    var (openedFor, createdAt) = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: false, ct) is { } order
                        ? (order.Channel, order.CreatedAt)
                        : await HouseholdOrderStore.FindAsync(conn, tx, tenantId, orderId, forUpdate: false, ct) is { } household
                            ? (household.Channel, household.CreatedAt)
                            : ((string?)null, default(DateTimeOffset));
                    if (openedFor is not null && openedFor != channel.Code)
                    {
                        await RejectedNoticeStore.RecordAsync(conn, tx, tenantId, Authentic(channel, NoticeRejections.ChannelMismatch,
                            $"Order {orderId} was opened for channel {openedFor}.", verified, body), receivedAt, ct);
                        return NoticeRejections.ChannelMismatch.ToLowerInvariant();
                    }
                    var applied = notice;
                    // The money of an authentic notice is real, so an impossible paid time (before the order, or in
                    // the future) does not refuse it: the time is not believed, and the order book uses the receipt time.
                    if (openedFor is not null && notice.ReportedPaidAt is { } reportedAt
                        && ReportedPaidTime.Problem(reportedAt, createdAt, receivedAt) is { } problem)
                    {
                        LogImplausiblePaidTime(logger, channel.Code, tenantId, orderId, problem);
                        applied = notice with { ReportedPaidAt = null };
                    }
                    var decision = await orders.ConfirmAsync(conn, tx, tenantId, orderId, applied, ct);
                    return decision is null ? PaymentOrderStore.OrderNotFoundOutcome : PaymentOrderStore.OutcomeCode(decision.Outcome);
                }, ct);
                if (outcome == PaymentOrderStore.OutcomeCode(ConfirmationOutcome.Confirmed) && notice.ReportedPaidAt is { } reported)
                    ChannelMetrics.ConfirmationLatency.WithLabels(channel.Code)
                        .Observe(Math.Max(0, (receivedAt - reported).TotalSeconds));
                return Kept(channel, outcome, tenantId, orderId);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // The person-year lock prevents almost every conflict; a fresh transaction decides the rest correctly.
                if (attempt < MaxAttempts) continue;
                ChannelMetrics.Notices.WithLabels(channel.Code, "error").Inc();
                LogConflict(logger, channel.Code, tenantId, orderId);
                return channel.Answer(NoticeAnswer.Refused(StatusCodes.Status503ServiceUnavailable,
                    ErrorReasons.Code(ErrorReason.ConcurrentConflict),
                    "A concurrent notice for the same order or person won; send this one again."));
            }
        }
    }

    private IResult Kept(IPaymentChannel channel, string outcome, string tenantId, Guid? orderId)
    {
        ChannelMetrics.Notices.WithLabels(channel.Code, outcome).Inc();
        LogApplied(logger, channel.Code, outcome, tenantId, orderId?.ToString() ?? "-");
        return channel.Answer(NoticeAnswer.Accepted);
    }

    private Task StoreAsync(string? tenantId, RejectedNotice notice, DateTimeOffset receivedAt, CancellationToken ct) =>
        tenantId is null
            // No tenant can be told from the notice: only system scope may write a row that belongs to none.
            ? db.InSystemScopeAsync(async (conn, tx) =>
            {
                await RejectedNoticeStore.RecordAsync(conn, tx, RejectedNoticeStore.Unattributed, notice, receivedAt, ct);
                return true;
            }, ct)
            : db.InTenantAsync(tenantId, async (conn, tx) =>
            {
                await RejectedNoticeStore.RecordAsync(conn, tx, tenantId, notice, receivedAt, ct);
                return true;
            }, ct);

    private static RejectedNotice Rejection(IPaymentChannel channel, string reason, string detail, bool authentic, byte[] body) =>
        new(channel.Code, reason, detail, authentic)
        {
            BodySha256 = ChannelCrypto.Sha256Hex(body),
            BodyLength = body.Length,
        };

    private static RejectedNotice Authentic(IPaymentChannel channel, string reason, string detail,
        NoticeVerification.Verified verified, byte[] body) =>
        Rejection(channel, reason, detail, authentic: true, body) with
        {
            MerchantId = verified.Merchant.MerchantId,
            OutTradeNo = verified.Payment.OutTradeNo,
            ChannelTransactionId = verified.Payment.TransactionId,
            AmountFen = verified.Payment.AmountFen,
        };

    /// <summary>The raw body, byte for byte as signed; null when it exceeds <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    // Notices carry payer details (WeChat openid, Alipay buyer ids): logs name the channel, merchant's tenant,
    // order id and outcome, never the body.
    [LoggerMessage(EventId = 1, EventName = "ChannelNoticeRejected", Level = LogLevel.Warning,
        Message = "Refused a {Channel} notice: {Reason} (tenant {Tenant}). {Detail}")]
    private static partial void LogRejected(ILogger logger, string channel, string reason, string tenant, string detail);

    [LoggerMessage(EventId = 2, EventName = "ChannelNoticeApplied", Level = LogLevel.Information,
        Message = "Kept a {Channel} notice: {Outcome} (tenant {Tenant}, order {OrderId}).")]
    private static partial void LogApplied(ILogger logger, string channel, string outcome, string tenant, string orderId);

    [LoggerMessage(EventId = 3, EventName = "ChannelNoticeIgnored", Level = LogLevel.Information,
        Message = "Acknowledged a {Channel} notice that reports no payment: status {Status} (tenant {Tenant}).")]
    private static partial void LogIgnored(ILogger logger, string channel, string tenant, string status);

    [LoggerMessage(EventId = 4, EventName = "ChannelNoticeNotKept", Level = LogLevel.Error,
        Message = "Could not keep a {Channel} notice; the provider was asked to send it again.")]
    private static partial void LogNotKept(ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = 6, EventName = "ChannelNoticeImplausiblePaidTime", Level = LogLevel.Warning,
        Message = "A {Channel} notice reports a paid time that {Problem} (tenant {Tenant}, order {OrderId}); the receipt time is used.")]
    private static partial void LogImplausiblePaidTime(ILogger logger, string channel, string tenant, Guid orderId, string problem);

    [LoggerMessage(EventId = 5, EventName = "ChannelNoticeConflict", Level = LogLevel.Warning,
        Message = "A {Channel} notice kept conflicting with concurrent ones (tenant {Tenant}, order {OrderId}); asked to retry.")]
    private static partial void LogConflict(ILogger logger, string channel, string tenant, Guid orderId);
}
