using System.Globalization;
using System.Numerics;
using Statehouse.Core.Collections;
using Statehouse.Core.Model;

namespace Statehouse.Core.Tests.Modeling;

/// <summary>A live key in the reference model.</summary>
internal sealed record RefKv(byte[] Value, long CreateRevision, long ModRevision, long Version, long Lease)
{
    public KeyValue ToKeyValue(byte[] key) => new(key, Value, CreateRevision, ModRevision, Version, Lease);
}

/// <summary>One change as the reference model records it for watchers.</summary>
internal sealed record RefEvent(long Revision, string Keyspace, byte[] Key, ChangeKind Kind, RefKv? Current, RefKv? Previous);

/// <summary>
/// The reference model: deliberately simple and slow. Plain dictionaries, a full copy of all keys for every revision,
/// a list for the history and a list for remembered request ids. Every command is applied to a clone of the state,
/// which is kept only when the command succeeds, so a failed command trivially leaves no trace.
/// </summary>
internal sealed class ReferenceStore
{
    private static readonly IComparer<byte[]> Order = ByteKeyComparer.Instance;

    private State _state = new();
    private readonly List<Dictionary<string, SortedDictionary<byte[], RefKv>>> _byRevision = [];
    private readonly List<RefEvent> _events = [];
    private readonly List<(string Id, long TimestampMs, Command Command, CommandResult Result)> _requests = [];

    // Per top-level command.
    private long _pending;
    private bool _changed;
    private List<RefEvent> _commandEvents = [];

    public ReferenceStore(StoreLimits limits)
    {
        Limits = limits;
        _byRevision.Add(CopyData(_state.Data));
    }

    public StoreLimits Limits { get; }

    public long Revision { get; private set; }

    public long CompactRevision { get; private set; }

    public IReadOnlyDictionary<string, KeyspaceConfig> Keyspaces => _state.Keyspaces;

    /// <summary>Live leases: TTL, and whether a put's TTL made it for one key (it then ends when that key leaves it).</summary>
    public IReadOnlyDictionary<long, (long Ttl, bool Owned)> Leases => _state.Leases;

    public IReadOnlyList<RefEvent> Events => _events;

    /// <summary>Live keys of a keyspace at a revision (empty when the keyspace did not exist then).</summary>
    public SortedDictionary<byte[], RefKv> KeysAt(string keyspace, long revision) =>
        _byRevision[(int)revision].TryGetValue(keyspace, out var keys) ? keys : new SortedDictionary<byte[], RefKv>(Order);

    public RefKv? LiveAt(string keyspace, byte[] key, long revision) => KeysAt(keyspace, revision).GetValueOrDefault(key);

    /// <summary>The current mod revision of a key (0 when absent).</summary>
    public long ModRevisionOf(string keyspace, byte[] key) =>
        _state.Data.TryGetValue(keyspace, out var keys) && keys.TryGetValue(key, out var kv) ? kv.ModRevision : 0;

    public long CreateRevisionOf(string keyspace, byte[] key) =>
        _state.Data.TryGetValue(keyspace, out var keys) && keys.TryGetValue(key, out var kv) ? kv.CreateRevision : 0;

    /// <summary>Keys attached to a lease, derived from the data.</summary>
    public IEnumerable<(string Keyspace, byte[] Key)> KeysOfLease(long lease) =>
        _state.Data.SelectMany(ks => ks.Value.Where(kv => kv.Value.Lease == lease).Select(kv => (ks.Key, kv.Key)));

    public IReadOnlyList<CommandResult> Apply(CommandBatch batch)
    {
        var horizon = batch.TimestampMs - Limits.IdempotencyWindowMs;
        _requests.RemoveAll(r => r.TimestampMs < horizon);
        return batch.Commands.Select(c => ApplyTopLevel(c, batch.TimestampMs)).ToList();
    }

