using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Http;

namespace Medins.PaymentCollection.Channels;

/// <summary>
/// WeChat Pay API v3, direct merchant, Native payment (a QR code the payer scans). Requests carry the
/// WECHATPAY2-SHA256-RSA2048 Authorization signed with the merchant's API key; answers and notices are signed by
/// the platform key (Wechatpay-Signature/-Timestamp/-Nonce/-Serial over "timestamp\nnonce\nbody\n"), and a
/// notice's resource is AES-256-GCM encrypted with the APIv3 key.
/// </summary>
public sealed class WeChatPayChannel(ChannelAccount account, Func<HttpClient> http, TimeProvider time) : IPaymentChannel
{
    public const string SignatureHeader = "Wechatpay-Signature";
    public const string TimestampHeader = "Wechatpay-Timestamp";
    public const string NonceHeader = "Wechatpay-Nonce";
    public const string SerialHeader = "Wechatpay-Serial";
    public const string AuthorizationScheme = "WECHATPAY2-SHA256-RSA2048";
    private const int GcmTagBytes = 16;

    public string Code => PaymentChannels.WeChatPay;

    public ChannelAccount Account => account;

    public async Task<PrepayResult> PrepayAsync(ChannelMerchant merchant, PrepayRequest request, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["appid"] = merchant.AppId,
            ["mchid"] = merchant.MerchantId,
            ["description"] = request.Description,
            ["out_trade_no"] = request.OutTradeNo,
            ["time_expire"] = request.ExpiresAt.ToOffset(ShanghaiCalendar.Offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["notify_url"] = account.NotifyUrl,
            ["amount"] = new JsonObject { ["total"] = request.AmountFen, ["currency"] = "CNY" },
        }.ToJsonString();
        var (status, answer) = await SendAsync(merchant, HttpMethod.Post, "v3/pay/transactions/native", body, ct);
        if (status != HttpStatusCode.OK) throw Refused(status, answer);
        return Read(answer, doc => new PrepayResult(request.OutTradeNo, doc.RootElement.GetProperty("code_url").GetString()!));
    }

    public async Task<TradeStatus> QueryAsync(ChannelMerchant merchant, string outTradeNo, CancellationToken ct)
    {
        var path = $"v3/pay/transactions/out-trade-no/{Uri.EscapeDataString(outTradeNo)}?mchid={Uri.EscapeDataString(merchant.MerchantId)}";
        var (status, answer) = await SendAsync(merchant, HttpMethod.Get, path, null, ct);
        if (status == HttpStatusCode.NotFound) return new TradeStatus(TradeState.NotFound, null);
        if (status != HttpStatusCode.OK) throw Refused(status, answer);
        return Read(answer, doc =>
        {
            var transaction = doc.RootElement;
            return transaction.GetProperty("trade_state").GetString() switch
            {
                "SUCCESS" => new TradeStatus(TradeState.Paid, ReadPayment(transaction)),
                "NOTPAY" or "USERPAYING" => new TradeStatus(TradeState.Pending, null),
                _ => new TradeStatus(TradeState.Closed, null),
            };
        });
    }

