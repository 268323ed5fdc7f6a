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

    /// <summary>A read (linearizable unless the target was created with <see cref="ReadMode.Local"/>); returns whether the key exists.</summary>
    Task<bool> GetAsync(byte[] key, CancellationToken cancellationToken);
}

/// <summary>How gets are served.</summary>
internal enum ReadMode
{
    /// <summary>No read options (Statehouse: unspecified = linearizable; etcd serializable = false), as bench/run.sh measures.</summary>
    Default,

    /// <summary>Statehouse consistency linearizable, explicit (read index); etcd serializable = false (ReadIndex through Raft).</summary>
    Linearizable,

    /// <summary>
    /// Served from the contacted member's own state: Statehouse consistency session (min_revision = the highest
    /// revision this process has seen, so read-your-writes and monotonic); etcd serializable = true.
    /// </summary>
    Local,
}

internal static class KvTargets
{
    /// <summary>Each call is bounded: a stuck server shows up as DeadlineExceeded errors, not as a hung benchmark.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public static IKvTarget Create(string target, string endpoint, ReadMode read = ReadMode.Default) => target switch
    {
        "statehouse" => new StatehouseTarget(endpoint, read),
        "etcd" => new EtcdTarget(endpoint, read),
        _ => throw new ArgumentException($"--target must be statehouse or etcd, got '{target}'."),
    };

    public static ReadMode ParseRead(string read) => read switch
    {
        "default" => ReadMode.Default,
        "linearizable" => ReadMode.Linearizable,
        "local" => ReadMode.Local,
        _ => throw new ArgumentException($"--read must be default, linearizable or local (Statehouse session, etcd serializable), got '{read}'."),
    };

    /// <summary>The name of the read mode on <paramref name="target"/>, for the results.</summary>
    public static string ReadName(string target, ReadMode read) => (target, read) switch
    {
        (_, ReadMode.Default or ReadMode.Linearizable) => "linearizable",
        ("etcd", ReadMode.Local) => "serializable",
        _ => "session",
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

internal sealed class StatehouseTarget(string endpoint, ReadMode read = ReadMode.Default) : IKvTarget
{
    private const string Keyspace = "default";
    private readonly GrpcChannel _channel = KvTargets.Channel(endpoint);
    private V1.KV.KVClient? _client;

    /// <summary>The session token: the highest revision any response to this process carried (shared by its client tasks).</summary>
    private long _session;

    private V1.KV.KVClient Client => _client ??= new V1.KV.KVClient(_channel);

    public async Task PutAsync(byte[] key, byte[] value, CancellationToken cancellationToken)
    {
        var request = new V1.PutRequest { Keyspace = Keyspace, Key = UnsafeByteOperations.UnsafeWrap(key), Value = UnsafeByteOperations.UnsafeWrap(value) };
        var response = await Client.PutAsync(request, deadline: KvTargets.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        Observe(response.Header);
    }

    public async Task<bool> GetAsync(byte[] key, CancellationToken cancellationToken)
    {
        var request = new V1.GetRequest { Keyspace = Keyspace, Key = UnsafeByteOperations.UnsafeWrap(key) };
        if (read == ReadMode.Local)
        {
            request.Read = new V1.ReadOptions { Consistency = V1.ReadConsistency.Session, MinRevision = Volatile.Read(ref _session) };
        }
        else if (read == ReadMode.Linearizable)
        {
            request.Read = new V1.ReadOptions { Consistency = V1.ReadConsistency.Linearizable };
        }

        var response = await Client.GetAsync(request, deadline: KvTargets.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        Observe(response.Header);
        return response.Found;
    }

    private void Observe(V1.ResponseHeader? header)
    {
        if (header is null)
        {
            return;
        }

        var seen = Volatile.Read(ref _session);
        while (header.Revision > seen)
        {
            var was = Interlocked.CompareExchange(ref _session, header.Revision, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    public void Dispose() => _channel.Dispose();
}

internal sealed class EtcdTarget(string endpoint, ReadMode read = ReadMode.Default) : IKvTarget
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
        // serializable = false: linearizable, etcd's default (ReadIndex through Raft before answering);
        // true: the contacted member answers from its own state.
        var request = new Etcd.RangeRequest { Key = UnsafeByteOperations.UnsafeWrap(key), Serializable = read == ReadMode.Local };
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