    private CommandResult ApplyTopLevel(Command command, long timestampMs)
    {
        var id = command.RequestId;
        if (id is not null)
        {
            if (id.Length == 0 || id.Length > Limits.MaxRequestIdLength)
            {
                return Fail(ErrorCode.InvalidArgument) with { Revision = Revision };
            }

            // A retry of the same request gets the first answer; the id reused for another request is refused.
            var seen = _requests.FindIndex(r => r.Id == id);
            if (seen >= 0)
            {
                return Support.Structural.AreEqual(_requests[seen].Command, command)
                    ? _requests[seen].Result
                    : Fail(ErrorCode.InvalidArgument) with { Revision = Revision };
            }
        }

        var saved = _state;
        _state = saved.Clone();
        _pending = Revision + 1;
        _changed = false;
        _commandEvents = [];

        var result = command switch
        {
            TxnCommand txn => Txn(txn),
            TxnOperation op => Operation(op),
            LeaseGrantCommand g => Grant(g.LeaseId, g.TtlSeconds, owned: false),
            LeaseRevokeCommand r => Revoke(r.LeaseId),
            LeaseExpireCommand e => Expire(e.LeaseIds),
            CompactCommand c => Compact(c.Revision),
            CreateKeyspaceCommand k => CreateKeyspace(k.Config),
            _ => Fail(ErrorCode.InvalidArgument),
        };

        if (result is ErrorResult)
        {
            _state = saved;
        }
        else if (_changed)
        {
            Revision = _pending;
            _byRevision.Add(CopyData(_state.Data));
            _events.AddRange(_commandEvents);
        }

        result = result with { Revision = Revision };
        if (id is not null)
        {
            _requests.Add((id, timestampMs, command, result));
            while (_requests.Count > Limits.IdempotencyMaxEntries)
            {
                _requests.RemoveAt(0);
            }
        }

        return result;
    }

    private static ErrorResult Fail(ErrorCode code, long currentRevision = 0) => new(code, "") { CurrentRevision = currentRevision };

    private CommandResult Operation(TxnOperation op) => op switch
    {
        PutCommand p => Put(p),
        DeleteCommand d => Delete(d),
        IncrementCommand i => Increment(i),
        GetOperation g => Get(g),
        RangeOperation r => RangeOp(r),
        _ => Fail(ErrorCode.InvalidArgument),
    };

    private bool KeyOk(string keyspace, byte[] key)
    {
        var config = _state.Keyspaces[keyspace];
        var max = config.MaxKeyBytes > 0 ? Math.Min(config.MaxKeyBytes, Limits.MaxKeyBytes) : Limits.MaxKeyBytes;
        return key.Length > 0 && key.Length <= max;
    }

    private int MaxValue(string keyspace)
    {
        var config = _state.Keyspaces[keyspace];
        return config.MaxValueBytes > 0 ? Math.Min(config.MaxValueBytes, Limits.MaxValueBytes) : Limits.MaxValueBytes;
    }

    private bool Full(string keyspace) =>
        _state.Keyspaces[keyspace].MaxKeys > 0 && _state.Data[keyspace].Count >= _state.Keyspaces[keyspace].MaxKeys;

    private static ErrorResult? CheckPrecondition(Precondition p, RefKv? live)
    {
        var ok = p.Kind switch
        {
            PreconditionKind.None => true,
            PreconditionKind.IfAbsent => live is null,
            PreconditionKind.IfExists => live is not null,
            PreconditionKind.IfVersion => (live?.Version ?? 0) == p.Value,
            PreconditionKind.IfModRevision => (live?.ModRevision ?? 0) == p.Value,
            _ => false,
        };
        return ok ? null : Fail(ErrorCode.PreconditionFailed, live?.ModRevision ?? 0);
    }

    private CommandResult Put(PutCommand put)
    {
        if (!_state.Keyspaces.ContainsKey(put.Keyspace))
        {
            return Fail(ErrorCode.NotFound);
        }

        if (!KeyOk(put.Keyspace, put.Key) || put.Value.Length > MaxValue(put.Keyspace) || (put.Lease != 0 && put.TtlSeconds != 0))
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        var live = _state.Data[put.Keyspace].GetValueOrDefault(put.Key);
        if (CheckPrecondition(put.Precondition, live) is { } failed)
        {
            return failed;
        }

        if (live is null && Full(put.Keyspace))
        {
            return Fail(ErrorCode.QuotaExceeded);
        }

        var lease = put.Lease;
        if (put.TtlSeconds != 0)
        {
            var granted = Grant(0, put.TtlSeconds, owned: true);
            if (granted is ErrorResult)
            {
                return granted;
            }

            lease = ((LeaseGrantResult)granted).LeaseId;
        }
        else if (lease != 0 && !_state.Leases.ContainsKey(lease))
        {
            return Fail(ErrorCode.NotFound);
        }

        Write(put.Keyspace, put.Key, put.Value, lease);
        return new PutResult(put.ReturnPrevious ? live?.ToKeyValue(put.Key) : null, lease);
    }

