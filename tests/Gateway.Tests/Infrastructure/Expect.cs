using System.Net;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>Assertions on the gateway's error shapes.</summary>
public static class Expect
{
    /// <summary>The call fails with this status, and its google.rpc.Status carries an ErrorInfo in a service's domain (*.medins) and a
    /// zh-CN LocalizedMessage for the clerk; returns the reason.</summary>
    public static async Task<string> RpcErrorAsync(StatusCode code, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, error.StatusCode);
        var status = error.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)code, status.Code);
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.EndsWith(".medins", info.Domain);
        var localized = status.GetDetail<LocalizedMessage>();
        Assert.NotNull(localized);
        Assert.Equal("zh-CN", localized.Locale);
        Assert.False(string.IsNullOrWhiteSpace(localized.Message));
        return info.Reason;
    }

    /// <summary>The response has this HTTP status and a transcoding-style error body with an ErrorInfo and a zh-CN
    /// LocalizedMessage; returns the reason.</summary>
    public static async Task<string> JsonErrorAsync(HttpStatusCode status, int code, HttpResponseMessage response)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, body.RootElement.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.RootElement.GetProperty("message").GetString()));
        var details = body.RootElement.GetProperty("details").EnumerateArray().ToList();
        var detail = Assert.Single(details, d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo");
        Assert.EndsWith(".medins", detail.GetProperty("domain").GetString());
        var localized = ClerkDetail(details);
        Assert.Equal("zh-CN", localized.GetProperty("locale").GetString());
        Assert.False(string.IsNullOrWhiteSpace(localized.GetProperty("message").GetString()));
        return detail.GetProperty("reason").GetString()!;
    }

    /// <summary>The google.rpc.LocalizedMessage of a JSON error body's details.</summary>
    public static JsonElement ClerkDetail(IEnumerable<JsonElement> details) =>
        Assert.Single(details, d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.LocalizedMessage");
}
