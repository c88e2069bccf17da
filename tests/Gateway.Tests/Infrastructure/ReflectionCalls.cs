using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>One gRPC server reflection request on its own stream, as grpcurl sends it.</summary>
public static class ReflectionCalls
{
    public const string V1 = "grpc.reflection.v1.ServerReflection";
    public const string V1Alpha = "grpc.reflection.v1alpha.ServerReflection";

    /// <summary>v1 and v1alpha carry the same messages on the wire; only the service name differs.</summary>
    private static Method<ServerReflectionRequest, ServerReflectionResponse> Info(string service) =>
        new(MethodType.DuplexStreaming, service, "ServerReflectionInfo",
            Marshallers.Create(m => m.ToByteArray(), ServerReflectionRequest.Parser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), ServerReflectionResponse.Parser.ParseFrom));

    /// <summary>Sends the request with the key (none when null) and returns the one answer.</summary>
    public static async Task<ServerReflectionResponse> AskAsync(GrpcChannel channel, string service, ServerReflectionRequest request,
        string? apiKey)
    {
        var headers = new Metadata();
        if (apiKey is not null) headers.Add("x-api-key", apiKey);
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(Info(service), null, new CallOptions(headers));
        try
        {
            await call.RequestStream.WriteAsync(request);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // A refusal (credential, rate limit) may end the call before the request is written: the write then
            // fails as Cancelled, and the call's real status is what reading the response throws below.
        }
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var response = call.ResponseStream.Current;
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        return response;
    }
}
