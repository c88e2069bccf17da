using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Grpc;

public static class DecodeGuard
{
    public static readonly string UndecodableRequest = ErrorReasons.Code(PlatformReason.UndecodableRequest);

    /// <summary>Replaces the framework's default binder (its type is internal) by <see cref="DecodeGuardServiceMethodProvider{TService}"/>.</summary>
    public static IServiceCollection AddGrpcDecodeGuard(this IServiceCollection services)
    {
        var framework = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
                && d.ImplementationType is { Name: "BinderServiceMethodProvider`1" })
            .ToList();
        if (framework.Count != 1)
            throw new InvalidOperationException("grpc-dotnet's BinderServiceMethodProvider is not registered; AddGrpc must run first.");
        services.Remove(framework[0]);
        services.Add(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(DecodeGuardServiceMethodProvider<>)));
        return services;
    }
}

/// <summary>
/// grpc-dotnet decodes a request before any interceptor runs, and a payload its parser refuses ends as UNKNOWN
/// "Exception was thrown by handler". An RpcException thrown by the deserializer is answered as is, so this binds
/// every service method exactly as the framework's own binder does, with a request marshaller that turns a decode
/// failure into INVALID_ARGUMENT (UNDECODABLE_REQUEST). Framing errors (a truncated or compressed frame the server
/// cannot read) are answered by the framework before any marshaller, with its own status and no details.
/// </summary>
public sealed class DecodeGuardServiceMethodProvider<TService>(IServiceProvider services) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        // A later AddGrpc() registers the framework's binder again, which would bind every method twice.
        if (services.GetServices<IServiceMethodProvider<TService>>().Any(p => p.GetType().Name == "BinderServiceMethodProvider`1"))
            throw new InvalidOperationException(
                "AddGrpc() was called after AddPlatformDefaults; configure gRPC options with Configure<GrpcServiceOptions> instead.");
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is not { } attribute) continue;
            var bind = attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static, null,
                [typeof(ServiceBinderBase), type], null)
                ?? throw new InvalidOperationException($"{attribute.BindType} has no {attribute.BindMethodName}({type}).");
            bind.Invoke(null, [new Binder(context, this), null]);
            return;
        }
    }

    // The deserializer runs before any interceptor, so the refusal leaves as a gRPC error built here.
    private readonly string _domain = RpcErrors.DomainOf(services.GetRequiredService<PlatformServiceInfo>().Name);

    private Marshaller<T> Guard<T>(Marshaller<T> marshaller, string method) => new(marshaller.ContextualSerializer,
        context =>
        {
            try
            {
                return marshaller.ContextualDeserializer(context);
            }
            catch (Exception ex) when (ex is not RpcException)
            {
                // The whole payload is in memory here, so any failure is the payload's.
                throw RpcErrors.ToRpcException(RpcErrors.InvalidArgument(DecodeGuard.UndecodableRequest,
                    $"The request payload is not a valid {typeof(T).Name} for {method}."), _domain);
            }
        });

    private sealed class Binder(ServiceMethodProviderContext<TService> context, DecodeGuardServiceMethodProvider<TService> guard)
        : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Guarded(method), Metadata(method, out var target, typeof(TRequest), typeof(ServerCallContext)),
                Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Guarded(method),
                Metadata(method, out var target, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)),
                Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Guarded(method),
                Metadata(method, out var target, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Guarded(method),
                Metadata(method, out var target, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>),
                    typeof(ServerCallContext)),
                Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(target));

        private Method<TRequest, TResponse> Guarded<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
            new(method.Type, method.ServiceName, method.Name, guard.Guard(method.RequestMarshaller, method.FullName),
                method.ResponseMarshaller);

        private static TDelegate Invoker<TDelegate>(MethodInfo target) where TDelegate : Delegate =>
            (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), target);

        /// <summary>The implementing method and its endpoint metadata, as the framework's binder collects them.</summary>
        private static List<object> Metadata(IMethod method, out MethodInfo target, params Type[] parameters)
        {
            target = typeof(TService).GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance, null, parameters, null)
                ?? throw new InvalidOperationException($"Could not find '{method.Name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(target.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }
    }
}