    private void Write(string keyspace, byte[] key, byte[] value, long lease)
    {
        var keys = _state.Data[keyspace];
        var live = keys.GetValueOrDefault(key);
        var next = new RefKv(value, live?.CreateRevision ?? _pending, _pending, (live?.Version ?? 0) + 1, lease);
        keys[key] = next;
        _commandEvents.Add(new RefEvent(_pending, keyspace, key, ChangeKind.Put, next, live));
        _changed = true;
        EndOwnedLeaseIfAbandoned(live?.Lease ?? 0);
    }

    /// <summary>A lease made by a put's TTL ends once no key is attached to it any more.</summary>
    private void EndOwnedLeaseIfAbandoned(long lease)
    {
        if (lease != 0 && _state.Leases.TryGetValue(lease, out var l) && l.Owned && !KeysOfLease(lease).Any())
        {
            _state.Leases.Remove(lease);
        }
    }

    private void Remove(string keyspace, byte[] key, ChangeKind kind)
    {
        var keys = _state.Data[keyspace];
        var live = keys[key];
        keys.Remove(key);
        _commandEvents.Add(new RefEvent(_pending, keyspace, key, kind, null, live));
        _changed = true;
        EndOwnedLeaseIfAbandoned(live.Lease);
    }

    private CommandResult Delete(DeleteCommand delete)
    {
        if (!_state.Keyspaces.ContainsKey(delete.Keyspace))
        {
            return Fail(ErrorCode.NotFound);
        }

        var keys = _state.Data[delete.Keyspace];
        if (!delete.Prefix && delete.RangeEnd is null)
        {
            if (!KeyOk(delete.Keyspace, delete.Key))
            {
                return Fail(ErrorCode.InvalidArgument);
            }

            var live = keys.GetValueOrDefault(delete.Key);
            if (CheckPrecondition(delete.Precondition, live) is { } failed)
            {
                return failed;
            }

            if (live is null)
            {
                return new DeleteResult(0, []);
            }

            Remove(delete.Keyspace, delete.Key, ChangeKind.Delete);
            return new DeleteResult(1, delete.ReturnPrevious ? [live.ToKeyValue(delete.Key)] : []);
        }

        if (delete.Precondition.Kind != PreconditionKind.None)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        var (start, end) = delete.Prefix
            ? (delete.Key.Length == 0 ? null : delete.Key, delete.Key.Length == 0 ? null : ByteKeyComparer.PrefixEnd(delete.Key))
            : (delete.Key.Length == 0 ? null : delete.Key, delete.RangeEnd is { Length: > 0 } e ? e : null);
        var victims = keys.Where(kv => InRange(kv.Key, start, end)).ToList();
        if (victims.Count > Limits.MaxDeleteRangeKeys)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        foreach (var (key, _) in victims)
        {
            Remove(delete.Keyspace, key, ChangeKind.Delete);
        }

        return new DeleteResult(victims.Count, delete.ReturnPrevious ? victims.Select(v => v.Value.ToKeyValue(v.Key)).ToList() : []);
    }

    private static bool InRange(byte[] key, byte[]? start, byte[]? end) =>
        (start is null || Order.Compare(key, start) >= 0) && (end is null || Order.Compare(key, end) < 0);

    /// <summary>Decimal int64 text: an optional '+' or '-' and at least one ASCII digit, nothing else; empty counts as 0.</summary>
    public static bool TryParseCounter(byte[] value, out long counter)
    {
        counter = 0;
        if (value.Length == 0)
        {
            return true;
        }

        var i = value[0] is (byte)'+' or (byte)'-' ? 1 : 0;
        if (i == value.Length || value.Skip(i).Any(b => b is < (byte)'0' or > (byte)'9'))
        {
            return false;
        }

        var n = BigInteger.Parse(System.Text.Encoding.ASCII.GetString(value, i, value.Length - i), CultureInfo.InvariantCulture);
        if (value[0] == '-')
        {
            n = -n;
        }

        if (n < long.MinValue || n > long.MaxValue)
        {
            return false;
        }

        counter = (long)n;
        return true;
    }

    private CommandResult Increment(IncrementCommand inc)
    {
        if (!_state.Keyspaces.ContainsKey(inc.Keyspace))
        {
            return Fail(ErrorCode.NotFound);
        }

        if (!KeyOk(inc.Keyspace, inc.Key))
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        var live = _state.Data[inc.Keyspace].GetValueOrDefault(inc.Key);
        long current = 0;
        if (live is not null && !TryParseCounter(live.Value, out current))
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        var sum = (BigInteger)current + inc.Delta;
        if (sum < long.MinValue || sum > long.MaxValue)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        if (live is null && Full(inc.Keyspace))
        {
            return Fail(ErrorCode.QuotaExceeded);
        }

        var text = System.Text.Encoding.ASCII.GetBytes(((long)sum).ToString(CultureInfo.InvariantCulture));
        if (text.Length > MaxValue(inc.Keyspace))
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        Write(inc.Keyspace, inc.Key, text, live?.Lease ?? 0);
        return new IncrementResult((long)sum);
    }

