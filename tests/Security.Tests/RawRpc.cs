using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Medins.Security.Tests;

/// <summary>Calls any RPC by its descriptor with a raw protobuf payload (empty: the default request).</summary>
public static class RawRpc
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>What a call ended with: its status code and, when refused, the ErrorInfo reason and metadata.</summary>
    public sealed record Outcome(StatusCode Status, string Reason, IReadOnlyDictionary<string, string> Metadata, string Detail)
    {
        /// <summary>The refusal's google.rpc.LocalizedMessage, when it carries one.</summary>
        public Google.Rpc.LocalizedMessage? Clerk { get; init; }

        public override string ToString() => Status == StatusCode.OK ? "OK" : $"{Status} {Reason} ({Detail})";
    }

    public static async Task<Outcome> CallAsync(CallInvoker invoker, MethodDescriptor method, byte[]? payload = null)
    {
        payload ??= [];
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var raw = new Method<byte[], byte[]>(type, method.Service.FullName, method.Name, Bytes, Bytes);
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(raw, null, options, payload);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(raw, null, options, payload))
                        while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
                    break;
                case MethodType.ClientStreaming:
                    using (var call = invoker.AsyncClientStreamingCall(raw, null, options))
                    {
                        try
                        {
                            await call.RequestStream.WriteAsync(payload);
                            await call.RequestStream.CompleteAsync();
                        }
                        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
                        {
                            // The server answered before reading (a refusal): its status is in the response.
                        }
                        await call.ResponseAsync;
                    }
                    break;
                default:
                    throw new NotSupportedException($"{method.FullName} is a duplex stream; the platform has none.");
            }
            return new Outcome(StatusCode.OK, "", new Dictionary<string, string>(), "");
        }
        catch (RpcException ex)
        {
            var info = ex.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>();
            return new Outcome(ex.StatusCode, info?.Reason ?? "",
                info?.Metadata.ToDictionary(m => m.Key, m => m.Value) ?? new Dictionary<string, string>(), ex.Status.Detail)
            {
                Clerk = ex.GetRpcStatus()?.GetDetail<Google.Rpc.LocalizedMessage>(),
            };
        }
    }
}
