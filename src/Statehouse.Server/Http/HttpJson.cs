using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Statehouse.Core.Model;

namespace Statehouse.Server.Http;

/// <summary>JSON shapes of the HTTP API (camelCase). Keys and values are UTF-8 text where valid, else base64, with the encoding named.</summary>
internal static class HttpJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Text of bytes and its encoding: "utf8" where valid UTF-8, else "base64".</summary>
    public static (string Text, string Encoding) Encode(byte[] bytes)
    {
        try
        {
            return (StrictUtf8.GetString(bytes), "utf8");
        }
        catch (DecoderFallbackException)
        {
            return (Convert.ToBase64String(bytes), "base64");
        }
    }

    public static KvJson ToJson(KeyValue kv, bool includeValue = true)
    {
        var (key, keyEncoding) = Encode(kv.Key);
        string? value = null, valueEncoding = null;
        if (includeValue)
        {
            (value, valueEncoding) = Encode(kv.Value);
        }

        return new KvJson(key, keyEncoding, value, valueEncoding, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);
    }
}

internal sealed record KvJson(string Key, string KeyEncoding, string? Value, string? ValueEncoding, long CreateRevision, long ModRevision, long Version, long Lease);

internal sealed record RevisionJson(long Revision);

internal sealed record PutJson(long Revision, long? Lease, KvJson? Previous);

internal sealed record DeleteJson(long Revision, long Deleted, IReadOnlyList<KvJson>? Previous);

internal sealed record IncrementJson(long Value, long Revision);

internal sealed record ListJson(long Revision, IReadOnlyList<KvJson> Items, long Count, bool More, string? Continuation);

/// <summary>Bytes as JSON: <c>value</c> as UTF-8 text, or <c>valueBase64</c>.</summary>
internal sealed record TxnCompareJson
{
    public string? Keyspace { get; init; }

    public string? Key { get; init; }

    public string? KeyBase64 { get; init; }

    /// <summary>value | version | modRevision | createRevision | exists | lease</summary>
    public string? Target { get; init; }

    /// <summary>== | != | &lt; | &gt; (or eq, ne, lt, gt)</summary>
    public string? Op { get; init; }

    public string? Value { get; init; }

    public string? ValueBase64 { get; init; }

    public long? Number { get; init; }
}

internal sealed record TxnPutJson
{
    public string? Keyspace { get; init; }

    public string? Key { get; init; }

    public string? KeyBase64 { get; init; }

    public string? Value { get; init; }

    public string? ValueBase64 { get; init; }

    public long? Lease { get; init; }

    public long? Ttl { get; init; }

    public bool? PrevKv { get; init; }
}

internal sealed record TxnDeleteJson
{
    public string? Keyspace { get; init; }

    public string? Key { get; init; }

    public string? KeyBase64 { get; init; }

    public bool? Prefix { get; init; }

    public string? RangeEnd { get; init; }

    public bool? PrevKv { get; init; }
}

internal sealed record TxnGetJson
{
    public string? Keyspace { get; init; }

    public string? Key { get; init; }

    public string? KeyBase64 { get; init; }
}

internal sealed record TxnIncrJson
{
    public string? Keyspace { get; init; }

    public string? Key { get; init; }

    public string? KeyBase64 { get; init; }

    public long? Delta { get; init; }
}

internal sealed record TxnRangeJson
{
    public string? Keyspace { get; init; }

    public string? Prefix { get; init; }

    public string? Start { get; init; }

    public string? End { get; init; }

    public int? Limit { get; init; }

    public bool? KeysOnly { get; init; }
}

internal sealed record TxnOpJson
{
    public TxnPutJson? Put { get; init; }

    public TxnDeleteJson? Delete { get; init; }

    public TxnGetJson? Get { get; init; }

    [JsonPropertyName("incr")]
    public TxnIncrJson? Increment { get; init; }

    public TxnRangeJson? Range { get; init; }
}

internal sealed record TxnJson
{
    public IReadOnlyList<TxnCompareJson>? Compare { get; init; }

    public IReadOnlyList<TxnOpJson>? Success { get; init; }

    public IReadOnlyList<TxnOpJson>? Failure { get; init; }

    public string? RequestId { get; init; }
}

internal sealed record TxnOpResultJson(string Type, long Revision, KvJson? Kv = null, long? Deleted = null, long? Value = null, IReadOnlyList<KvJson>? Kvs = null, bool? More = null, KvJson? Previous = null);

internal sealed record TxnResultJson(long Revision, bool Succeeded, IReadOnlyList<TxnOpResultJson> Results);

internal sealed record LeaseGrantJson
{
    public long? Id { get; init; }

    public long? TtlSeconds { get; init; }
}

internal sealed record LeaseJson(long Id, long TtlSeconds, long? GrantedTtlSeconds = null, IReadOnlyList<string>? Keys = null);

internal sealed record KeyspaceJson
{
    public string? Name { get; init; }

    public int? MaxKeyBytes { get; init; }

    public int? MaxValueBytes { get; init; }

    public long? MaxKeys { get; init; }

    public long? Keys { get; init; }

    public long? Bytes { get; init; }
}

internal sealed record MultiGetJson
{
    public IReadOnlyList<string>? Keys { get; init; }

    public IReadOnlyList<string>? KeysBase64 { get; init; }

    public long? Revision { get; init; }
}

internal sealed record StatusJson(
    string NodeId,
    string Version,
    long Revision,
    long CompactRevision,
    long AppliedIndex,
    long CommitIndex,
    long Keys,
    long Bytes,
    long Leases,
    long UptimeMs,
    string Leader,
    long Term,
    long SnapshotIndex,
    long WalBytes,
    int Watchers)
{
    /// <summary>With <c>?hash=true</c>: the logical state hash replicas compare (O(keys) to compute).</summary>
    public string? StateHash { get; init; }

    /// <summary>Whether this node leads (a single node always does).</summary>
    public bool IsLeader { get; init; }

    /// <summary>Leader changes this node has seen, snapshots installed from a leader, watchdog recoveries.</summary>
    public long Elections { get; init; }

    public long SnapshotInstalls { get; init; }

    public long Recoveries { get; init; }
}

internal sealed record WatchEventJson(string Type, KvJson Kv, KvJson? PrevKv);

internal sealed record WatchMessageJson(long Revision, IReadOnlyList<WatchEventJson> Events);