    private CommandResult Get(GetOperation get)
    {
        if (!_state.Keyspaces.ContainsKey(get.Keyspace))
        {
            return Fail(ErrorCode.NotFound);
        }

        return KeyOk(get.Keyspace, get.Key)
            ? new GetResult(_state.Data[get.Keyspace].GetValueOrDefault(get.Key)?.ToKeyValue(get.Key))
            : Fail(ErrorCode.InvalidArgument);
    }

    private CommandResult RangeOp(RangeOperation range)
    {
        if (!_state.Keyspaces.ContainsKey(range.Keyspace))
        {
            return Fail(ErrorCode.NotFound);
        }

        return range.Query.Revision != 0
            ? Fail(ErrorCode.InvalidArgument)
            : RangeOver(_state.Data[range.Keyspace], range.Query, Limits);
    }

    /// <summary>The expected answer of a range query over some live keys.</summary>
    public static RangeResult RangeOver(SortedDictionary<byte[], RefKv> keys, RangeQuery query, StoreLimits limits)
    {
        byte[]? start, end;
        if (query.Prefix is { Length: > 0 } prefix)
        {
            (start, end) = (prefix, ByteKeyComparer.PrefixEnd(prefix));
        }
        else
        {
            (start, end) = (query.Start is { Length: > 0 } s ? s : null, query.End is { Length: > 0 } e ? e : null);
        }

        var matching = keys
            .Where(kv => InRange(kv.Key, start, end) && (query.After is null || Order.Compare(kv.Key, query.After) > 0))
            .ToList();
        if (query.CountOnly)
        {
            return new RangeResult([], matching.Count, false, null);
        }

        var limit = query.Limit <= 0 ? limits.DefaultRangeLimit : Math.Min(query.Limit, limits.MaxRangeLimit);
        var page = matching.Take(limit)
            .Select(kv => query.KeysOnly ? kv.Value.ToKeyValue(kv.Key) with { Value = [] } : kv.Value.ToKeyValue(kv.Key))
            .ToList();
        var more = matching.Count > limit;
        return new RangeResult(page, page.Count, more, more ? page[^1].Key : null);
    }

    private CommandResult Txn(TxnCommand txn)
    {
        if (txn.Compares.Count > Limits.MaxTxnCompares || txn.Success.Count > Limits.MaxTxnOps || txn.Failure.Count > Limits.MaxTxnOps)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        var succeeded = true;
        foreach (var compare in txn.Compares)
        {
            // Compares are checked in order and the first false one ends the guard (later ones are not validated).
            if (!_state.Keyspaces.ContainsKey(compare.Keyspace))
            {
                return Fail(ErrorCode.NotFound);
            }

            if (!KeyOk(compare.Keyspace, compare.Key))
            {
                return Fail(ErrorCode.InvalidArgument);
            }

            if (!Holds(compare, _state.Data[compare.Keyspace].GetValueOrDefault(compare.Key)))
            {
                succeeded = false;
                break;
            }
        }

        var results = new List<CommandResult>();
        foreach (var op in succeeded ? txn.Success : txn.Failure)
        {
            var result = op.RequestId is not null ? Fail(ErrorCode.InvalidArgument) : Operation(op);
            if (result is ErrorResult)
            {
                return result;
            }

            results.Add(result);
        }

        var revision = _changed ? _pending : Revision;
        return new TxnResult(succeeded, results.Select(r => r with { Revision = revision }).ToList());
    }

    private static bool Holds(Compare compare, RefKv? live)
    {
        int comparison;
        if (compare.Target == CompareTarget.Value)
        {
            if (live is null)
            {
                return compare.Op == CompareOp.NotEqual;
            }

            comparison = Math.Sign(Order.Compare(live.Value, compare.Value ?? []));
        }
        else
        {
            long actual = compare.Target switch
            {
                CompareTarget.Version => live?.Version ?? 0,
                CompareTarget.ModRevision => live?.ModRevision ?? 0,
                CompareTarget.CreateRevision => live?.CreateRevision ?? 0,
                CompareTarget.Lease => live?.Lease ?? 0,
                CompareTarget.Exists => live is null ? 0 : 1,
                _ => 0,
            };
            comparison = actual.CompareTo(compare.Number);
        }

        return compare.Op switch
        {
            CompareOp.Equal => comparison == 0,
            CompareOp.NotEqual => comparison != 0,
            CompareOp.Less => comparison < 0,
            CompareOp.Greater => comparison > 0,
            _ => false,
        };
    }

