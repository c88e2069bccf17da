using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Notification.Channels;

/// <summary><c>Notification:WeChat</c>, overlaid by the deployment's channel Secret (<c>Channels:WeChat</c>) for AppSecret and Token.</summary>
public sealed class WeChatOptions
{
    public const string Section = "Notification:WeChat";
    public const string SecretSection = "Channels:WeChat";

    public string Endpoint { get; set; } = "https://api.weixin.qq.com";
    public string AppId { get; set; } = "";
    public string AppSecret { get; set; } = "";
    /// <summary>The server-configuration token WeChat signs its pushes with; empty refuses every push.</summary>
    public string Token { get; set; } = "";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How far a push's signed timestamp may be from now, either way; each push is accepted once within it.</summary>
    public TimeSpan CallbackWindow { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// WeChat official-account template messages. The access token comes from the stable-token API and is kept until
/// five minutes before it expires; one refresh runs at a time, and an answer saying the token is no longer valid
/// drops it, refreshes once and sends again.
/// </summary>
public sealed partial class WeChatTemplateProvider(HttpClient http, IOptions<WeChatOptions> options, TimeProvider time,
    ILogger<WeChatTemplateProvider> logger) : IMessageProvider
{
    public const string ProviderName = "wechat-mp";
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly WeChatOptions _options = options.Value;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private AccessToken? _token;

    public string Name => ProviderName;

    public string Channel => ChannelNames.WeChat;

    private sealed record AccessToken(string Value, DateTimeOffset RefreshAt);

    private abstract record TokenResult
    {
        public sealed record Got(AccessToken Token) : TokenResult;
        public sealed record Failed(SendOutcome Outcome) : TokenResult;
    }

    public async Task<SendOutcome> SendAsync(ProviderMessage message, CancellationToken ct)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var token = await TokenAsync(ct);
                if (token is TokenResult.Failed failed) return failed.Outcome;
                var current = ((TokenResult.Got)token).Token;

                var answer = await PostAsync($"/cgi-bin/message/template/send?access_token={Uri.EscapeDataString(current.Value)}",
                    Payload(message), ct);
                if (answer is null) return SendOutcome.RetryLater("WeChat answered without a readable body");
                var (code, text) = Error(answer);
                if (code == 0)
                    return answer["msgid"] is JsonValue id ? SendOutcome.Accepted(id.ToString())
                        : SendOutcome.RetryLater("WeChat accepted without a msgid");
                if (IsTokenInvalid(code) && attempt == 1)
                {
                    // Another process refreshed it, or it expired early: drop this one (unless already replaced) and resend once.
                    Interlocked.CompareExchange(ref _token, null, current);
                    continue;
                }
                return Classify(code, text);
            }
        }
        catch (HttpRequestException ex)
        {
            LogUnreachable(logger, message.MessageId, ex.Message);
            return SendOutcome.RetryLater($"WeChat unreachable: {ex.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendOutcome.RetryLater("WeChat timed out");
        }
    }

    private static JsonObject Payload(ProviderMessage message)
    {
        var data = new JsonObject();
        foreach (var (name, value) in message.ProviderParams) data[name] = new JsonObject { ["value"] = value };
        return new JsonObject { ["touser"] = message.Address, ["template_id"] = message.ProviderTemplateId, ["data"] = data };
    }

    internal static SendOutcome Classify(long code, string text)
    {
        var error = $"{code.ToString(CultureInfo.InvariantCulture)}: {text}";
        // 45009 daily quota, -1 system busy, 45047 too many messages to this user for now.
        return code is 45009 or -1 or 45047 || IsTokenInvalid(code) ? SendOutcome.RetryLater(error) : SendOutcome.Rejected(error);
    }

    private static bool IsTokenInvalid(long code) => code is 40001 or 42001 or 40014;

    private async Task<TokenResult> TokenAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _token) is { } cached && time.GetUtcNow() < cached.RefreshAt) return new TokenResult.Got(cached);
        await _refresh.WaitAsync(ct);
        try
        {
            // Whoever held the lock may have refreshed it already.
            if (_token is { } fresh && time.GetUtcNow() < fresh.RefreshAt) return new TokenResult.Got(fresh);
            var answer = await PostAsync("/cgi-bin/stable_token", new JsonObject
            {
                ["grant_type"] = "client_credential",
                ["appid"] = _options.AppId,
                ["secret"] = _options.AppSecret,
            }, ct);
            if (answer is null) return new TokenResult.Failed(SendOutcome.RetryLater("WeChat token answer unreadable"));
            if (answer["access_token"] is JsonValue value && value.TryGetValue<string>(out var accessToken) && accessToken.Length > 0)
            {
                var expiresIn = answer["expires_in"] is JsonValue e && e.TryGetValue<long>(out var seconds) ? seconds : 7200;
                _token = new AccessToken(accessToken, time.GetUtcNow() + TimeSpan.FromSeconds(expiresIn) - RefreshMargin);
                return new TokenResult.Got(_token);
            }
            var (code, text) = Error(answer);
            LogTokenRefused(logger, code, text);
            // A wrong app secret is no fault of the message: it waits (and retries) until the account is fixed.
            return new TokenResult.Failed(SendOutcome.RetryLater($"WeChat access token refused: {code}: {text}"));
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Posts JSON; null when the answer is not a JSON object. HTTP failures throw HttpRequestException.</summary>
    private async Task<JsonObject?> PostAsync(string pathAndQuery, JsonObject body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(_options.Endpoint.TrimEnd('/') + pathAndQuery, body, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} from WeChat", null, response.StatusCode);
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (long Code, string Text) Error(JsonObject answer) => (
        answer["errcode"] is JsonValue c && c.TryGetValue<long>(out var code) ? code : 0,
        answer["errmsg"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : "");

    [LoggerMessage(EventId = 1, EventName = "WeChatUnreachable", Level = LogLevel.Warning,
        Message = "WeChat could not be reached for message {MessageId}: {Error}")]
    private static partial void LogUnreachable(ILogger logger, Guid messageId, string error);

    [LoggerMessage(EventId = 2, EventName = "WeChatTokenRefused", Level = LogLevel.Error,
        Message = "WeChat refused an access token: {Code} {Text}")]
    private static partial void LogTokenRefused(ILogger logger, long code, string text);
}
