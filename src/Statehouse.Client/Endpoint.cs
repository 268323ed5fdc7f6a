using Grpc.Core;
using Grpc.Net.Client;

namespace Statehouse.Client;

/// <summary>One node's address with its long-lived, multiplexed channel.</summary>
internal sealed class Endpoint : IDisposable
{
    private readonly GrpcChannel? _channel;

    internal Endpoint(Uri address, GrpcChannel channel)
    {
        Address = address;
        _channel = channel;
        Invoker = channel.CreateCallInvoker();
    }

    internal Endpoint(Uri address, CallInvoker invoker)
    {
        Address = address;
        Invoker = invoker;
    }

    internal Uri Address { get; }

    internal CallInvoker Invoker { get; }

    public void Dispose() => _channel?.Dispose();

    public override string ToString() => Address.ToString();
}
