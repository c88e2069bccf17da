using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Medins.PaymentCollection.Channels;

/// <summary>
/// Alipay open platform, face-to-face QR payment (alipay.trade.precreate, alipay.trade.query). Requests and
/// asynchronous notices are form parameters signed RSA2 (SHA256withRSA) over the parameters sorted by name as
/// "k=v&amp;…" without <c>sign</c> (notices also without <c>sign_type</c>) and without empty values; answers are
/// signed over the raw JSON of their <c>*_response</c> member. Amounts are yuan with two decimals.
/// </summary>
public sealed class AlipayChannel(ChannelAccount account, Func<HttpClient> http, TimeProvider time) : IPaymentChannel
{
    private const string DateTimeFormat = "yyyy-MM-dd HH:mm:ss";

    public string Code => PaymentChannels.Alipay;

    public ChannelAccount Account => account;

    public async Task<PrepayResult> PrepayAsync(ChannelMerchant merchant, PrepayRequest request, CancellationToken ct)
    {
        var biz = new JsonObject
        {
            ["out_trade_no"] = request.OutTradeNo,
            ["total_amount"] = Yuan.FromFen(request.AmountFen),
            ["subject"] = request.Description,
            ["time_expire"] = ToBeijing(request.ExpiresAt),
        };
        var response = await CallAsync(merchant, "alipay.trade.precreate", biz, ct)
            ?? throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "Alipay's answer is empty.");
        return new PrepayResult(request.OutTradeNo, Require(response, "qr_code"));
    }

    public async Task<TradeStatus> QueryAsync(ChannelMerchant merchant, string outTradeNo, CancellationToken ct)
    {
        var response = await CallAsync(merchant, "alipay.trade.query", new JsonObject { ["out_trade_no"] = outTradeNo }, ct,
            notFound: "ACQ.TRADE_NOT_EXIST");
        if (response is null) return new TradeStatus(TradeState.NotFound, null);
        return Require(response, "trade_status") switch
        {
            "TRADE_SUCCESS" or "TRADE_FINISHED" => new TradeStatus(TradeState.Paid, new ChannelPayment(
                Require(response, "out_trade_no"), Require(response, "trade_no"), Fen(Require(response, "total_amount")),
                response.TryGetValue("send_pay_date", out var paid) ? FromBeijing(paid) : null)),
            "WAIT_BUYER_PAY" => new TradeStatus(TradeState.Pending, null),
            _ => new TradeStatus(TradeState.Closed, null),
        };
    }

    public NoticeVerification VerifyNotice(IHeaderDictionary headers, ReadOnlyMemory<byte> body)
    {
        Dictionary<string, string> form;
        try
        {
            form = ParseForm(Encoding.UTF8.GetString(body.Span));
        }
        catch (FormatException ex)
        {
            return new NoticeVerification.Rejected(NoticeRejections.MalformedNotice, ex.Message);
        }
        var appId = form.GetValueOrDefault("app_id");
        var merchant = appId is null ? null : account.Merchant(appId);
        var claims = new NoticeVerification.Rejected("", "")
        {
            Merchant = merchant,
            ClaimedMerchantId = appId,
            ClaimedOutTradeNo = form.GetValueOrDefault("out_trade_no"),
            ClaimedTransactionId = form.GetValueOrDefault("trade_no"),
            ClaimedAmountFen = Yuan.TryParseFen(form.GetValueOrDefault("total_amount"), out var claimedFen) ? claimedFen : null,
        };
        if (merchant is null)
            return claims with { Reason = NoticeRejections.UnknownMerchant, Detail = "app_id is not a configured Alipay application." };
        if (form.GetValueOrDefault("sign_type") != "RSA2")
            return claims with { Reason = NoticeRejections.BadSignature, Detail = "sign_type is not RSA2." };
        var content = SigningContent(form, excludeSignType: true);
        if (!ChannelCrypto.VerifyRsaSha256(merchant, Encoding.UTF8.GetBytes(content), form.GetValueOrDefault("sign")))
            return claims with { Reason = NoticeRejections.BadSignature, Detail = "sign does not verify with the Alipay public key." };

        var status = form.GetValueOrDefault("trade_status") ?? "";
        if (status is not ("TRADE_SUCCESS" or "TRADE_FINISHED")) return new NoticeVerification.Ignored(merchant, status);
        if (claims.ClaimedOutTradeNo is not { Length: > 0 } outTradeNo || claims.ClaimedTransactionId is not { Length: > 0 } tradeNo)
            return claims with { Reason = NoticeRejections.MalformedNotice, Detail = "out_trade_no or trade_no is missing." };
        if (claims.ClaimedAmountFen is not { } fen)
            return claims with { Reason = NoticeRejections.MalformedNotice, Detail = "total_amount is not yuan with at most two decimals." };
        DateTimeOffset? paidAt = null;
        if (form.TryGetValue("gmt_payment", out var gmtPayment))
        {
            paidAt = FromBeijing(gmtPayment);
            if (paidAt is null)
                return claims with { Reason = NoticeRejections.MalformedNotice, Detail = "gmt_payment is not yyyy-MM-dd HH:mm:ss." };
        }
        return new NoticeVerification.Verified(merchant, new ChannelPayment(outTradeNo, tradeNo, fen, paidAt));
    }

    public IResult Answer(NoticeAnswer answer) => answer.Success
        ? Results.Text("success", "text/plain")
        : Results.Text("fail", "text/plain", statusCode: answer.FailureStatus);

    /// <summary>The string Alipay signs: parameters sorted by name (ordinal), empty values left out.</summary>
    public static string SigningContent(IReadOnlyDictionary<string, string> parameters, bool excludeSignType) =>
        string.Join('&', parameters
            .Where(p => p.Key != "sign" && !(excludeSignType && p.Key == "sign_type") && p.Value.Length > 0)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));

    private static Dictionary<string, string> ParseForm(string body)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in QueryHelpers.ParseQuery(body))
        {
            if (values.Count != 1) throw new FormatException("A form parameter is repeated.");
            form[key] = values[0] ?? "";
        }
        return form.Count > 0 ? form : throw new FormatException("The notice has no form parameters.");
    }

    /// <summary>Calls one API method; returns its <c>*_response</c> members, or null when the sub_code is <paramref name="notFound"/>.</summary>
    private async Task<Dictionary<string, string>?> CallAsync(ChannelMerchant merchant, string method, JsonObject biz,
        CancellationToken ct, string? notFound = null)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["app_id"] = merchant.MerchantId,
            ["method"] = method,
            ["format"] = "JSON",
            ["charset"] = "utf-8",
            ["sign_type"] = "RSA2",
            ["timestamp"] = ToBeijing(time.GetUtcNow()),
            ["version"] = "1.0",
            ["biz_content"] = biz.ToJsonString(),
        };
        if (method == "alipay.trade.precreate" && account.NotifyUrl is { Length: > 0 } notifyUrl) parameters["notify_url"] = notifyUrl;
        parameters["sign"] = ChannelCrypto.SignRsaSha256(merchant, Encoding.UTF8.GetBytes(SigningContent(parameters, excludeSignType: false)));

        string answer;
        HttpStatusCode status;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post,
                new Uri(account.BaseAddress ?? throw NotConfigured(), "gateway.do?charset=utf-8"))
            {
                Content = new FormUrlEncodedContent(parameters),
            };
            using var response = await http().SendAsync(request, ct);
            status = response.StatusCode;
            answer = await response.Content.ReadAsStringAsync(ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, "Alipay did not answer.", ex);
        }
        if (status != HttpStatusCode.OK)
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, $"Alipay answered {(int)status}.");

        try
        {
            using var doc = JsonDocument.Parse(answer);
            var node = doc.RootElement.EnumerateObject().FirstOrDefault(p => p.Name.EndsWith("_response", StringComparison.Ordinal));
            if (node.Value.ValueKind != JsonValueKind.Object)
                throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "Alipay's answer has no *_response member.");
            var members = node.Value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
            var code = members.GetValueOrDefault("code");
            var signed = doc.RootElement.TryGetProperty("sign", out var sign) ? sign.GetString() : null;
            // Alipay leaves some gateway errors unsigned; a success must always be signed.
            if (signed is null && code == "10000" || signed is not null
                && !ChannelCrypto.VerifyRsaSha256(merchant, Encoding.UTF8.GetBytes(node.Value.GetRawText()), signed))
                throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse,
                    "Alipay's answer is not signed by the configured Alipay public key.");
            if (code == "10000") return members;
            var subCode = members.GetValueOrDefault("sub_code") ?? "";
            if (notFound is not null && subCode == notFound) return null;
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelRefused, $"Alipay refused {method}: {code} {subCode}.");
        }
        catch (JsonException ex)
        {
            throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "Alipay's answer is not JSON.", ex);
        }
    }

    private string Require(IReadOnlyDictionary<string, string> response, string name) =>
        response.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, $"Alipay's answer has no {name}.");

    private long Fen(string yuan) => Yuan.TryParseFen(yuan, out var fen)
        ? fen
        : throw ChannelCallFailure.Of(Code, ErrorReason.ChannelBadResponse, "Alipay's total_amount is not yuan with two decimals.");

    private static string ToBeijing(DateTimeOffset instant) =>
        instant.ToOffset(ShanghaiCalendar.Offset).ToString(DateTimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset? FromBeijing(string text) =>
        DateTime.TryParseExact(text, DateTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? new DateTimeOffset(local, ShanghaiCalendar.Offset)
            : null;

    private RuleViolation NotConfigured() =>
        ChannelCallFailure.Of(Code, ErrorReason.ChannelUnavailable, $"{ChannelsOptions.Section}:{Code}:BaseAddress is not configured.");
}
