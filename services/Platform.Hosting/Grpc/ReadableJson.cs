using System.Text.Encodings.Web;
using System.Text.Json;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Medins.Platform.Hosting.Grpc;

/// <summary>
/// The JSON API answers Chinese as UTF-8 text ("城乡居民"), not <c>\u57ce\u4e61…</c>: gRPC JSON transcoding escapes
/// every non-ASCII character and offers no setting for it, so a unary JSON answer is written again with an encoder
/// that leaves text alone (the answer is <c>application/json</c>, never HTML, so nothing needs HTML escaping).
/// Streamed answers pass through untouched: buffering an export would hold it whole in memory.
/// </summary>
public sealed class ReadableJsonMiddleware(RequestDelegate next)
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task InvokeAsync(HttpContext context)
    {
        var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is null || method.Type != MethodType.Unary || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            await next(context);
            return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        ReadOnlyMemory<byte> body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (context.Response.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true && body.Length > 0)
            body = Rewrite(body);
        context.Response.ContentLength = body.Length;
        await original.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The same JSON with non-ASCII text unescaped; the original when it is not one JSON value.</summary>
    public static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            using var output = new MemoryStream(json.Length);
            using (var writer = new Utf8JsonWriter(output, Relaxed)) document.WriteTo(writer);
            return output.ToArray();
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
