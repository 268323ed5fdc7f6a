using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Statehouse.Core;

namespace Statehouse.Server.Grpc;

/// <summary>Turns Statehouse failures into gRPC statuses with the stable code in a trailer (the one mapping in <see cref="ErrorMapping"/>).</summary>
internal sealed class ErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } rpc)
        {
            throw rpc;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } rpc)
        {
            throw rpc;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } rpc)
        {
            throw rpc;
        }
    }

    private static RpcException? Translate(Exception ex) => ex switch
    {
        StatehouseException s => ErrorMapping.ToRpcException(s),
        BadHttpRequestException b => ErrorMapping.ToRpcException(new StatehouseException(ErrorCode.InvalidArgument, b.Message)),
        Google.Protobuf.InvalidProtocolBufferException p => ErrorMapping.ToRpcException(new StatehouseException(ErrorCode.InvalidArgument, p.Message)),
        _ => null,
    };
}