    public NoticeVerification VerifyNotice(IHeaderDictionary headers, ReadOnlyMemory<byte> body)
    {
        var serial = headers[SerialHeader].ToString();
        var signature = headers[SignatureHeader].ToString();
        var timestamp = headers[TimestampHeader].ToString();
        var nonce = headers[NonceHeader].ToString();
        var candidates = account.Merchants.Where(m => m.ProviderKeySerial == serial).ToList();
        if (serial.Length == 0 || candidates.Count == 0)
            return new NoticeVerification.Rejected(NoticeRejections.UnknownMerchant,
                "No merchant is configured with the platform key serial in Wechatpay-Serial.");
        // A serial several tenants share cannot tell whose notice a forgery claims to be.
        var claimed = candidates.Select(m => m.TenantId).Distinct().Count() == 1 ? candidates[0] : null;
        if (signature.Length == 0 || timestamp.Length == 0 || nonce.Length == 0)
            return new NoticeVerification.Rejected(NoticeRejections.BadSignature, "Unsigned: a Wechatpay-* signature header is missing.")
                { Merchant = claimed };

        var message = ChannelCrypto.Lines([timestamp, nonce], body.Span, newlineAfterBody: true);
        if (!candidates.DistinctBy(m => Convert.ToBase64String(m.ProviderPublicKey!))
                .Any(m => ChannelCrypto.VerifyRsaSha256(m, message, signature)))
            return new NoticeVerification.Rejected(NoticeRejections.BadSignature,
                "Wechatpay-Signature does not verify with the platform key.") { Merchant = claimed };
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) > account.NoticeWindow.TotalSeconds)
            return new NoticeVerification.Rejected(NoticeRejections.StaleNotice,
                $"Wechatpay-Timestamp is more than {account.NoticeWindow.TotalSeconds:0} s from now.") { Merchant = claimed };

        try
        {
            using var notice = JsonDocument.Parse(body);
            var root = notice.RootElement;
            var resource = root.GetProperty("resource");
            if (resource.GetProperty("algorithm").GetString() != "AEAD_AES_256_GCM")
                return Malformed("resource.algorithm is not AEAD_AES_256_GCM.", claimed);
            var ciphertext = Convert.FromBase64String(resource.GetProperty("ciphertext").GetString()!);
            var iv = Encoding.UTF8.GetBytes(resource.GetProperty("nonce").GetString()!);
            var associated = Encoding.UTF8.GetBytes(resource.TryGetProperty("associated_data", out var ad) ? ad.GetString() ?? "" : "");

            foreach (var keyHolder in candidates.DistinctBy(m => Convert.ToBase64String(m.ApiV3Key!)))
            {
                if (Decrypt(keyHolder.ApiV3Key!, iv, ciphertext, associated) is not { } plaintext) continue;
                using var transactionDoc = JsonDocument.Parse(plaintext);
                var transaction = transactionDoc.RootElement;
                var mchid = transaction.GetProperty("mchid").GetString();
                var merchant = candidates.FirstOrDefault(m => m.MerchantId == mchid && m.ApiV3Key!.SequenceEqual(keyHolder.ApiV3Key!));
                if (merchant is null)
                    return new NoticeVerification.Rejected(NoticeRejections.UnknownMerchant, "The notice's mchid is not a configured merchant.")
                        { ClaimedMerchantId = mchid };
                if (merchant.AppId is not null && transaction.TryGetProperty("appid", out var appid) && appid.GetString() != merchant.AppId)
                    return new NoticeVerification.Rejected(NoticeRejections.UnknownMerchant, "The notice's appid is not the merchant's.")
                        { Merchant = merchant, ClaimedMerchantId = mchid };
                var state = transaction.GetProperty("trade_state").GetString() ?? "";
                if (root.GetProperty("event_type").GetString() != "TRANSACTION.SUCCESS" || state != "SUCCESS")
                    return new NoticeVerification.Ignored(merchant, state);
                return new NoticeVerification.Verified(merchant, ReadPayment(transaction));
            }
            return Malformed("resource does not decrypt with the merchant's APIv3 key.", claimed);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                                       or ArgumentException)
        {
            return Malformed($"The notice is not a WeChat Pay transaction notice ({ex.GetType().Name}).", claimed);
        }
    }

    public IResult Answer(NoticeAnswer answer) => answer.Success
        ? Results.NoContent()
        : Results.Json(new { code = "FAIL", message = $"{answer.Reason}: {answer.Message}" }, statusCode: answer.FailureStatus);

    /// <summary>The transaction object of a notice's resource or a query answer.</summary>
    private static ChannelPayment ReadPayment(JsonElement transaction)
    {
        var amount = transaction.GetProperty("amount").GetProperty("total").GetInt64();
        if (amount < 0) throw new FormatException("amount.total is negative.");
        DateTimeOffset? paidAt = transaction.TryGetProperty("success_time", out var success) && success.GetString() is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.None)
            : null;
        var outTradeNo = transaction.GetProperty("out_trade_no").GetString();
        var transactionId = transaction.GetProperty("transaction_id").GetString();
        if (string.IsNullOrEmpty(outTradeNo) || string.IsNullOrEmpty(transactionId))
            throw new FormatException("out_trade_no and transaction_id are required.");
        return new ChannelPayment(outTradeNo, transactionId, amount, paidAt);
    }

    private static byte[]? Decrypt(byte[] key, byte[] iv, byte[] ciphertextAndTag, byte[] associated)
    {
        if (ciphertextAndTag.Length < GcmTagBytes || iv.Length != 12) return null;
        var cipherLength = ciphertextAndTag.Length - GcmTagBytes;
        var plaintext = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key, GcmTagBytes);
            aes.Decrypt(iv, ciphertextAndTag.AsSpan(0, cipherLength), ciphertextAndTag.AsSpan(cipherLength), plaintext, associated);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static NoticeVerification.Rejected Malformed(string detail, ChannelMerchant? claimed) =>
        new(NoticeRejections.MalformedNotice, detail) { Merchant = claimed };

    /// <summary>Sends a signed request and returns the answer once its platform signature verifies.</summary>
    private async Task<(HttpStatusCode Status, string Body)> SendAsync(ChannelMerchant merchant, HttpMethod method,
        string relativePath, string? body, CancellationToken ct)
    {
        var uri = new Uri(account.BaseAddress ?? throw NotConfigured(), relativePath);
        using var request = new HttpRequestMessage(method, uri);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = ChannelCrypto.Nonce();
        var bodyBytes = Encoding.UTF8.GetBytes(body ?? "");
        var signature = ChannelCrypto.SignRsaSha256(merchant,
            ChannelCrypto.Lines([method.Method, uri.PathAndQuery, timestamp, nonce], bodyBytes, newlineAfterBody: true));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{AuthorizationScheme} mchid=\"{merchant.MerchantId}\",nonce_str=\"{nonce}\",signature=\"{signature}\"," +
            $"timestamp=\"{timestamp}\",serial_no=\"{merchant.SigningKeySerial}\"");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", "medins-payment-collection");
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
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, "WeChat Pay did not answer.", ex);
        }
        using (response)
        {
            if ((int)response.StatusCode >= 500)
                throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, $"WeChat Pay answered {(int)response.StatusCode}.");
            string Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.First() : "";
            var signed = ChannelCrypto.Lines([Header(TimestampHeader), Header(NonceHeader)], answer, newlineAfterBody: true);
            if (Header(SerialHeader) != merchant.ProviderKeySerial
                || !ChannelCrypto.VerifyRsaSha256(merchant, signed, Header(SignatureHeader)))
                throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse,
                    "WeChat Pay's answer is not signed by the configured platform key.");
            return (response.StatusCode, Encoding.UTF8.GetString(answer));
        }
    }

    private T Read<T>(string answer, Func<JsonDocument, T> read)
    {
        try
        {
            using var doc = JsonDocument.Parse(answer);
            return read(doc);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "WeChat Pay's answer cannot be read.", ex);
        }
    }

    private RuleViolation Refused(HttpStatusCode status, string answer)
    {
        var code = "";
        try
        {
            using var doc = JsonDocument.Parse(answer);
            code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
        }
        return ChannelCallFailure.Of(Code, ErrorReason.ChannelRefused, $"WeChat Pay refused with {(int)status} {code}.");
    }

    private RuleViolation NotConfigured() =>
        ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, $"{ChannelsOptions.Section}:{Code}:BaseAddress is not configured.");
}
