using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Notification.Channels;

/// <summary>
/// <c>Notification:TencentSms</c>, overlaid by the deployment's channel Secret (<c>Channels:TencentSms</c>) for
/// SecretId, SecretKey and CallbackToken.
/// </summary>
public sealed class TencentSmsOptions
{
    public const string Section = "Notification:TencentSms";
    public const string SecretSection = "Channels:TencentSms";

    public string Endpoint { get; set; } = "https://sms.tencentcloudapi.com";
    public string Region { get; set; } = "ap-guangzhou";
    public string SecretId { get; set; } = "";
    public string SecretKey { get; set; } = "";
    public string SdkAppId { get; set; } = "";
    /// <summary>The approved signature (签名) shown before every message.</summary>
    public string SignName { get; set; } = "";
    /// <summary>The <c>token</c> query parameter of the status-report callback URL; empty refuses every report.</summary>
    public string CallbackToken { get; set; } = "";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Tencent Cloud SMS (API 3.0, SendSms 2021-01-11): one number per call, template parameters by position.</summary>
public sealed partial class TencentSmsProvider(HttpClient http, IOptions<TencentSmsOptions> options, TimeProvider time,
    ILogger<TencentSmsProvider> logger) : IMessageProvider
{
    public const string ProviderName = "tencent-sms";
    private const string Service = "sms";
    private const string Action = "SendSms";
    private const string Version = "2021-01-11";

    private readonly TencentSmsOptions _options = options.Value;

    public string Name => ProviderName;

    public string Channel => ChannelNames.Sms;

    public async Task<SendOutcome> SendAsync(ProviderMessage message, CancellationToken ct)
    {
        var payload = new JsonObject
        {
            ["PhoneNumberSet"] = new JsonArray("+86" + message.Address),
            ["SmsSdkAppId"] = _options.SdkAppId,
            ["SignName"] = _options.SignName,
            ["TemplateId"] = message.ProviderTemplateId,
            ["TemplateParamSet"] = new JsonArray([.. message.ProviderParams.Select(p => (JsonNode?)p.Value)]),
            // Comes back in status reports and the console: the message, never the number.
            ["SessionContext"] = message.MessageId.ToString("N"),
        }.ToJsonString();

        var endpoint = new Uri(_options.Endpoint);
        var host = endpoint.IsDefaultPort ? endpoint.Host : endpoint.Authority;
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("Authorization",
            Tc3Signer.Authorization(_options.SecretId, _options.SecretKey, Service, host, Tc3Signer.JsonContentType, payload, timestamp));
        request.Headers.Add("X-TC-Action", Action);
        request.Headers.Add("X-TC-Version", Version);
        request.Headers.Add("X-TC-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-TC-Region", _options.Region);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(payload));
        // Exactly the content type that was signed.
        request.Content.Headers.TryAddWithoutValidation("Content-Type", Tc3Signer.JsonContentType);

        try
        {
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                return SendOutcome.RetryLater($"HTTP {(int)response.StatusCode} from Tencent SMS");
            return Classify(response.StatusCode, body);
        }
        catch (HttpRequestException ex)
        {
            LogUnreachable(logger, message.MessageId, ex.Message);
            return SendOutcome.RetryLater($"Tencent SMS unreachable: {ex.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendOutcome.RetryLater("Tencent SMS timed out");
        }
    }

    private static SendOutcome Classify(HttpStatusCode status, string body)
    {
        JsonNode? response;
        try
        {
            response = JsonNode.Parse(body)?["Response"];
        }
        catch (JsonException)
        {
            response = null;
        }
        if (response is null)
            // A 200 nobody can read may or may not have sent: retrying risks a duplicate, failing loses the message.
            return status == HttpStatusCode.OK
                ? SendOutcome.RetryLater("Tencent SMS answered without a readable Response")
                : SendOutcome.Rejected($"HTTP {(int)status} from Tencent SMS without a readable Response");

        if (response["Error"] is JsonObject error)
            return ByCode(Text(error["Code"]), Text(error["Message"]), serialNo: null);
        if (response["SendStatusSet"] is JsonArray { Count: > 0 } set && set[0] is JsonObject first)
            return ByCode(Text(first["Code"]), Text(first["Message"]), Text(first["SerialNo"]));
        return SendOutcome.RetryLater("Tencent SMS answered with neither a send status nor an error");
    }

    private static SendOutcome ByCode(string code, string message, string? serialNo)
    {
        if (code == "Ok")
            return string.IsNullOrEmpty(serialNo)
                ? SendOutcome.RetryLater("Tencent SMS accepted without a SerialNo")
                : SendOutcome.Accepted(serialNo);
        var error = $"{code}: {message}";
        return IsTransient(code) ? SendOutcome.RetryLater(error) : SendOutcome.Rejected(error);
    }

    /// <summary>Throttling and Tencent's own faults; everything else (bad number, unapproved template, auth) stays wrong.</summary>
    internal static bool IsTransient(string code) =>
        code.StartsWith("LimitExceeded", StringComparison.Ordinal)
        || code.StartsWith("InternalError", StringComparison.Ordinal)
        || code.StartsWith("RequestLimitExceeded", StringComparison.Ordinal);

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : "";

    [LoggerMessage(EventId = 1, EventName = "TencentSmsUnreachable", Level = LogLevel.Warning,
        Message = "Tencent SMS could not be reached for message {MessageId}: {Error}")]
    private static partial void LogUnreachable(ILogger logger, Guid messageId, string error);
}

/// <summary>
/// Tencent Cloud API signature v3 (TC3-HMAC-SHA256) of a POST with a JSON body, signing content-type and host:
/// canonical request, string to sign over the scope <c>{UTC date}/{service}/tc3_request</c>, and a signing key
/// derived from the secret by date, service and "tc3_request".
/// </summary>
public static class Tc3Signer
{
    public const string Algorithm = "TC3-HMAC-SHA256";
    public const string JsonContentType = "application/json; charset=utf-8";
    public const string SignedHeaders = "content-type;host";

    public static string Authorization(string secretId, string secretKey, string service, string host, string contentType,
        string payload, long timestamp)
    {
        var scope = $"{Date(timestamp)}/{service}/tc3_request";
        return $"{Algorithm} Credential={secretId}/{scope}, SignedHeaders={SignedHeaders}, " +
               $"Signature={Signature(secretKey, service, host, contentType, payload, timestamp)}";
    }

    public static string Signature(string secretKey, string service, string host, string contentType, string payload, long timestamp)
    {
        var date = Date(timestamp);
        var canonicalRequest = $"POST\n/\n\ncontent-type:{contentType.ToLowerInvariant()}\nhost:{host.ToLowerInvariant()}\n\n{SignedHeaders}\n{Sha256Hex(payload)}";
        var stringToSign = $"{Algorithm}\n{timestamp.ToString(CultureInfo.InvariantCulture)}\n{date}/{service}/tc3_request\n{Sha256Hex(canonicalRequest)}";
        var secretDate = Hmac(Encoding.UTF8.GetBytes("TC3" + secretKey), date);
        var secretService = Hmac(secretDate, service);
        var secretSigning = Hmac(secretService, "tc3_request");
        return Convert.ToHexStringLower(Hmac(secretSigning, stringToSign));
    }

    /// <summary>The UTC date of the timestamp: a Beijing date would break every call between 00:00 and 08:00.</summary>
    private static string Date(long timestamp) =>
        DateTimeOffset.FromUnixTimeSeconds(timestamp).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static byte[] Hmac(byte[] key, string message) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message));
}
