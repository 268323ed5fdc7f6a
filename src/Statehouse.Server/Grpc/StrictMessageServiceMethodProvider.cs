using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Statehouse.Core;

namespace Statehouse.Server.Grpc;

/// <summary>
/// Binds the generated gRPC services as Grpc.AspNetCore's own binder does, but with request deserializers that turn a
/// malformed message into INVALID_ARGUMENT (with <c>statehouse-code</c>) and one warning line. Grpc.AspNetCore would
/// otherwise answer UNKNOWN and log an error with a stack trace for every such request: a log flood any client can cause.
/// </summary>
/// <remarks>
/// Deserialization runs before interceptors see a unary or server-streaming request, so <see cref="ErrorInterceptor"/>
/// cannot catch it; the marshaller is the only place. Framing errors (truncated frame, compressed flag without
/// grpc-encoding, message over the size limit) are answered by Grpc.AspNetCore before this, without a stack trace.
/// </remarks>
internal sealed class StrictMessageServiceMethodProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TService>(ILoggerFactory loggerFactory)
    : IServiceMethodProvider<TService>
    where TService : class
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Statehouse.Server.Grpc");

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        // The generated base class names its static BindService(ServiceBinderBase, TBase) method.
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>() is { } bind)
            {
                var method = bind.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                    .Single(m => m.Name == bind.BindMethodName && m.GetParameters() is [{ ParameterType: var first }, _] && first == typeof(ServiceBinderBase));
                method.Invoke(null, [new Binder(context, method.GetParameters()[1].ParameterType, _logger), null]);
                return;
            }
        }
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type declaringType, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, [typeof(TRequest), typeof(ServerCallContext)]);
            context.AddUnaryMethod(Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, [typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)]);
            context.AddServerStreamingMethod(Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)]);
            context.AddClientStreamingMethod(Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)]);
            context.AddDuplexStreamingMethod(Strict(method), metadata, invoker);
        }

        /// <summary>The same method with a request deserializer that refuses malformed messages as InvalidArgument.</summary>
        private Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        {
            var deserialize = method.RequestMarshaller.ContextualDeserializer;
            var fullName = method.FullName;
            var requests = Marshallers.Create(method.RequestMarshaller.ContextualSerializer, deserializationContext =>
            {
                try
                {
                    return deserialize(deserializationContext);
                }
                catch (InvalidProtocolBufferException ex)
                {
                    Log.MalformedGrpcMessage(logger, fullName, "-", ex.Message);
                    throw ErrorMapping.ToRpcException(new StatehouseException(ErrorCode.InvalidArgument, $"Malformed {typeof(TRequest).Name}: {ex.Message}"));
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, requests, method.ResponseMarshaller);
        }

        /// <summary>The invoker of the service's override of <paramref name="name"/>, and its endpoint metadata.</summary>
        private (TDelegate Invoker, List<object> Metadata) Bind<TDelegate>(string name, Type[] parameters)
            where TDelegate : Delegate
        {
            var handler = FindOverride(name, parameters)
                ?? throw new InvalidOperationException($"{typeof(TService).Name} does not override {declaringType.Name}.{name}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }

        private MethodInfo? FindOverride(string name, Type[] parameters)
        {
            for (var type = typeof(TService); type is not null; type = type.BaseType)
            {
                var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, parameters, modifiers: null);
                if (method is null)
                {
                    return null;
                }

                if (method.IsVirtual && method.GetBaseDefinition().DeclaringType == declaringType)
                {
                    return method;
                }
            }

            return null;
        }
    }
}

/// <summary>Registers <see cref="StrictMessageServiceMethodProvider{TService}"/> in place of Grpc.AspNetCore's binder.</summary>
internal static class StrictMessageServiceMethods
{
    /// <summary>Call after <c>AddGrpc</c>: every gRPC service of the node then refuses malformed messages as InvalidArgument.</summary>
    public static IServiceCollection AddStrictGrpcMessages(this IServiceCollection services)
    {
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(StrictMessageServiceMethodProvider<>)));
        return services;
    }
}
