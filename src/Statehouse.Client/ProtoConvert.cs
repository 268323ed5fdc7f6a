using System.Text;
using Google.Protobuf;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>Conversions between the client's types and the wire messages of statehouse.v1.</summary>
internal static class ProtoConvert
{
    internal static ByteString Bytes(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return ByteString.CopyFromUtf8(value);
    }

    // Copied, not wrapped: the caller may reuse its buffer while a retry still needs the bytes.
    internal static ByteString Bytes(ReadOnlyMemory<byte> value) =>
        value.IsEmpty ? ByteString.Empty : ByteString.CopyFrom(value.Span);

    internal static KeyValueEntry ToEntry(Wire.KeyValue kv) =>
        new(kv.Key.Memory, kv.Value.Memory, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    internal static KeyValueEntry[] ToEntries(IReadOnlyCollection<Wire.KeyValue> kvs)
    {
        var entries = new KeyValueEntry[kvs.Count];
        var i = 0;
        foreach (var kv in kvs)
        {
            entries[i++] = ToEntry(kv);
        }

        return entries;
    }

    internal static long Revision(Wire.ResponseHeader? header) => header?.Revision ?? 0;

    /// <summary>A read revision as the server accepts it: 0 = latest, else a revision; negative is refused (as by the server).</summary>
    internal static long ReadRevision(long revision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        return revision;
    }

    internal static string NodeId(Wire.ResponseHeader? header) => header?.NodeId ?? string.Empty;

    /// <summary>
    /// The wire form of a read's freshness. A session read without an explicit token carries
    /// <paramref name="sessionRevision"/>, so that it observes every write this client has seen.
    /// </summary>
    internal static Wire.ReadOptions ReadOptions(ReadConsistency consistency, TimeSpan? maxStaleness, long minRevision, long sessionRevision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minRevision);
        ArgumentOutOfRangeException.ThrowIfNegative(sessionRevision);
        var read = new Wire.ReadOptions
        {
            Consistency = consistency switch
            {
                ReadConsistency.Linearizable => Wire.ReadConsistency.Linearizable,
                ReadConsistency.Session => Wire.ReadConsistency.Session,
                ReadConsistency.Bounded => Wire.ReadConsistency.Bounded,
                ReadConsistency.Eventual => Wire.ReadConsistency.Eventual,
                _ => throw new ArgumentOutOfRangeException(nameof(consistency), consistency, "Unknown read consistency."),
            },
            MinRevision = minRevision == 0 && consistency == ReadConsistency.Session ? sessionRevision : minRevision,
        };
        if (maxStaleness is { } staleness)
        {
            // Rounded up, and never 0: on the wire 0 means "the server's default bound", not "not stale at all".
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(staleness, TimeSpan.Zero, nameof(maxStaleness));
            read.MaxStalenessMs = (long)Math.Min(Math.Ceiling(staleness.TotalMilliseconds), long.MaxValue);
        }

        return read;
    }

    internal static Wire.Precondition? ToProto(Precondition precondition) => precondition.Kind switch
    {
        PreconditionKind.None => null,
        PreconditionKind.IfAbsent => new Wire.Precondition { IfAbsent = true },
        PreconditionKind.IfExists => new Wire.Precondition { IfExists = true },
        PreconditionKind.IfVersion => new Wire.Precondition { IfVersion = precondition.Value },
        PreconditionKind.IfModRevision => new Wire.Precondition { IfModRevision = precondition.Value },
        _ => throw new ArgumentOutOfRangeException(nameof(precondition), precondition.Kind, "Unknown precondition kind."),
    };

    internal static long TtlSeconds(TimeSpan ttl)
    {
        // The wire carries whole seconds; round up so a key never lives shorter than asked.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero, nameof(ttl));
        return (long)Math.Ceiling(ttl.TotalSeconds);
    }

