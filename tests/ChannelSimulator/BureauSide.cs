using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Medins.ChannelSimulation;

/// <summary>
/// The bureau collection protocol (README, "Payment channels") of the tax e-bureau, 渝快办, bank counters, village
/// POS machines and schools: JSON with an HMAC-SHA256 signature under the channel's key in X-Medins-Signature,
/// over "timestamp\nbody" for notices and answers and "timestamp\nMETHOD path\nbody" for requests.
/// </summary>
internal sealed class BureauSide(ChannelSimulator simulator) : IProviderSide
{
    public SignedNotice Notice(SimulatedPayment payment, string? status, DateTimeOffset now)
    {
        var body = new JsonObject
        {
            ["notice_id"] = "N" + ProviderCrypto.Nonce(24),
            ["merchant_id"] = payment.Merchant.MerchantId,
            ["out_trade_no"] = payment.OutTradeNo,
            ["transaction_id"] = payment.TransactionId,
            ["status"] = status ?? "PAID",
            ["amount_fen"] = payment.AmountFen,
            ["paid_time"] = Rfc3339(payment.PaidAt),
        }.ToJsonString();
        return Signed(payment, body, now, payment.Merchant.SharedKey!);
    }

    public SignedNotice Forge(SignedNotice notice) =>
        Signed(notice.Payment, Encoding.UTF8.GetString(notice.Body),
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(notice.Headers["X-Medins-Timestamp"], CultureInfo.InvariantCulture)),
            RandomNumberGenerator.GetBytes(32));

    public SignedNotice TamperAmount(SignedNotice notice, long amountFen)
    {
        var body = JsonNode.Parse(notice.Body)!;
        body["amount_fen"] = amountFen;
        return notice with { Body = ProviderCrypto.Utf8(body.ToJsonString()) };
    }

    public bool IsAcknowledged(HttpStatusCode status, string body) =>
        status == HttpStatusCode.OK && (string?)JsonNode.Parse(body)?["code"] == "SUCCESS";

    public Task<HttpResponseMessage> AnswerAsync(string channel, HttpRequestMessage request, string path, byte[] body)
    {
        var now = simulator.Time.GetUtcNow();
        var merchantId = request.Method == HttpMethod.Get
            ? Query(request.RequestUri!, "merchant_id")
            : (string?)JsonNode.Parse(body)?["merchant_id"];
        var merchant = merchantId is null ? null : simulator.Setup.Merchant(channel, merchantId);
        var signer = merchant ?? simulator.Setup.Merchants.First(m => m.Channel == channel);
        var timestamp = request.Headers.TryGetValues("X-Medins-Timestamp", out var ts) ? ts.First() : "";
        var signature = request.Headers.TryGetValues("X-Medins-Signature", out var sig) ? sig.First() : "";
        if (merchant is null || signature != ProviderCrypto.Hmac(merchant.SharedKey!,
                $"{timestamp}\n{request.Method.Method} {request.RequestUri!.PathAndQuery}\n{Encoding.UTF8.GetString(body)}"))
            return Answer(signer, HttpStatusCode.Unauthorized, new JsonObject { ["code"] = "FAIL", ["reason"] = "BAD_SIGNATURE" }, now);

        if (request.Method == HttpMethod.Post && path == "collections")
        {
            var order = JsonNode.Parse(body)!;
            var trade = simulator.Open(merchant, (string)order["out_trade_no"]!, (long)order["amount_fen"]!, (string?)order["description"] ?? "");
            return trade.State == TradeStates.Paid
                ? Answer(merchant, HttpStatusCode.Conflict, new JsonObject { ["code"] = "FAIL", ["reason"] = "ALREADY_PAID" }, now)
                : Answer(merchant, HttpStatusCode.OK, new JsonObject { ["out_trade_no"] = trade.OutTradeNo, ["pay_code"] = trade.PayerCode }, now);
        }
        if (request.Method == HttpMethod.Get && path.StartsWith("collections/", StringComparison.Ordinal))
        {
            var trade = simulator.Find(channel, merchant.MerchantId, Uri.UnescapeDataString(path["collections/".Length..]));
            if (trade is null) return Answer(merchant, HttpStatusCode.NotFound, new JsonObject { ["code"] = "NOT_FOUND" }, now);
            var answer = new JsonObject { ["out_trade_no"] = trade.OutTradeNo, ["status"] = trade.State };
            if (trade.Payment is { } payment)
            {
                answer["transaction_id"] = payment.TransactionId;
                answer["amount_fen"] = payment.AmountFen;
                answer["paid_time"] = Rfc3339(payment.PaidAt);
            }
            return Answer(merchant, HttpStatusCode.OK, answer, now);
        }
        return Answer(merchant, HttpStatusCode.NotFound, new JsonObject { ["code"] = "NOT_FOUND" }, now);
    }

    private static SignedNotice Signed(SimulatedPayment payment, string body, DateTimeOffset at, byte[] key)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new SignedNotice(payment, "application/json", new Dictionary<string, string>
        {
            ["X-Medins-Timestamp"] = timestamp,
            ["X-Medins-Signature"] = ProviderCrypto.Hmac(key, $"{timestamp}\n{body}"),
        }, ProviderCrypto.Utf8(body));
    }

    private static Task<HttpResponseMessage> Answer(SimulatedMerchant merchant, HttpStatusCode status, JsonObject json, DateTimeOffset now)
    {
        var body = json.ToJsonString();
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        response.Headers.Add("X-Medins-Timestamp", timestamp);
        response.Headers.Add("X-Medins-Signature", ProviderCrypto.Hmac(merchant.SharedKey!, $"{timestamp}\n{body}"));
        return Task.FromResult(response);
    }

    private static string? Query(Uri uri, string name) =>
        uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2 && p[0] == name)
            .Select(p => Uri.UnescapeDataString(p[1]))
            .FirstOrDefault();

    private static string Rfc3339(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
