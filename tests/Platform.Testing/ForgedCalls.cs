using System.Net;
using System.Text.Json;
using Grpc.Core;
using Medins.Platform.Hosting;
using Xunit;

namespace Medins.Platform.Testing;

/// <summary>What someone who reaches a service port directly can send: the headers the gateway once set, and nothing signed.</summary>
public static class ForgedCalls
{
    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["x-tenant-id"] = "cq-linjiang",
        ["x-medins-scope"] = "city",
        ["x-medins-client"] = "demo-city",
    };

    public static Metadata Metadata()
    {
        var metadata = new Metadata();
        foreach (var (name, value) in Headers) metadata.Add(name, value);
        return metadata;
    }

    /// <summary>Adds the forged headers to every request of <paramref name="http"/> (which carries no assertion).</summary>
    public static HttpClient With(HttpClient http)
    {
        foreach (var (name, value) in Headers) http.DefaultRequestHeaders.Add(name, value);
        return http;
    }

    /// <summary>The call was refused with <paramref name="code"/> and google.rpc ErrorInfo <paramref name="reason"/>.</summary>
    public static async Task<RpcException> AssertRefusedAsync(Task call, StatusCode code, string reason)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(reason, RpcErrors.ReasonOf(ex));
        return ex;
    }

    /// <summary>The JSON answer is <paramref name="status"/> with the transcoded error body {code, message, details[ErrorInfo]}.</summary>
    public static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.TryGetProperty("code", out _), body);
        Assert.Contains(json.RootElement.GetProperty("details").EnumerateArray(),
            d => d.TryGetProperty("reason", out var r) && r.GetString() == reason);
    }
}
