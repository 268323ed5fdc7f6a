using System.Net.Http;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = Statehouse.V1;

namespace Statehouse.Bench;

/// <summary>The two operations the comparison needs, over one shared HTTP/2 connection (as etcd's Go client does).</summary>
internal interface IKvTarget : IDisposable
{
    Task PutAsync(byte[] key, byte[] value, CancellationToken cancellationToken);

    /// <summary>A linearizable read; returns whether the key exists.</summary>
    Task<bool> GetAsync(byte[] key, CancellationToken cancellationToken);
}

internal static class KvTargets
{
    /// <summary>Each call is bounded: a stuck server shows up as DeadlineExceeded errors, not as a hung benchmark.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public static IKvTarget Create(string target, string endpoint) => target switch
    {
        "statehouse" => new StatehouseTarget(endpoint),
        "etcd" => new EtcdTarget(endpoint),
        _ => throw new ArgumentException($"--target must be statehouse or etcd, got '{target}'."),
    };

    /// <summary>One HTTP/2 connection, multiplexed by every client task.</summary>
    public static GrpcChannel Channel(string endpoint, bool multipleConnections = false) => GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = multipleConnections,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
        MaxReceiveMessageSize = 64 << 20,
        MaxSendMessageSize = 64 << 20,
    });

    public static DateTime Deadline() => DateTime.UtcNow.Add(CallTimeout);
}

internal sealed class StatehouseTarget(string endpoint) : IKvTarget
{
    private const string Keyspace = "default";
    private readonly GrpcChannel _channel = KvTargets.Channel(endpoint);
    private V1.KV.KVClient? _client;

    private V1.KV.KVClient Client => _client ??= new V1.KV.KVClient(_channel);

    public async Task PutAsync(byte[] key, byte[] value, CancellationToken cancellationToken)
    {
        var request = new V1.PutRequest { Keyspace = Keyspace, Key = UnsafeByteOperations.UnsafeWrap(key), Value = UnsafeByteOperations.UnsafeWrap(value) };
        await Client.PutAsync(request, deadline: KvTargets.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    public async Task<bool> GetAsync(byte[] key, CancellationToken cancellationToken)
    {
        var request = new V1.GetRequest { Keyspace = Keyspace, Key = UnsafeByteOperations.UnsafeWrap(key) };
        var response = await Client.GetAsync(request, deadline: KvTargets.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return response.Found;
    }

    public void Dispose() => _channel.Dispose();
}

internal sealed class EtcdTarget(string endpoint) : IKvTarget
{
    private readonly GrpcChannel _channel = KvTargets.Channel(endpoint);
    private Etcd.KV.KVClient? _client;

    private Etcd.KV.KVClient Client => _client ??= new Etcd.KV.KVClient(_channel);

    public async Task PutAsync(byte[] key, byte[] value, CancellationToken cancellationToken)
    {
        var request = new Etcd.PutRequest { Key = UnsafeByteOperations.UnsafeWrap(key), Value = UnsafeByteOperations.UnsafeWrap(value) };
        await Client.PutAsync(request, deadline: KvTargets.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    public async Task<bool> GetAsync(byte[] key, CancellationToken cancellationToken)
    {
        // serializable = false: linearizable, etcd's default (ReadIndex through Raft before answering).
        var request = new Etcd.RangeRequest { Key = UnsafeByteOperations.UnsafeWrap(key), Serializable = false };
        var response = await Client.RangeAsync(request, deadline: KvTargets.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return response.Kvs.Count > 0;
    }

    public void Dispose() => _channel.Dispose();
}

/// <summary>Counts errors by status code and keeps the first message of each, so a failing run explains itself.</summary>
internal sealed class ErrorLog
{
    private readonly Dictionary<string, (long Count, string First)> _byCode = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public long Total { get; private set; }

    public void Add(Exception ex)
    {
        var code = ex is RpcException rpc ? rpc.StatusCode.ToString() : ex.GetType().Name;
        lock (_lock)
        {
            Total++;
            _byCode[code] = _byCode.TryGetValue(code, out var e) ? (e.Count + 1, e.First) : (1, Truncate(ex.Message));
        }
    }

    public string Summary()
    {
        lock (_lock)
        {
            return string.Join("; ", _byCode.Select(kv => $"{kv.Key} x{kv.Value.Count}: {kv.Value.First}"));
        }
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200];
}

internal static class Keys
{
    /// <summary>The same key bytes for both systems ("bench/00001234"); Statehouse puts them in keyspace "default".</summary>
    public static byte[][] Make(string prefix, int count)
    {
        var keys = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            keys[i] = System.Text.Encoding.ASCII.GetBytes(prefix + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture));
        }

        return keys;
    }

    public static byte[] Value(int bytes, int seed)
    {
        var value = new byte[bytes];
        new Random(seed).NextBytes(value);
        return value;
    }
}
