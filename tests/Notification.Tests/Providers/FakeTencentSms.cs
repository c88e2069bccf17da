using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Medins.Notification.Tests.Providers;

/// <summary>
/// Stands in for sms.tencentcloudapi.com: checks each request's TC3 signature, recomputed here from the secret
/// (not with the provider's signer), refuses a bad one as Tencent does, records what was sent and answers with the
/// queued reply.
/// </summary>
public sealed class FakeTencentSms(string secretId, string secretKey) : HttpMessageHandler
{
    public List<(JsonObject Body, Dictionary<string, string> Headers)> Requests { get; } = [];

    /// <summary>The next answers (status and body); Ok with a new SerialNo when none is queued.</summary>
    public Queue<(HttpStatusCode Status, string Body)> Replies { get; } = new();

    public static string SendStatus(string code, string message, string serialNo = "") =>
        $$$"""{"Response":{"SendStatusSet":[{"SerialNo":"{{{serialNo}}}","PhoneNumber":"+8613800138000","Fee":1,"SessionContext":"","Code":"{{{code}}}","Message":"{{{message}}}","IsoCode":"CN"}],"RequestId":"r-1"}}""";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var payload = await request.Content!.ReadAsStringAsync(ct);
        var headers = request.Headers.Concat(request.Content.Headers)
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        if (!SignatureValid(headers, payload))
            return Reply(HttpStatusCode.OK, """{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"r-0"}}""");
        Requests.Add((JsonNode.Parse(payload)!.AsObject(), headers));
        var (status, body) = Replies.Count > 0 ? Replies.Dequeue() : (HttpStatusCode.OK, SendStatus("Ok", "send success", $"2640:{Guid.NewGuid():N}"));
        return Reply(status, body);
    }

    private bool SignatureValid(Dictionary<string, string> headers, string payload)
    {
        if (!headers.TryGetValue("authorization", out var authorization) || !headers.TryGetValue("x-tc-timestamp", out var timestamp)
            || headers.GetValueOrDefault("x-tc-action") != "SendSms" || headers.GetValueOrDefault("x-tc-version") != "2021-01-11")
            return false;
        var date = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestamp, CultureInfo.InvariantCulture)).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var canonical = string.Join('\n', "POST", "/", "", $"content-type:{headers["content-type"]}", $"host:{headers["host"]}", "",
            "content-type;host", Hex(SHA256.HashData(Encoding.UTF8.GetBytes(payload))));
        var toSign = string.Join('\n', "TC3-HMAC-SHA256", timestamp, $"{date}/sms/tc3_request", Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
        var key = Encoding.UTF8.GetBytes("TC3" + secretKey);
        foreach (var part in new[] { date, "sms", "tc3_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var signature = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        return authorization == $"TC3-HMAC-SHA256 Credential={secretId}/{date}/sms/tc3_request, SignedHeaders=content-type;host, Signature={signature}";
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static HttpResponseMessage Reply(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