    internal static Wire.PutRequest PutRequest(string keyspace, ByteString key, ByteString value, PutOptions? options)
    {
        var request = new Wire.PutRequest { Keyspace = options?.Keyspace ?? keyspace, Key = key, Value = value };
        if (options is not null)
        {
            request.Precondition = ToProto(options.Precondition);
            request.Lease = options.Lease;
            request.TtlSeconds = options.Ttl is { } ttl ? TtlSeconds(ttl) : 0;
            request.ReturnPrevious = options.ReturnPrevious;
        }

        return request;
    }

    internal static Wire.DeleteRequest DeleteRequest(string keyspace, KeyRange range, DeleteOptions? options)
    {
        var request = new Wire.DeleteRequest
        {
            Keyspace = options?.Keyspace ?? keyspace,
            Key = Bytes(range.Key),
            Precondition = ToProto(options?.Precondition ?? default),
            ReturnPrevious = options?.ReturnPrevious ?? false,
        };
        switch (range.Kind)
        {
            case KeyRangeKind.Single:
                break;
            case KeyRangeKind.Prefix:
                request.Prefix = true;
                break;
            default:
                // An empty range_end means "one key" on the wire, so an open-ended range cannot be expressed.
                RequireEnd(range, "delete");
                request.RangeEnd = Bytes(range.End);
                break;
        }

        return request;
    }

    /// <summary>A range request without read options: those are the client's to add (a transaction's range has none).</summary>
    internal static Wire.RangeRequest RangeRequest(string keyspace, KeyRange range, RangeOptions? options)
    {
        var request = new Wire.RangeRequest { Keyspace = options?.Keyspace ?? keyspace };
        switch (range.Kind)
        {
            case KeyRangeKind.Single:
                // [key, key + 0x00) holds exactly the key.
                request.Start = Bytes(range.Key);
                request.End = Bytes(NextKey(range.Key.Span));
                break;
            case KeyRangeKind.Prefix:
                request.Prefix = Bytes(range.Key);
                break;
            default:
                request.Start = Bytes(range.Key);
                request.End = Bytes(range.End);
                break;
        }

        if (options is not null)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(options.Limit, nameof(options.Limit));
            request.Limit = options.Limit;
            request.KeysOnly = options.KeysOnly;
            request.CountOnly = options.CountOnly;
            request.Revision = ReadRevision(options.Revision);
            request.Continuation = options.Continuation ?? string.Empty;
        }

