using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Medins.ChannelSimulation;

/// <summary>
/// WeChat Pay API v3 as its documentation describes it: Native prepay (<c>POST /v3/pay/transactions/native</c> →
/// <c>code_url</c>), query by out_trade_no, and TRANSACTION.SUCCESS notices whose resource is AES-256-GCM encrypted
/// with the APIv3 key and whose body is signed by the platform key over "timestamp\nnonce\nbody\n".
/// </summary>
internal sealed class WeChatPaySide(ChannelSimulator simulator) : IProviderSide
{
    private const string Channel = "wechat_pay";

    public SignedNotice Notice(SimulatedPayment payment, string? status, DateTimeOffset now)
    {
        var state = status ?? "SUCCESS";
        var transaction = Transaction(payment.Merchant, payment.OutTradeNo, state, payment.AmountFen, payment);
        var body = new JsonObject
        {
            ["id"] = "EV-" + ProviderCrypto.Nonce(20),
            ["create_time"] = Rfc3339(now),
            ["resource_type"] = "encrypt-resource",
            ["event_type"] = state == "SUCCESS" ? "TRANSACTION.SUCCESS" : "TRANSACTION." + state,
            ["summary"] = "支付成功",
            ["resource"] = Encrypt(payment.Merchant, transaction.ToJsonString()),
        }.ToJsonString();
        return Signed(payment, ProviderCrypto.Utf8(body), now, payment.Merchant.ProviderPrivateKey!);
    }

    public SignedNotice Forge(SignedNotice notice) =>
        Signed(notice.Payment, notice.Body, DateTimeOffset.FromUnixTimeSeconds(long.Parse(notice.Headers["Wechatpay-Timestamp"],
            CultureInfo.InvariantCulture)), ProviderCrypto.ForgerKey, notice.Headers["Wechatpay-Nonce"]);

    public SignedNotice TamperAmount(SignedNotice notice, long amountFen)
    {
        var envelope = JsonNode.Parse(notice.Body)!.AsObject();
        var resource = envelope["resource"]!;
        var transaction = JsonNode.Parse(Decrypt(notice.Payment.Merchant, resource))!;
        transaction["amount"]!["total"] = amountFen;
        transaction["amount"]!["payer_total"] = amountFen;
        envelope["resource"] = Encrypt(notice.Payment.Merchant, transaction.ToJsonString());
        // The headers, and so the signature, stay those of the original body.
        return notice with { Body = ProviderCrypto.Utf8(envelope.ToJsonString()) };
    }

    public bool IsAcknowledged(HttpStatusCode status, string body) => status is HttpStatusCode.OK or HttpStatusCode.NoContent;

    public Task<HttpResponseMessage> AnswerAsync(string channel, HttpRequestMessage request, string path, byte[] body)
    {
        var now = simulator.Time.GetUtcNow();
        var authorization = Authorization(request);
        var merchant = authorization.GetValueOrDefault("mchid") is { } mchid ? simulator.Setup.Merchant(Channel, mchid) : null;
        var signer = merchant ?? simulator.Setup.Merchants.First(m => m.Channel == Channel);
        if (merchant is null || !SignedByMerchant(request, body, authorization, merchant))
            return Answer(signer, HttpStatusCode.Unauthorized, new JsonObject { ["code"] = "SIGN_ERROR", ["message"] = "签名错误" }, now);

        if (request.Method == HttpMethod.Post && path == "v3/pay/transactions/native")
        {
            var order = JsonNode.Parse(body)!;
            if ((string?)order["mchid"] != merchant.MerchantId || (string?)order["appid"] != merchant.AppId)
                return Answer(merchant, HttpStatusCode.BadRequest, new JsonObject { ["code"] = "PARAM_ERROR", ["message"] = "mchid与appid不匹配" }, now);
            var outTradeNo = (string)order["out_trade_no"]!;
            var amount = (long)order["amount"]!["total"]!;
            var trade = simulator.Open(merchant, outTradeNo, amount, (string?)order["description"] ?? "");
            if (trade.State == TradeStates.Paid)
                return Answer(merchant, HttpStatusCode.BadRequest, new JsonObject { ["code"] = "ORDERPAID", ["message"] = "该订单已支付" }, now);
            if (trade.AmountFen != amount)
                return Answer(merchant, HttpStatusCode.BadRequest, new JsonObject { ["code"] = "INVALID_REQUEST", ["message"] = "订单金额不一致" }, now);
            return Answer(merchant, HttpStatusCode.OK, new JsonObject { ["code_url"] = "weixin://wxpay/bizpayurl?pr=" + trade.PayerCode }, now);
        }

        const string query = "v3/pay/transactions/out-trade-no/";
        if (request.Method == HttpMethod.Get && path.StartsWith(query, StringComparison.Ordinal))
        {
            var trade = simulator.Find(Channel, merchant.MerchantId, Uri.UnescapeDataString(path[query.Length..]));
            if (trade is null)
                return Answer(merchant, HttpStatusCode.NotFound, new JsonObject { ["code"] = "ORDER_NOT_EXIST", ["message"] = "订单不存在" }, now);
            var state = trade.State switch { TradeStates.Paid => "SUCCESS", TradeStates.Pending => "NOTPAY", _ => "CLOSED" };
            return Answer(merchant, HttpStatusCode.OK, Transaction(merchant, trade.OutTradeNo, state, trade.AmountFen, trade.Payment), now);
        }
        return Answer(merchant, HttpStatusCode.NotFound, new JsonObject { ["code"] = "NOT_FOUND", ["message"] = "无此接口" }, now);
    }

