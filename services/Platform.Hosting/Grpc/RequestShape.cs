using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Grpc;

/// <summary>
/// What every request must satisfy before any service reads it, checked once for every RPC (gRPC and JSON
/// transcoding, query strings included) by walking the message's string fields through protobuf reflection:
/// no NUL and no unpaired surrogate (PostgreSQL text cannot store them, and UTF-8 cannot carry the latter), and
/// a maximum length. Services still check what each field means.
/// </summary>
public static class RequestShape
{
    /// <summary>Identifiers, names, codes, notes: far above any real value.</summary>
    public const int MaxLength = 2_000;

    /// <summary>Whole documents (policies, CSV files, templates): bounded by the message size limit in practice.</summary>
    public const int MaxDocumentLength = 4 * 1024 * 1024;

    public static readonly string InvalidCharacters = ErrorReasons.Code(PlatformReason.InvalidCharacters);
    public static readonly string FieldTooLong = ErrorReasons.Code(PlatformReason.FieldTooLong);

    /// <summary>Fields that carry a whole document rather than a value, by naming convention.</summary>
    public static bool IsDocument(FieldDescriptor field) =>
        field.Name is "document" or "content" or "body"
        || field.Name.EndsWith("_json", StringComparison.Ordinal)
        || field.Name.EndsWith("_text", StringComparison.Ordinal)
        || field.Name.EndsWith("_chunk", StringComparison.Ordinal);

    /// <summary>Every violation in the message, with field paths as clients name them (snake_case, [index]).</summary>
    public static IReadOnlyList<(string Field, string Description, string Reason)> Violations(IMessage message)
    {
        var found = new List<(string, string, string)>();
        Walk(message, "", found, depth: 0);
        return found;
    }

    /// <summary>Refuses the message with INVALID_ARGUMENT, every violation listed, or returns.</summary>
    public static void ThrowIfInvalid(IMessage message)
    {
        var violations = Violations(message);
        if (violations.Count == 0) return;
        // One reason a client can branch on: characters first, as they can never be stored at all.
        var reason = violations.Any(v => v.Reason == InvalidCharacters) ? InvalidCharacters : FieldTooLong;
        throw RpcErrors.InvalidArgument(reason,
            "The request is invalid: " + string.Join("; ", violations.Select(v => $"{v.Field} {v.Description}")),
            [.. violations.Select(v => (v.Field, v.Description))]);
    }

    private static void Walk(IMessage message, string prefix, List<(string, string, string)> found, int depth)
    {
        // The protobuf parser already refuses nesting deeper than its recursion limit; this is a second fence.
        if (depth > 64) return;
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var path = prefix + field.Name;
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    var entryPath = $"{path}[{entry.Key}]";
                    if (entry.Key is string key) Check(key, field, entryPath, found);
                    Visit(entry.Value, valueField, entryPath, found, depth);
                }
            }
            else if (field.IsRepeated)
            {
                var index = 0;
                foreach (var item in (IList)value) Visit(item, field, $"{path}[{index++}]", found, depth);
            }
            else
            {
                Visit(value, field, path, found, depth);
            }
        }
    }

    private static void Visit(object? value, FieldDescriptor field, string path, List<(string, string, string)> found, int depth)
    {
        switch (value)
        {
            case string text:
                Check(text, field, path, found);
                break;
            case IMessage nested:
                Walk(nested, path + ".", found, depth + 1);
                break;
        }
    }

    private static void Check(string text, FieldDescriptor field, string path, List<(string, string, string)> found)
    {
        var max = IsDocument(field) ? MaxDocumentLength : MaxLength;
        if (text.Length > max)
            found.Add((path, $"must be at most {max} characters", FieldTooLong));
        if (!IsStorable(text))
            found.Add((path, "must not contain NUL or unpaired surrogate characters", InvalidCharacters));
    }

    /// <summary>The text with every character <see cref="IsStorable"/> refuses replaced by U+FFFD.</summary>
    public static string ToStorable(string text)
    {
        if (IsStorable(text)) return text;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (chars[i] == '\0' || char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>False for text PostgreSQL cannot store: NUL, or UTF-16 that is not valid Unicode.</summary>
    public static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Applies <see cref="RequestShape"/> to every request message, unary and streaming.</summary>
public sealed class RequestShapeInterceptor : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(new CheckedReader<TRequest>(requestStream), context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(new CheckedReader<TRequest>(requestStream), responseStream, context);

    private static void Check<T>(T request)
    {
        if (request is IMessage message) RequestShape.ThrowIfInvalid(message);
    }

    private sealed class CheckedReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken)) return false;
            Check(inner.Current);
            return true;
        }
    }
}
