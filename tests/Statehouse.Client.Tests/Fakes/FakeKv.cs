using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Statehouse.V1;

namespace Statehouse.Client.Tests.Fakes;

/// <summary>
/// An in-memory KV service with MVCC metadata, preconditions, request-id deduplication and fault injection.
/// </summary>
internal sealed class FakeKv : KV.KVBase
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, KeyValue> _store = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IMessage> _applied = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Func<Exception>> _failBefore = new();
    private readonly ConcurrentQueue<Func<Exception>> _failAfter = new();
    private long _revision;

    /// <summary>Every call that reached the service: method name and request id (empty for reads).</summary>
    public ConcurrentQueue<(string Method, string RequestId)> Calls { get; } = new();

    /// <summary>Every put request that reached the service, before faults.</summary>
    public ConcurrentQueue<PutRequest> Puts { get; } = new();

    /// <summary>Every transaction request that reached the service.</summary>
    public ConcurrentQueue<TxnRequest> Txns { get; } = new();

    /// <summary>The read options of every Get, MultiGet and Range that reached the service, with the method name.</summary>
    public ConcurrentQueue<(string Method, Statehouse.V1.ReadOptions? Read)> Reads { get; } = new();

    /// <summary>The node id this server puts in every response header.</summary>
    public string NodeId { get; set; } = "fake";

    /// <summary>Runs before a put is evaluated (after fault injection); used to simulate a concurrent writer.</summary>
    public Action<PutRequest>? BeforePut { get; set; }

    /// <summary>How many times a request was applied, by request id.</summary>
    public int AppliedCount => _applied.Count;

    /// <summary>Page size of Range when the request has no limit.</summary>
    public int DefaultPageSize { get; set; } = 1000;

    public long Revision
    {
        get
        {
            lock (_gate)
            {
                return _revision;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> calls fail before doing anything.</summary>
    public void FailNext(int count, Func<Exception> error)
    {
        for (var i = 0; i < count; i++)
        {
            _failBefore.Enqueue(error);
        }
    }

    /// <summary>The next <paramref name="count"/> mutations are applied, then fail as if the answer was lost.</summary>
    public void FailAfterApply(int count, Func<Exception> error)
    {
        for (var i = 0; i < count; i++)
        {
            _failAfter.Enqueue(error);
        }
    }

    /// <summary>Writes a key directly, as another client would.</summary>
    public long Write(string keyspace, string key, string value)
    {
        lock (_gate)
        {
            return Apply(keyspace, ByteString.CopyFromUtf8(key), ByteString.CopyFromUtf8(value), 0).ModRevision;
        }
    }

    public KeyValue? Read(string keyspace, string key)
    {
        lock (_gate)
        {
            return _store.GetValueOrDefault(StoreKey(keyspace, ByteString.CopyFromUtf8(key)));
        }
    }

    public override Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        Reads.Enqueue(("Get", request.Read));
        Enter("Get", string.Empty);
        lock (_gate)
        {
            var found = _store.TryGetValue(StoreKey(request.Keyspace, request.Key), out var kv);
            return Task.FromResult(new GetResponse { Header = Header(), Found = found, Kv = kv });
        }
    }

    public override Task<MultiGetResponse> MultiGet(MultiGetRequest request, ServerCallContext context)
    {
        Reads.Enqueue(("MultiGet", request.Read));
        Enter("MultiGet", string.Empty);
        lock (_gate)
        {
            var response = new MultiGetResponse { Header = Header() };
            foreach (var key in request.Keys)
            {
                if (_store.TryGetValue(StoreKey(request.Keyspace, key), out var kv))
                {
                    response.Kvs.Add(kv);
                }
            }

            return Task.FromResult(response);
        }
    }

    public override Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        Reads.Enqueue(("Range", request.Read));
        Enter("Range", string.Empty);
        lock (_gate)
        {
            var matching = _store
                .Where(p => p.Key.StartsWith(request.Keyspace + "\0", StringComparison.Ordinal))
                .Select(p => p.Value)
                .Where(kv => InRange(request, kv.Key))
                .ToList();
            var start = string.IsNullOrEmpty(request.Continuation) ? 0 : int.Parse(request.Continuation, System.Globalization.CultureInfo.InvariantCulture);
            var limit = request.Limit > 0 ? (int)request.Limit : DefaultPageSize;
            var page = request.CountOnly ? [] : matching.Skip(start).Take(limit).ToList();
            var more = !request.CountOnly && start + page.Count < matching.Count;
            var response = new RangeResponse
            {
                Header = Header(),
                Count = matching.Count,
                More = more,
                Continuation = more ? (start + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty,
            };
            response.Kvs.AddRange(page.Select(kv => request.KeysOnly ? new KeyValue(kv) { Value = ByteString.Empty } : kv));
            return Task.FromResult(response);
        }
    }

    public override Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        Puts.Enqueue(request);
        Enter("Put", request.RequestId);
        BeforePut?.Invoke(request);
        return Task.FromResult(Mutate(request.RequestId, () => ApplyPut(request)));
    }

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        Enter("Delete", request.RequestId);
        return Task.FromResult(Mutate(request.RequestId, () => ApplyDelete(request)));
    }

    public override Task<IncrementResponse> Increment(IncrementRequest request, ServerCallContext context)
    {
        Enter("Increment", request.RequestId);
        return Task.FromResult(Mutate(request.RequestId, () =>
        {
            var key = StoreKey(request.Keyspace, request.Key);
            var current = _store.TryGetValue(key, out var kv) ? long.Parse(kv.Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture) : 0;
            var next = current + request.Delta;
            var written = Apply(request.Keyspace, request.Key, ByteString.CopyFromUtf8(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), 0);
            return new IncrementResponse { Header = Header(), Value = next };
        }));
    }

    public override Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        Txns.Enqueue(request);
        Enter("Txn", request.RequestId);
        return Task.FromResult(Mutate(request.RequestId, () =>
        {
            var succeeded = request.Compares.All(Holds);
            var response = new TxnResponse { Succeeded = succeeded };
            foreach (var op in succeeded ? request.Success : request.Failure)
            {
                response.Results.Add(op.OpCase switch
                {
                    TxnOp.OpOneofCase.Put => new Statehouse.V1.TxnOpResult { Put = ApplyPut(op.Put) },
                    TxnOp.OpOneofCase.Delete => new Statehouse.V1.TxnOpResult { Delete = ApplyDelete(op.Delete) },
                    TxnOp.OpOneofCase.Get => new Statehouse.V1.TxnOpResult
                    {
                        Get = _store.TryGetValue(StoreKey(op.Get.Keyspace, op.Get.Key), out var kv)
                            ? new GetResponse { Header = Header(), Found = true, Kv = kv }
                            : new GetResponse { Header = Header() },
                    },
                    _ => throw new RpcException(new Status(StatusCode.Unimplemented, op.OpCase.ToString())),
                });
            }

            response.Header = Header();
            return response;
        }));
    }

    private static string StoreKey(string keyspace, ByteString key) => keyspace + "\0" + Convert.ToHexStringLower(key.Span);

    private static int CompareBytes(ByteString a, ByteString b) => a.Span.SequenceCompareTo(b.Span);

    private static bool InRange(RangeRequest request, ByteString key)
    {
        if (!request.Prefix.IsEmpty)
        {
            return key.Span.StartsWith(request.Prefix.Span);
        }

        return CompareBytes(key, request.Start) >= 0 && (request.End.IsEmpty || CompareBytes(key, request.End) < 0);
    }

    private void Enter(string method, string requestId)
    {
        Calls.Enqueue((method, requestId));
        if (_failBefore.TryDequeue(out var error))
        {
            throw error();
        }
    }

    private T Mutate<T>(string requestId, Func<T> apply)
        where T : IMessage
    {
        T response;
        lock (_gate)
        {
            // A request id is applied once; a retry gets the original answer (what makes client retries safe).
            if (!string.IsNullOrEmpty(requestId) && _applied.TryGetValue(requestId, out var previous))
            {
                response = (T)previous;
            }
            else
            {
                response = apply();
                if (!string.IsNullOrEmpty(requestId))
                {
                    _applied[requestId] = response;
                }
            }
        }

        if (_failAfter.TryDequeue(out var error))
        {
            throw error();
        }

        return response;
    }

    private PutResponse ApplyPut(PutRequest request)
    {
        var key = StoreKey(request.Keyspace, request.Key);
        _store.TryGetValue(key, out var current);
        Check(request.Precondition, current);
        var written = Apply(request.Keyspace, request.Key, request.Value, request.Lease);
        return new PutResponse
        {
            Header = Header(),
            HadPrevious = request.ReturnPrevious && current is not null,
            Previous = request.ReturnPrevious ? current : null,
            Lease = written.Lease,
        };
    }

    private DeleteResponse ApplyDelete(DeleteRequest request)
    {
        var prefix = request.Keyspace + "\0";
        var victims = _store
            .Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Where(p => request.Prefix
                ? p.Value.Key.Span.StartsWith(request.Key.Span)
                : request.RangeEnd.IsEmpty
                    ? p.Value.Key == request.Key
                    : CompareBytes(p.Value.Key, request.Key) >= 0 && CompareBytes(p.Value.Key, request.RangeEnd) < 0)
            .ToList();
        if (request.Precondition is not null)
        {
            Check(request.Precondition, victims.FirstOrDefault().Value);
        }

        var response = new DeleteResponse { Deleted = victims.Count };
        if (victims.Count > 0)
        {
            _revision++;
        }

        foreach (var victim in victims)
        {
            _store.Remove(victim.Key);
            if (request.ReturnPrevious)
            {
                response.Previous.Add(victim.Value);
            }
        }

        response.Header = Header();
        return response;
    }

    private bool Holds(Statehouse.V1.Compare compare)
    {
        _store.TryGetValue(StoreKey(compare.Keyspace, compare.Key), out var kv);
        long actual = compare.Target switch
        {
            Statehouse.V1.Compare.Types.Target.ModRevision => kv?.ModRevision ?? 0,
            Statehouse.V1.Compare.Types.Target.Version => kv?.Version ?? 0,
            Statehouse.V1.Compare.Types.Target.CreateRevision => kv?.CreateRevision ?? 0,
            Statehouse.V1.Compare.Types.Target.Lease => kv?.Lease ?? 0,
            Statehouse.V1.Compare.Types.Target.Exists => kv is null ? 0 : 1,
            _ => CompareBytes(kv?.Value ?? ByteString.Empty, compare.Value),
        };
        var expected = compare.Target == Statehouse.V1.Compare.Types.Target.Value ? 0 : compare.Number;
        return compare.Op switch
        {
            Statehouse.V1.Compare.Types.Op.Equal => actual == expected,
            Statehouse.V1.Compare.Types.Op.NotEqual => actual != expected,
            Statehouse.V1.Compare.Types.Op.Less => actual < expected,
            _ => actual > expected,
        };
    }

    private static void Check(Statehouse.V1.Precondition? precondition, KeyValue? current)
    {
        if (precondition is null)
        {
            return;
        }

        var holds = precondition.KindCase switch
        {
            Statehouse.V1.Precondition.KindOneofCase.IfAbsent => current is null,
            Statehouse.V1.Precondition.KindOneofCase.IfExists => current is not null,
            Statehouse.V1.Precondition.KindOneofCase.IfVersion => (current?.Version ?? 0) == precondition.IfVersion,
            Statehouse.V1.Precondition.KindOneofCase.IfModRevision => (current?.ModRevision ?? 0) == precondition.IfModRevision,
            _ => true,
        };
        if (!holds)
        {
            throw Faults.Error(StatehouseErrorCode.PreconditionFailed, "precondition failed", currentRevision: current?.ModRevision ?? 0);
        }
    }

    private KeyValue Apply(string keyspace, ByteString key, ByteString value, long lease)
    {
        var storeKey = StoreKey(keyspace, key);
        _revision++;
        _store.TryGetValue(storeKey, out var current);
        var written = new KeyValue
        {
            Key = key,
            Value = value,
            CreateRevision = current?.CreateRevision ?? _revision,
            ModRevision = _revision,
            Version = (current?.Version ?? 0) + 1,
            Lease = lease,
        };
        _store[storeKey] = written;
        return written;
    }

    private ResponseHeader Header() => new() { Revision = _revision, NodeId = NodeId };
}
