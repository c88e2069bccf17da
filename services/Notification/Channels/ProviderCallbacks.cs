using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Notification.Channels;

/// <summary>
/// Where providers report delivery. They carry no credential of ours (the gateway lets these paths through without
/// one): Tencent SMS is checked by the secret token in its callback URL, WeChat by the signature of its pushes, the
/// signed timestamp (within <see cref="WeChatOptions.CallbackWindow"/>) and the nonce (once; <see cref="WeChatPushNonces"/>).
/// Receipts go to <see cref="IDeliveryReceiptSink"/>, which applies each one once.
/// </summary>
public static partial class ProviderCallbacks
{
    public const string TencentSmsStatusPath = "/providers/tencent-sms/status";
    public const string WeChatEventsPath = "/providers/wechat-mp/events";
    public const string TencentSmsRepliesPath = "/providers/tencent-sms/replies";

    /// <summary>Replies that unsubscribe (the "回复TD退订" every reminder offers), compared trimmed and upper-cased.</summary>
    private static readonly HashSet<string> UnsubscribeReplies = new(StringComparer.Ordinal) { "TD", "T", "N", "退订", "退订短信" };

    /// <summary>Far above a batch of status reports (Tencent sends up to a few hundred per call).</summary>
    private const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapProviderCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapPost(TencentSmsStatusPath, TencentSmsStatusAsync);
        app.MapPost(TencentSmsRepliesPath, TencentSmsReplyAsync);
        app.MapGet(WeChatEventsPath, WeChatVerify);
        app.MapPost(WeChatEventsPath, WeChatEventAsync);
        return app;
    }

    private static async Task<IResult> TencentSmsStatusAsync(HttpRequest request, IOptions<TencentSmsOptions> options,
        IDeliveryReceiptSink sink, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(ProviderCallbacks));
        var (refusal, body) = await TencentCallbackBodyAsync(request, options.Value, logger, ct);
        if (refusal is not null) return refusal;

        List<DeliveryReceipt> receipts;
        try
        {
            receipts = ParseTencentReports(body, logger);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return TencentError(ex is FormatException ? ex.Message : "The body is not a JSON array of status reports.");
        }
        var matched = receipts.Count == 0 ? 0 : await sink.ApplyAsync(receipts, ct);
        LogApplied(logger, TencentSmsProvider.ProviderName, receipts.Count, matched);
        return Results.Json(new { result = 0, errmsg = "OK" });
    }

    /// <summary>
    /// Tencent SMS reply (上行) callback: one object {extend, mobile, nationcode, sign, text, time}. An unsubscribe reply
    /// opts out of reminders every resident written to at that number; other replies are acknowledged and ignored.
    /// </summary>
    private static async Task<IResult> TencentSmsReplyAsync(HttpRequest request, IOptions<TencentSmsOptions> options,
        AddressHasher hasher, IReplyOptOuts store, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(ProviderCallbacks));
        var (refusal, body) = await TencentCallbackBodyAsync(request, options.Value, logger, ct);
        if (refusal is not null) return refusal;
        string mobile, text;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("Expected a JSON object.");
            mobile = root.TryGetProperty("mobile", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            text = root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            if (mobile.Length == 0) throw new FormatException("The reply names no mobile.");
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return TencentError(ex is FormatException ? ex.Message : "The body is not a JSON reply.");
        }
        if (UnsubscribeReplies.Contains(text.Trim().ToUpperInvariant()) && hasher.Hash(mobile) is { } hash)
        {
            var optedOut = await store.OptOutRepliedAsync(hash, "sms reply " + text.Trim(), ct);
            LogReplyOptOut(logger, MaskPhone(mobile), optedOut);
        }
        return Results.Json(new { result = 0, errmsg = "OK" });
    }

    /// <summary>The body of a Tencent callback whose URL carries our token; otherwise the answer that refuses it.</summary>
    private static async Task<(IResult? Refusal, byte[] Body)> TencentCallbackBodyAsync(HttpRequest request, TencentSmsOptions options,
        ILogger logger, CancellationToken ct)
    {
        if (!SameSecret(options.CallbackToken, request.Query["token"].ToString()))
        {
            LogRefused(logger, TencentSmsProvider.ProviderName);
            return (Results.StatusCode(StatusCodes.Status403Forbidden), []);
        }
        var body = await ReadBodyAsync(request, ct);
        return body is null ? (TencentError("The body is too large."), []) : (null, body);
    }

    /// <summary>Reports: user_receive_time (Beijing time), nationcode, mobile, report_status, errmsg, description, sid.</summary>
    internal static List<DeliveryReceipt> ParseTencentReports(byte[] body, ILogger logger)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("Expected a JSON array of status reports.");
        var receipts = new List<DeliveryReceipt>();
        foreach (var report in document.RootElement.EnumerateArray())
        {
            if (report.ValueKind != JsonValueKind.Object) throw new FormatException("Each status report must be an object.");
            var sid = Text(report, "sid");
            if (sid.Length == 0) throw new FormatException("A status report has no sid.");
            var status = Text(report, "report_status");
            if (status is not ("SUCCESS" or "FAIL")) throw new FormatException($"Status report {sid} has report_status '{status}'.");
            if (!DateTime.TryParseExact(Text(report, "user_receive_time"), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.None, out var local))
                throw new FormatException($"Status report {sid} has no user_receive_time as yyyy-MM-dd HH:mm:ss.");
            var at = new DateTimeOffset(local, ShanghaiCalendar.Offset).ToUniversalTime();
            var delivered = status == "SUCCESS";
            string? error = null;
            if (!delivered)
            {
                var errmsg = Text(report, "errmsg");
                var description = Text(report, "description");
                error = description.Length == 0 || description == errmsg ? errmsg : $"{errmsg}: {description}";
                LogUndelivered(logger, TencentSmsProvider.ProviderName, sid, MaskPhone(Text(report, "mobile")), error);
            }
            receipts.Add(new DeliveryReceipt(TencentSmsProvider.ProviderName, sid, delivered, at, error));
        }
        return receipts;
    }

    private static IResult TencentError(string message) =>
        Results.Json(new { result = 1, errmsg = message }, statusCode: StatusCodes.Status400BadRequest);

    private static async Task<IResult> WeChatVerify(HttpRequest request, IOptions<WeChatOptions> options, WeChatPushNonces nonces,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (await WeChatRefusalAsync(request, options.Value, nonces, loggers.CreateLogger(typeof(ProviderCallbacks)), ct) is { } refusal)
            return refusal;
        return Results.Text(request.Query["echostr"].ToString(), "text/plain");
    }

    private static async Task<IResult> WeChatEventAsync(HttpRequest request, IOptions<WeChatOptions> options, WeChatPushNonces nonces,
        IDeliveryReceiptSink sink, IWeChatBindings bindings, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(ProviderCallbacks));
        if (await WeChatRefusalAsync(request, options.Value, nonces, logger, ct) is { } refusal) return refusal;
        try
        {
            return await WeChatEventAcceptedAsync(request, sink, bindings, logger, ct);
        }
        catch (Exception)
        {
            // Not handled: WeChat's retry of this push must not be refused as a replay.
            await nonces.ForgetAsync(request.Query["timestamp"].ToString(), request.Query["nonce"].ToString(), CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// 403 for a push not signed with our token, signed outside the callback window, or already accepted once (a
    /// replay); null when the push is accepted, which records its nonce.
    /// </summary>
    private static async Task<IResult?> WeChatRefusalAsync(HttpRequest request, WeChatOptions options, WeChatPushNonces nonces,
        ILogger logger, CancellationToken ct)
    {
        if (!WeChatSigned(request, options.Token))
        {
            LogRefused(logger, WeChatTemplateProvider.ProviderName);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        var verdict = await nonces.AcceptAsync(request.Query["timestamp"].ToString(), request.Query["nonce"].ToString(), ct);
        if (verdict == WeChatPushNonces.Verdict.Accepted) return null;
        LogReplayRefused(logger, WeChatTemplateProvider.ProviderName,
            verdict == WeChatPushNonces.Verdict.OutsideWindow ? "timestamp outside the callback window" : "nonce already used");
        return Results.StatusCode(StatusCodes.Status403Forbidden);
    }

    private static async Task<IResult> WeChatEventAcceptedAsync(HttpRequest request, IDeliveryReceiptSink sink,
        IWeChatBindings bindings, ILogger logger, CancellationToken ct)
    {
        var body = await ReadBodyAsync(request, ct);
        if (body is null) return Results.BadRequest("The body is too large.");

        DeliveryReceipt? receipt;
        string? unsubscribed;
        try
        {
            receipt = ParseWeChatEvent(body, logger);
            unsubscribed = ParseUnsubscribe(body);
        }
        catch (Exception ex) when (ex is XmlException or FormatException)
        {
            return Results.BadRequest(ex is FormatException ? ex.Message : "The body is not a WeChat XML message.");
        }
        if (unsubscribed is not null)
        {
            // She left the official account: template messages would now fail (43004), so her messages go by SMS.
            var unbound = await bindings.UnbindAsync(unsubscribed, ct);
            LogUnbound(logger, MaskOpenId(unsubscribed), unbound);
        }
        if (receipt is not null)
        {
            var matched = await sink.ApplyAsync([receipt], ct);
            LogApplied(logger, WeChatTemplateProvider.ProviderName, 1, matched);
        }
        return Results.Text("success", "text/plain");
    }

    /// <summary>The receipt in a TEMPLATESENDJOBFINISH event; null for any other message or event (acknowledged, ignored).</summary>
    internal static DeliveryReceipt? ParseWeChatEvent(byte[] body, ILogger logger)
    {
        // No DTDs, no external entities: the body comes from outside.
        using var reader = XmlReader.Create(new MemoryStream(body),
            new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var root = XDocument.Load(reader).Root ?? throw new FormatException("Empty XML.");
        string Element(string name) => root.Element(name)?.Value.Trim() ?? "";
        if (Element("MsgType") != "event" || Element("Event") != "TEMPLATESENDJOBFINISH") return null;

        var msgId = Element("MsgID");
        if (msgId.Length == 0) throw new FormatException("TEMPLATESENDJOBFINISH without MsgID.");
        if (!long.TryParse(Element("CreateTime"), NumberStyles.None, CultureInfo.InvariantCulture, out var createTime))
            throw new FormatException($"TEMPLATESENDJOBFINISH {msgId} has no CreateTime.");
        var status = Element("Status");
        var delivered = status == "success";
        if (!delivered) LogUndelivered(logger, WeChatTemplateProvider.ProviderName, msgId, MaskOpenId(Element("FromUserName")), status);
        return new DeliveryReceipt(WeChatTemplateProvider.ProviderName, msgId, delivered,
            DateTimeOffset.FromUnixTimeSeconds(createTime), delivered ? null : status);
    }

    /// <summary>The openid of an "unsubscribe" event (she stopped following the official account); null otherwise.</summary>
    internal static string? ParseUnsubscribe(byte[] body)
    {
        using var reader = XmlReader.Create(new MemoryStream(body),
            new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var root = XDocument.Load(reader).Root ?? throw new FormatException("Empty XML.");
        if (root.Element("MsgType")?.Value.Trim() != "event" || root.Element("Event")?.Value.Trim() != "unsubscribe") return null;
        var openId = root.Element("FromUserName")?.Value.Trim() ?? "";
        return openId.Length > 0 ? openId : throw new FormatException("unsubscribe without FromUserName.");
    }

    /// <summary>WeChat's server signature: SHA-1 of token, timestamp and nonce sorted and joined; an empty token refuses all.</summary>
    internal static bool WeChatSigned(HttpRequest request, string token)
    {
        if (token.Length == 0) return false;
        var expected = WeChatSignature(token, request.Query["timestamp"].ToString(), request.Query["nonce"].ToString());
        return SameSecret(expected, request.Query["signature"].ToString().ToLowerInvariant());
    }

    public static string WeChatSignature(string token, string timestamp, string nonce)
    {
        string[] parts = [token, timestamp, nonce];
        Array.Sort(parts, StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts))));
    }

    /// <summary>Constant-time comparison; an empty expected secret matches nothing.</summary>
    private static bool SameSecret(string expected, string given) =>
        expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static string Text(JsonElement report, string name) =>
        report.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>138****8000: enough to tell numbers apart in a log, not to write to anyone.</summary>
    internal static string MaskPhone(string phone) => phone.Length >= 7 ? $"{phone[..3]}****{phone[^4..]}" : "****";

    internal static string MaskOpenId(string openId) => openId.Length > 8 ? $"{openId[..4]}…{openId[^2..]}" : "…";

    [LoggerMessage(EventId = 1, EventName = "ProviderCallbackRefused", Level = LogLevel.Warning,
        Message = "Refused a {Provider} callback: wrong token or signature.")]
    private static partial void LogRefused(ILogger logger, string provider);

    [LoggerMessage(EventId = 6, EventName = "ProviderCallbackReplayRefused", Level = LogLevel.Warning,
        Message = "Refused a {Provider} callback: {Reason}.")]
    private static partial void LogReplayRefused(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 2, EventName = "ProviderReceiptsApplied", Level = LogLevel.Information,
        Message = "{Provider} reported {Count} receipts; {Matched} moved a sent message.")]
    private static partial void LogApplied(ILogger logger, string provider, int count, int matched);

    [LoggerMessage(EventId = 5, EventName = "SmsReplyOptOut", Level = LogLevel.Information,
        Message = "{Mobile} replied to unsubscribe; {Residents} residents opted out of reminders.")]
    private static partial void LogReplyOptOut(ILogger logger, string mobile, int residents);

    [LoggerMessage(EventId = 4, EventName = "WeChatUnsubscribed", Level = LogLevel.Information,
        Message = "WeChat follower {OpenId} unsubscribed; {Unbound} residents and officials go by SMS from now on.")]
    private static partial void LogUnbound(ILogger logger, string openId, int unbound);

    [LoggerMessage(EventId = 3, EventName = "ProviderReportedUndelivered", Level = LogLevel.Information,
        Message = "{Provider} could not deliver {ProviderMessageId} to {Recipient}: {Error}")]
    private static partial void LogUndelivered(ILogger logger, string provider, string providerMessageId, string recipient, string error);
}
