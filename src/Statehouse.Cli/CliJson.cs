using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Statehouse.Client;

namespace Statehouse.Cli;

/// <summary>
/// The JSON documents of <c>--json</c> output (camelCase, nulls omitted). Keys and values use the HTTP API's shape:
/// text plus its encoding, <c>utf8</c> or <c>base64</c>.
/// </summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // Output for people and scripts: keep non-ASCII text readable instead of \uXXXX escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T document) => JsonSerializer.Serialize(document, Options);

    public static KvJson Kv(KeyValueEntry entry, bool includeValue = true)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (key, keyEncoding) = Utf8Text.Encode(entry.Key.Span);
        string? value = null, valueEncoding = null;
        if (includeValue)
        {
            (value, valueEncoding) = Utf8Text.Encode(entry.Value.Span);
        }

        return new KvJson(key, keyEncoding, value, valueEncoding, entry.CreateRevision, entry.ModRevision, entry.Version, entry.Lease);
    }

    /// <summary>An empty string as <see langword="null"/>, so that the property is left out of the document.</summary>
    public static string? OrNull(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public static string EventType(WatchEventType type) => type switch
    {
        WatchEventType.Put => "put",
        WatchEventType.Delete => "delete",
        WatchEventType.Expire => "expire",
        _ => type.ToString().ToLowerInvariant(),
    };
}

internal sealed record KvJson(string Key, string KeyEncoding, string? Value, string? ValueEncoding, long CreateRevision, long ModRevision, long Version, long Lease);

internal sealed record ErrorJson(string Code, string Message, string? Hint);

internal sealed record PutJson(long Revision, long Lease, KvJson? Previous);

internal sealed record GetJson(long Revision, KvJson Kv, string? ServedBy = null);

internal sealed record DeleteJson(long Revision, long Deleted);

internal sealed record ListJson(long Revision, long Count, bool More, string? Continuation, IReadOnlyList<KvJson>? Items, string? ServedBy = null);

internal sealed record IncrementJson(long Value, long Revision);

internal sealed record WatchEventJson(long Revision, string Type, KvJson Kv, KvJson? PrevKv);

internal sealed record TxnOpResultJson(
    string Type,
    long? Revision = null,
    KvJson? Kv = null,
    long? Deleted = null,
    long? Value = null,
    IReadOnlyList<KvJson>? Kvs = null,
    long? Count = null,
    bool? More = null,
    KvJson? Previous = null);

internal sealed record TxnResultJson(bool Succeeded, long Revision, IReadOnlyList<TxnOpResultJson> Results);

internal sealed record LeaseJson(long Id, long? TtlSeconds = null, long? GrantedTtlSeconds = null, long? KeysDeleted = null, IReadOnlyList<string>? Keys = null, long? Revision = null);

internal sealed record LeaseListJson(IReadOnlyList<long> Ids, long Revision);

internal sealed record KeyspaceJson(string Name, int MaxKeyBytes, int MaxValueBytes, long MaxKeys, long? Keys = null, long? Bytes = null);

internal sealed record StatusJson(
    string NodeId,
    string Version,
    long Revision,
    long CompactRevision,
    ulong AppliedIndex,
    ulong CommitIndex,
    long Keys,
    long Bytes,
    long Leases,
    long UptimeMs,
    ulong SnapshotIndex,
    long WalBytes,
    string Leader,
    long Term);

internal sealed record SnapshotJson(ulong Index, long Revision, long Bytes, string Path, long DurationMs);

internal sealed record CompactJson(long CompactRevision, long Revision);

internal sealed record KeyspaceListJson(IReadOnlyList<KeyspaceJson> Keyspaces);

/// <summary>The shape of <c>GET /v1/cluster</c> (docs/cluster.md), so that scripts read the CLI and the HTTP API alike.</summary>
internal sealed record ClusterJson(bool Clustered, string? Self, string? Leader, ulong Term, IReadOnlyList<ClusterMemberJson> Members);

internal sealed record ClusterMemberJson(
    string Id,
    string RaftAddress,
    string HttpAddress,
    string GrpcAddress,
    string Role,
    bool Available,
    ulong AppliedIndex,
    ulong CommitIndex,
    long Lag,
    long Revision,
    ulong Term);

internal sealed record ClusterStatusJson(string? Leader, ulong Term, int Members, int Healthy, long? MaxLag, bool Clustered, string? Self);