    private static JsonObject Transaction(SimulatedMerchant merchant, string outTradeNo, string state, long amountFen,
        SimulatedPayment? payment)
    {
        var transaction = new JsonObject
        {
            ["mchid"] = merchant.MerchantId,
            ["appid"] = merchant.AppId,
            ["out_trade_no"] = outTradeNo,
            ["trade_type"] = "NATIVE",
            ["trade_state"] = state,
            ["trade_state_desc"] = state == "SUCCESS" ? "支付成功" : "未支付",
            ["attach"] = "",
            ["payer"] = new JsonObject { ["openid"] = "oSimulatedPayer0000000000000" },
            ["amount"] = new JsonObject
            {
                ["total"] = amountFen,
                ["payer_total"] = amountFen,
                ["currency"] = "CNY",
                ["payer_currency"] = "CNY",
            },
        };
        if (payment is not null && state == "SUCCESS")
        {
            transaction["transaction_id"] = payment.TransactionId;
            transaction["bank_type"] = "OTHERS";
            transaction["success_time"] = Rfc3339(payment.PaidAt);
        }
        return transaction;
    }

    private static JsonObject Encrypt(SimulatedMerchant merchant, string plaintext)
    {
        const string associatedData = "transaction";
        var nonce = ProviderCrypto.Nonce(12);
        var input = ProviderCrypto.Utf8(plaintext);
        var output = new byte[input.Length + 16];
        using var aes = new AesGcm(merchant.ApiV3Key!, 16);
        aes.Encrypt(ProviderCrypto.Utf8(nonce), input, output.AsSpan(0, input.Length), output.AsSpan(input.Length),
            ProviderCrypto.Utf8(associatedData));
        return new JsonObject
        {
            ["original_type"] = "transaction",
            ["algorithm"] = "AEAD_AES_256_GCM",
            ["ciphertext"] = Convert.ToBase64String(output),
            ["associated_data"] = associatedData,
            ["nonce"] = nonce,
        };
    }

    private static string Decrypt(SimulatedMerchant merchant, JsonNode resource)
    {
        var data = Convert.FromBase64String((string)resource["ciphertext"]!);
        var plaintext = new byte[data.Length - 16];
        using var aes = new AesGcm(merchant.ApiV3Key!, 16);
        aes.Decrypt(ProviderCrypto.Utf8((string)resource["nonce"]!), data.AsSpan(0, plaintext.Length), data.AsSpan(plaintext.Length),
            plaintext, ProviderCrypto.Utf8((string?)resource["associated_data"] ?? ""));
        return Encoding.UTF8.GetString(plaintext);
    }

    private static SignedNotice Signed(SimulatedPayment payment, byte[] body, DateTimeOffset at, byte[] key, string? nonce = null)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        nonce ??= ProviderCrypto.Nonce(32);
        return new SignedNotice(payment, "application/json", new Dictionary<string, string>
        {
            ["Wechatpay-Timestamp"] = timestamp,
            ["Wechatpay-Nonce"] = nonce,
            ["Wechatpay-Signature"] = ProviderCrypto.RsaSign(key, [.. ProviderCrypto.Utf8($"{timestamp}\n{nonce}\n"), .. body, (byte)'\n']),
            ["Wechatpay-Serial"] = payment.Merchant.ProviderKeySerial!,
            ["Wechatpay-Signature-Type"] = "WECHATPAY2-SHA256-RSA2048",
        }, body);
    }

    private static Dictionary<string, string> Authorization(HttpRequestMessage request)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!request.Headers.TryGetValues("Authorization", out var headers)) return values;
        var header = headers.First();
        const string scheme = "WECHATPAY2-SHA256-RSA2048 ";
        if (!header.StartsWith(scheme, StringComparison.Ordinal)) return values;
        foreach (var pair in header[scheme.Length..].Split(','))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0) values[pair[..eq].Trim()] = pair[(eq + 1)..].Trim().Trim('"');
        }
        return values;
    }

    private static bool SignedByMerchant(HttpRequestMessage request, byte[] body, Dictionary<string, string> authorization,
        SimulatedMerchant merchant) =>
        authorization.TryGetValue("signature", out var signature)
        && authorization.TryGetValue("timestamp", out var timestamp)
        && authorization.TryGetValue("nonce_str", out var nonce)
        && ProviderCrypto.RsaVerify(merchant.MerchantPublicKey!,
            [.. ProviderCrypto.Utf8($"{request.Method.Method}\n{request.RequestUri!.PathAndQuery}\n{timestamp}\n{nonce}\n"), .. body, (byte)'\n'],
            signature);

    private static Task<HttpResponseMessage> Answer(SimulatedMerchant merchant, HttpStatusCode status, JsonObject json,
        DateTimeOffset now)
    {
        var body = json.ToJsonString();
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = ProviderCrypto.Nonce(32);
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        response.Headers.Add("Wechatpay-Timestamp", timestamp);
        response.Headers.Add("Wechatpay-Nonce", nonce);
        response.Headers.Add("Wechatpay-Serial", merchant.ProviderKeySerial);
        response.Headers.Add("Wechatpay-Signature",
            ProviderCrypto.RsaSign(merchant.ProviderPrivateKey!, ProviderCrypto.Utf8($"{timestamp}\n{nonce}\n{body}\n")));
        return Task.FromResult(response);
    }

    private static string Rfc3339(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