        return request;
    }

    internal static Wire.WatchRequest WatchRequest(string keyspace, KeyRange range, WatchOptions? options)
    {
        // 0 = from now; a future revision is waited for (server docs); negative is refused, as by the server.
        ArgumentOutOfRangeException.ThrowIfNegative(options?.FromRevision ?? 0, "options.FromRevision");
        var request = new Wire.WatchRequest
        {
            Keyspace = options?.Keyspace ?? keyspace,
            Key = Bytes(range.Key),
            PrevKv = options?.PrevKv ?? false,
            ProgressIntervalMs = options?.ProgressInterval is { } interval
                ? (int)Math.Clamp(interval.TotalMilliseconds, 1, int.MaxValue)
                : 0,
        };
        switch (range.Kind)
        {
            case KeyRangeKind.Single:
                break;
            case KeyRangeKind.Prefix:
                request.Prefix = true;
                break;
            default:
                RequireEnd(range, "watch");
                request.RangeEnd = Bytes(range.End);
                break;
        }

        return request;
    }

    internal static GetResult ToResult(Wire.GetResponse response) =>
        new(response.Found && response.Kv is not null ? ToEntry(response.Kv) : null, Revision(response.Header))
        {
            ServedBy = NodeId(response.Header),
        };

    internal static PutResult ToResult(Wire.PutResponse response) =>
        new(Revision(response.Header), response.HadPrevious && response.Previous is not null ? ToEntry(response.Previous) : null, response.Lease);

    internal static DeleteResult ToResult(Wire.DeleteResponse response) =>
        new(response.Deleted, ToEntries(response.Previous), Revision(response.Header));

    internal static RangePage ToResult(Wire.RangeResponse response) =>
        new(
            ToEntries(response.Kvs),
            response.Count,
            response.More,
            string.IsNullOrEmpty(response.Continuation) ? null : response.Continuation,
            Revision(response.Header))
        {
            ServedBy = NodeId(response.Header),
        };

    internal static IncrementResult ToResult(Wire.IncrementResponse response) => new(response.Value, Revision(response.Header));

    internal static TxnResult ToResult(Wire.TxnResponse response)
    {
        var results = new TxnOpResult[response.Results.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var result = response.Results[i];
            results[i] = result.ResultCase switch
            {
                Wire.TxnOpResult.ResultOneofCase.Put => new TxnOpResult { Kind = TxnOpKind.Put, Put = ToResult(result.Put) },
                Wire.TxnOpResult.ResultOneofCase.Delete => new TxnOpResult { Kind = TxnOpKind.Delete, Delete = ToResult(result.Delete) },
                Wire.TxnOpResult.ResultOneofCase.Get => new TxnOpResult { Kind = TxnOpKind.Get, Get = ToResult(result.Get) },
                Wire.TxnOpResult.ResultOneofCase.Increment => new TxnOpResult { Kind = TxnOpKind.Increment, Increment = ToResult(result.Increment) },
                Wire.TxnOpResult.ResultOneofCase.Range => new TxnOpResult { Kind = TxnOpKind.Range, Range = ToResult(result.Range) },
                _ => throw new StatehouseException(StatehouseErrorCode.InvalidArgument, $"Transaction result {i} carries no result."),
            };
        }

        return new TxnResult(response.Succeeded, results, Revision(response.Header));
    }

    internal static ClusterInfo ToResult(Wire.ClusterMembersResponse response) => new()
    {
        Clustered = response.Clustered,
        Self = NullIfEmpty(response.Header?.NodeId),
        LeaderId = NullIfEmpty(response.LeaderId),
        Term = response.Term,
        Revision = Revision(response.Header),
        Members = response.Members.Select(m => new ClusterMemberInfo
        {
            Id = m.Id,
            RaftAddress = m.RaftAddress,
            HttpAddress = m.HttpAddress,
            GrpcAddress = m.GrpcAddress,
            Role = string.IsNullOrEmpty(m.Role) ? "unknown" : m.Role,
            Available = m.Available,
            AppliedIndex = m.AppliedIndex,
            CommitIndex = m.CommitIndex,
            Lag = m.Lag,
            Revision = m.Revision,
            Term = m.Term,
        }).ToArray(),
    };

    internal static WatchEvent ToEvent(Wire.Event e) => new(
        e.Type switch
        {
            Wire.Event.Types.EventType.Put => WatchEventType.Put,
            Wire.Event.Types.EventType.Delete => WatchEventType.Delete,
            Wire.Event.Types.EventType.Expire => WatchEventType.Expire,
            _ => throw new StatehouseException(StatehouseErrorCode.InvalidArgument, $"Unknown watch event type {e.Type}."),
        },
        ToEntry(e.Kv ?? new Wire.KeyValue()),
        e.PrevKv is null ? null : ToEntry(e.PrevKv));

    internal static string Describe(ByteString key) => key.IsEmpty ? "''" : $"'{Encoding.UTF8.GetString(key.Span)}'";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static byte[] NextKey(ReadOnlySpan<byte> key)
    {
        var next = new byte[key.Length + 1];
        key.CopyTo(next);
        return next;
    }

    private static void RequireEnd(KeyRange range, string operation)
    {
        if (range.End.IsEmpty)
        {
            throw new ArgumentException(
                $"A {operation} range needs an end key: statehouse.v1 reads an empty range_end as a single key.", nameof(range));
        }
    }
}
