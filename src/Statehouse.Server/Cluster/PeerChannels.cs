using System.Collections.Concurrent;
using Grpc.Net.Client;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Cluster;

/// <summary>One gRPC channel per peer address (HTTP/2, cleartext, loopback or private network), reused for every call.</summary>
public sealed class PeerChannels : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly int _maxMessageBytes;

    /// <summary>Creates the cache; messages up to <paramref name="maxMessageBytes"/> pass between nodes.</summary>
    public PeerChannels(int maxMessageBytes) => _maxMessageBytes = maxMessageBytes;

    /// <summary>The Peer client of the node whose gRPC endpoint is <paramref name="grpcAddress"/> (host:port).</summary>
    public V1.Peer.PeerClient Peer(string grpcAddress) => new(Channel(grpcAddress));

    /// <summary>The Cluster client of the node whose gRPC endpoint is <paramref name="grpcAddress"/>.</summary>
    public V1.Cluster.ClusterClient Cluster(string grpcAddress) => new(Channel(grpcAddress));

    private GrpcChannel Channel(string address) => _channels.GetOrAdd(address, a => GrpcChannel.ForAddress("http://" + a, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = _maxMessageBytes,
        MaxSendMessageSize = _maxMessageBytes,
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
        },
    }));

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
    }
}
