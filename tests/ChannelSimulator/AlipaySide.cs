using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Medins.ChannelSimulation;

/// <summary>
/// Alipay's open platform as documented: <c>gateway.do</c> with alipay.trade.precreate (→ <c>qr_code</c>) and
/// alipay.trade.query, requests signed RSA2 by the application, answers signed by Alipay over the raw JSON of their
/// <c>*_response</c> member, and asynchronous notices as form parameters signed RSA2 over the sorted parameters
/// without sign and sign_type. Amounts are yuan with two decimals; times Beijing "yyyy-MM-dd HH:mm:ss".
/// </summary>
internal sealed class AlipaySide(ChannelSimulator simulator) : IProviderSide
{
    private const string Channel = "alipay";
    private const string SellerId = "2088101117955611";

    public SignedNotice Notice(SimulatedPayment payment, string? status, DateTimeOffset now)
    {
        var amount = Yuan(payment.AmountFen);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["gmt_create"] = Beijing(payment.PaidAt.AddSeconds(-20)),
            ["charset"] = "utf-8",
            ["gmt_payment"] = Beijing(payment.PaidAt),
            ["notify_time"] = Beijing(now),
            ["subject"] = simulator.Find(Channel, payment.Merchant.MerchantId, payment.OutTradeNo)?.Description is { Length: > 0 } d
                ? d : "城乡居民医保个人缴费",
            ["buyer_id"] = "2088102177846880",
            ["invoice_amount"] = amount,
            ["version"] = "1.0",
            ["notify_id"] = ProviderCrypto.Nonce(34),
            ["fund_bill_list"] = $$"""[{"amount":"{{amount}}","fundChannel":"ALIPAYACCOUNT"}]""",
            ["notify_type"] = "trade_status_sync",
            ["out_trade_no"] = payment.OutTradeNo,
            ["total_amount"] = amount,
            ["trade_status"] = status ?? "TRADE_SUCCESS",
            ["trade_no"] = payment.TransactionId,
            ["auth_app_id"] = payment.Merchant.MerchantId,
            ["receipt_amount"] = amount,
            ["point_amount"] = "0.00",
            ["buyer_pay_amount"] = amount,
            ["app_id"] = payment.Merchant.MerchantId,
            ["seller_id"] = SellerId,
            ["sign_type"] = "RSA2",
        };
        parameters["sign"] = ProviderCrypto.RsaSign(payment.Merchant.ProviderPrivateKey!, ProviderCrypto.Utf8(Content(parameters, true)));
        return Encoded(payment, parameters);
    }

    public SignedNotice Forge(SignedNotice notice)
    {
        var parameters = Form(notice.Body);
        parameters["sign"] = ProviderCrypto.RsaSign(ProviderCrypto.ForgerKey, ProviderCrypto.Utf8(Content(parameters, true)));
        return Encoded(notice.Payment, parameters);
    }

    public SignedNotice TamperAmount(SignedNotice notice, long amountFen)
    {
        var parameters = Form(notice.Body);
        foreach (var key in new[] { "total_amount", "receipt_amount", "buyer_pay_amount", "invoice_amount" })
            parameters[key] = Yuan(amountFen);
        return Encoded(notice.Payment, parameters);
    }

    public bool IsAcknowledged(HttpStatusCode status, string body) => body == "success";

    public Task<HttpResponseMessage> AnswerAsync(string channel, HttpRequestMessage request, string path, byte[] body)
    {
        if (request.Method != HttpMethod.Post || path != "gateway.do")
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        var parameters = Form(body);
        var merchant = parameters.GetValueOrDefault("app_id") is { } appId ? simulator.Setup.Merchant(Channel, appId) : null;
        if (merchant is null)
            return Unsigned("error_response", new JsonObject
                { ["code"] = "40002", ["msg"] = "Invalid Arguments", ["sub_code"] = "isv.invalid-app-id", ["sub_msg"] = "无效的AppID参数" });
        if (!parameters.TryGetValue("sign", out var sign)
            || !ProviderCrypto.RsaVerify(merchant.MerchantPublicKey!, ProviderCrypto.Utf8(Content(parameters, false)), sign))
            return Unsigned("error_response", new JsonObject
                { ["code"] = "40002", ["msg"] = "Invalid Arguments", ["sub_code"] = "isv.invalid-signature", ["sub_msg"] = "验签出错" });

        var method = parameters.GetValueOrDefault("method") ?? "";
        var member = method.Replace('.', '_') + "_response";
        var biz = JsonNode.Parse(parameters.GetValueOrDefault("biz_content") ?? "{}")!;
        var outTradeNo = (string?)biz["out_trade_no"] ?? "";
        switch (method)
        {
            case "alipay.trade.precreate":
            {
                if (!TryFen((string?)biz["total_amount"], out var fen))
                    return Signed(merchant, member, Failure("ACQ.INVALID_PARAMETER", "参数无效"));
                var trade = simulator.Open(merchant, outTradeNo, fen, (string?)biz["subject"] ?? "");
                if (trade.State == TradeStates.Paid) return Signed(merchant, member, Failure("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"));
                return Signed(merchant, member, new JsonObject
                {
                    ["code"] = "10000", ["msg"] = "Success", ["out_trade_no"] = outTradeNo,
                    ["qr_code"] = "https://qr.alipay.com/" + trade.PayerCode,
                });
            }
            case "alipay.trade.query":
            {
                var trade = simulator.Find(Channel, merchant.MerchantId, outTradeNo);
                if (trade is null) return Signed(merchant, member, Failure("ACQ.TRADE_NOT_EXIST", "交易不存在"));
                var answer = new JsonObject
                {
                    ["code"] = "10000", ["msg"] = "Success", ["out_trade_no"] = outTradeNo,
                    ["trade_status"] = trade.State switch
                    {
                        TradeStates.Paid => "TRADE_SUCCESS", TradeStates.Pending => "WAIT_BUYER_PAY", _ => "TRADE_CLOSED",
                    },
                    ["total_amount"] = Yuan(trade.Payment?.AmountFen ?? trade.AmountFen),
                };
                if (trade.Payment is { } payment)
                {
                    answer["trade_no"] = payment.TransactionId;
                    answer["send_pay_date"] = Beijing(payment.PaidAt);
                    answer["buyer_logon_id"] = "sim***@example.com";
                }
                return Signed(merchant, member, answer);
            }
            default:
                return Signed(merchant, "error_response", Failure("isv.invalid-method", "不存在的方法名"));
        }
    }

    private static JsonObject Failure(string subCode, string subMessage) => new()
    {
        ["code"] = "40004", ["msg"] = "Business Failed", ["sub_code"] = subCode, ["sub_msg"] = subMessage,
    };

    private static Task<HttpResponseMessage> Signed(SimulatedMerchant merchant, string member, JsonObject inner)
    {
        var text = inner.ToJsonString();
        var sign = ProviderCrypto.RsaSign(merchant.ProviderPrivateKey!, ProviderCrypto.Utf8(text));
        return Json($"{{\"{member}\":{text},\"sign\":\"{sign}\"}}");
    }

    private static Task<HttpResponseMessage> Unsigned(string member, JsonObject inner) =>
        Json($"{{\"{member}\":{inner.ToJsonString()}}}");

    private static Task<HttpResponseMessage> Json(string body) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    });

    /// <summary>What Alipay signs: sorted by name, empty values out, sign (and for notices sign_type) out.</summary>
    private static string Content(Dictionary<string, string> parameters, bool notice) =>
        string.Join('&', parameters
            .Where(p => p.Key != "sign" && !(notice && p.Key == "sign_type") && p.Value.Length > 0)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));

    private static SignedNotice Encoded(SimulatedPayment payment, Dictionary<string, string> parameters)
    {
        var body = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return new SignedNotice(payment, "application/x-www-form-urlencoded; charset=utf-8", new Dictionary<string, string>(),
            ProviderCrypto.Utf8(body));
    }

    private static Dictionary<string, string> Form(byte[] body)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Encoding.UTF8.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
            parameters[Decode(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
        }
        return parameters;
    }

    private static string Yuan(long fen) => $"{fen / 100}.{fen % 100:D2}";

    private static bool TryFen(string? yuan, out long fen)
    {
        fen = 0;
        if (yuan is null) return false;
        var parts = yuan.Split('.');
        if (parts.Length > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var whole)) return false;
        var cents = parts.Length == 2 ? parts[1].PadRight(2, '0') : "00";
        if (cents.Length != 2 || !int.TryParse(cents, NumberStyles.None, CultureInfo.InvariantCulture, out var c)) return false;
        fen = whole * 100 + c;
        return true;
    }

    private static string Beijing(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
