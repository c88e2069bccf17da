using System.Net;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>Assertions on the gateway's error shapes.</summary>
public static class Expect
{
    /// <summary>The call fails with this status, and its google.rpc.Status carries an ErrorInfo in domain medins; returns the reason.</summary>
    public static async Task<string> RpcErrorAsync(StatusCode code, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, error.StatusCode);
        var status = error.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)code, status.Code);
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal("medins", info.Domain);
        return info.Reason;
    }

    /// <summary>The response has this HTTP status and a transcoding-style error body; returns the reason.</summary>
    public static async Task<string> JsonErrorAsync(HttpStatusCode status, int code, HttpResponseMessage response)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, body.RootElement.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.RootElement.GetProperty("message").GetString()));
        var detail = Assert.Single(body.RootElement.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", detail.GetProperty("@type").GetString());
        Assert.Equal("medins", detail.GetProperty("domain").GetString());
        return detail.GetProperty("reason").GetString()!;
    }
}
