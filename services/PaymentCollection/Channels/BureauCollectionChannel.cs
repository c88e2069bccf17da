using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Http;

namespace Medins.PaymentCollection.Channels;

/// <summary>
/// The bureau collection protocol (README, "Payment channels") for channels with no public API: the tax
/// e-bureau, 渝快办, bank counters and terminals, village POS machines and schools. Every message is JSON signed
/// with HMAC-SHA256 under the key agreed with that channel: notices and answers over "timestamp\nbody", requests
/// over "timestamp\nMETHOD path\nbody", in X-Medins-Timestamp (Unix seconds) and X-Medins-Signature (lower-case
/// hex). The timestamp is signed too, so the replay window cannot be dodged by changing the header.
/// </summary>
public sealed class BureauCollectionChannel(string code, ChannelAccount account, Func<HttpClient> http, TimeProvider time)
    : IPaymentChannel
{
    public const string TimestampHeader = "X-Medins-Timestamp";
    public const string SignatureHeader = "X-Medins-Signature";

    public string Code => code;

    public ChannelAccount Account => account;

    public async Task<PrepayResult> PrepayAsync(ChannelMerchant merchant, PrepayRequest request, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["merchant_id"] = merchant.MerchantId,
            ["out_trade_no"] = request.OutTradeNo,
            ["amount_fen"] = request.AmountFen,
            ["description"] = request.Description,
            ["expire_time"] = request.ExpiresAt.ToOffset(ShanghaiCalendar.Offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["notify_url"] = account.NotifyUrl,
        }.ToJsonString();
        var (status, answer) = await SendAsync(merchant, HttpMethod.Post, "collections", body, ct);
        if (status != HttpStatusCode.OK) throw Refused(status);
        return Read(answer, root => new PrepayResult(request.OutTradeNo, root.GetProperty("pay_code").GetString()!));
    }

    public async Task<TradeStatus> QueryAsync(ChannelMerchant merchant, string outTradeNo, CancellationToken ct)
    {
        var (status, answer) = await SendAsync(merchant, HttpMethod.Get,
            $"collections/{Uri.EscapeDataString(outTradeNo)}?merchant_id={Uri.EscapeDataString(merchant.MerchantId)}", null, ct);
        if (status == HttpStatusCode.NotFound) return new TradeStatus(TradeState.NotFound, null);
        if (status != HttpStatusCode.OK) throw Refused(status);
        return Read(answer, root => root.GetProperty("status").GetString() switch
        {
            "PAID" => new TradeStatus(TradeState.Paid, ReadPayment(root)),
            "PENDING" => new TradeStatus(TradeState.Pending, null),
            _ => new TradeStatus(TradeState.Closed, null),
        });
    }

    public NoticeVerification VerifyNotice(IHeaderDictionary headers, ReadOnlyMemory<byte> body)
    {
        string? merchantId;
        JsonDocument notice;
        try
        {
            notice = JsonDocument.Parse(body);
            merchantId = notice.RootElement.ValueKind == JsonValueKind.Object ? String(notice.RootElement, "merchant_id") : null;
        }
        catch (JsonException)
        {
            return new NoticeVerification.Rejected(NoticeRejections.MalformedNotice, "The body is not JSON.");
        }
        using (notice)
        {
            var root = notice.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new NoticeVerification.Rejected(NoticeRejections.MalformedNotice,
                    $"The body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object.");
            var merchant = merchantId is null ? null : account.Merchant(merchantId);
            var claims = new NoticeVerification.Rejected("", "")
            {
                Merchant = merchant,
                ClaimedMerchantId = merchantId,
                ClaimedOutTradeNo = String(root, "out_trade_no"),
                ClaimedTransactionId = String(root, "transaction_id"),
                ClaimedAmountFen = root.TryGetProperty("amount_fen", out var a) && a.ValueKind == JsonValueKind.Number
                    && a.TryGetInt64(out var fen) ? fen : null,
            };
            if (merchant is null)
                return claims with { Reason = NoticeRejections.UnknownMerchant, Detail = "merchant_id is not a configured merchant of this channel." };

            var timestamp = headers[TimestampHeader].ToString();
            var signed = ChannelCrypto.Lines([timestamp], body.Span, newlineAfterBody: false);
            if (timestamp.Length == 0 || !ChannelCrypto.VerifyHmacSha256Hex(merchant.SharedKey!, signed, headers[SignatureHeader].ToString()))
                return claims with { Reason = NoticeRejections.BadSignature, Detail = $"{SignatureHeader} does not verify with the channel's key." };
            if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) > account.NoticeWindow.TotalSeconds)
                return claims with { Reason = NoticeRejections.StaleNotice, Detail = $"{TimestampHeader} is more than {account.NoticeWindow.TotalSeconds:0} s from now." };

            var status = String(root, "status") ?? "";
            if (status != "PAID") return new NoticeVerification.Ignored(merchant, status);
            try
            {
                return new NoticeVerification.Verified(merchant, ReadPayment(root));
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return claims with { Reason = NoticeRejections.MalformedNotice, Detail = "out_trade_no, transaction_id, amount_fen or paid_time is missing or invalid." };
            }
        }
    }

    public IResult Answer(NoticeAnswer answer) => answer.Success
        ? Results.Json(new { code = "SUCCESS" })
        : Results.Json(new { code = "FAIL", reason = answer.Reason, message = answer.Message }, statusCode: answer.FailureStatus);

    private static ChannelPayment ReadPayment(JsonElement root)
    {
        var amount = root.GetProperty("amount_fen").GetInt64();
        if (amount < 0) throw new FormatException("amount_fen is negative.");
        var outTradeNo = root.GetProperty("out_trade_no").GetString();
        var transactionId = root.GetProperty("transaction_id").GetString();
        if (string.IsNullOrEmpty(outTradeNo) || string.IsNullOrEmpty(transactionId))
            throw new FormatException("out_trade_no and transaction_id are required.");
        DateTimeOffset? paidAt = root.TryGetProperty("paid_time", out var paid) && paid.GetString() is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.None)
            : null;
        return new ChannelPayment(outTradeNo, transactionId, amount, paidAt);
    }

    /// <summary>A string member, or null when absent, not a string, or not valid UTF-16 (an escaped lone surrogate).</summary>
    private static string? String(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String) return null;
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(ChannelMerchant merchant, HttpMethod method,
        string relativePath, string? body, CancellationToken ct)
    {
        var uri = new Uri(account.BaseAddress ?? throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable,
            $"{ChannelsOptions.Section}:{Code}:BaseAddress is not configured."), relativePath);
        var bodyBytes = Encoding.UTF8.GetBytes(body ?? "");
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(SignatureHeader, ChannelCrypto.HmacSha256Hex(merchant.SharedKey!,
            ChannelCrypto.Lines([timestamp, $"{method.Method} {uri.PathAndQuery}"], bodyBytes, newlineAfterBody: false)));
        if (body is not null) request.Content = new ByteArrayContent(bodyBytes) { Headers = { { "Content-Type", "application/json" } } };

        HttpResponseMessage response;
        byte[] answer;
        try
        {
            response = await http().SendAsync(request, ct);
            answer = await response.Content.ReadAsByteArrayAsync(ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, "The channel did not answer.", ex);
        }
        using (response)
        {
            if ((int)response.StatusCode >= 500)
                throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, $"The channel answered {(int)response.StatusCode}.");
            var answerTimestamp = response.Headers.TryGetValues(TimestampHeader, out var ts) ? ts.First() : "";
            var answerSignature = response.Headers.TryGetValues(SignatureHeader, out var sig) ? sig.First() : "";
            if (!ChannelCrypto.VerifyHmacSha256Hex(merchant.SharedKey!, ChannelCrypto.Lines([answerTimestamp], answer, false), answerSignature))
                throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "The channel's answer is not signed with its key.");
            return (response.StatusCode, Encoding.UTF8.GetString(answer));
        }
    }

    private T Read<T>(string answer, Func<JsonElement, T> read)
    {
        try
        {
            using var doc = JsonDocument.Parse(answer);
            return read(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "The channel's answer cannot be read.", ex);
        }
    }

    private RuleViolation Refused(HttpStatusCode status) =>
        ChannelCallFailure.Of(Code, ErrorReason.ChannelRefused, $"The channel refused with {(int)status}.");
}