    private CommandResult Grant(long requested, long ttl, bool owned)
    {
        if (ttl < 1 || ttl > Limits.MaxLeaseTtlSeconds || requested < 0)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        if (_state.Leases.Count >= Limits.MaxLeases)
        {
            return Fail(ErrorCode.QuotaExceeded);
        }

        var id = requested == 0 ? _state.NextLeaseId : requested;
        if (_state.Leases.ContainsKey(id))
        {
            Assert.True(requested != 0, "the model never reuses an allocated lease id");
            return Fail(ErrorCode.PreconditionFailed);
        }

        _state.NextLeaseId = Math.Max(_state.NextLeaseId, id + 1);
        _state.Leases[id] = (ttl, owned);
        return new LeaseGrantResult(id, ttl);
    }

    private void EndLease(long lease, ChangeKind kind)
    {
        var attached = KeysOfLease(lease)
            .OrderBy(k => k.Keyspace, StringComparer.Ordinal)
            .ThenBy(k => k.Key, Order)
            .ToList();
        foreach (var (keyspace, key) in attached)
        {
            Remove(keyspace, key, kind);
        }

        _state.Leases.Remove(lease);
    }

    private CommandResult Revoke(long lease)
    {
        if (!_state.Leases.ContainsKey(lease))
        {
            return Fail(ErrorCode.NotFound);
        }

        var count = KeysOfLease(lease).Count();
        EndLease(lease, ChangeKind.Delete);
        return new LeaseRevokeResult(count);
    }

    private CommandResult Expire(IReadOnlyList<long> leases)
    {
        var expired = new List<long>();
        long deleted = 0;
        foreach (var lease in leases)
        {
            if (_state.Leases.ContainsKey(lease))
            {
                deleted += KeysOfLease(lease).Count();
                EndLease(lease, ChangeKind.Expire);
                expired.Add(lease);
            }
        }

        return new LeaseExpireResult(expired, deleted);
    }

    private CommandResult Compact(long revision)
    {
        if (revision > Revision)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        CompactRevision = Math.Max(CompactRevision, revision);
        return new CompactResult(CompactRevision);
    }

    private CommandResult CreateKeyspace(KeyspaceConfig config)
    {
        if (string.IsNullOrEmpty(config.Name) || config.Name.Length > Limits.MaxKeyspaceNameLength
            || !config.Name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.'))
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        if (config.MaxKeyBytes < 0 || config.MaxValueBytes < 0 || config.MaxKeys < 0)
        {
            return Fail(ErrorCode.InvalidArgument);
        }

        if (_state.Keyspaces.TryGetValue(config.Name, out var existing))
        {
            return existing == config ? new CreateKeyspaceResult(existing) : Fail(ErrorCode.PreconditionFailed);
        }

        if (_state.Keyspaces.Count >= Limits.MaxKeyspaces)
        {
            return Fail(ErrorCode.QuotaExceeded);
        }

        _state.Keyspaces[config.Name] = config;
        _state.Data[config.Name] = new SortedDictionary<byte[], RefKv>(Order);
        return new CreateKeyspaceResult(config);
    }

    private static Dictionary<string, SortedDictionary<byte[], RefKv>> CopyData(Dictionary<string, SortedDictionary<byte[], RefKv>> data) =>
        data.ToDictionary(ks => ks.Key, ks => new SortedDictionary<byte[], RefKv>(ks.Value, Order));

    private sealed class State
    {
        public Dictionary<string, KeyspaceConfig> Keyspaces { get; private init; } =
            new() { [KeyspaceConfig.DefaultName] = new KeyspaceConfig(KeyspaceConfig.DefaultName) };

        public Dictionary<string, SortedDictionary<byte[], RefKv>> Data { get; private init; } =
            new() { [KeyspaceConfig.DefaultName] = new SortedDictionary<byte[], RefKv>(Order) };

        public Dictionary<long, (long Ttl, bool Owned)> Leases { get; private init; } = [];

        public long NextLeaseId { get; set; } = 1;

        public State Clone() => new()
        {
            Keyspaces = new Dictionary<string, KeyspaceConfig>(Keyspaces),
            Data = CopyData(Data),
            Leases = new Dictionary<long, (long Ttl, bool Owned)>(Leases),
            NextLeaseId = NextLeaseId,
        };
    }
}
