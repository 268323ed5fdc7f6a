using System.Globalization;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

public sealed partial class StateMachine
{
    private CommandResult ApplyOperation(TxnOperation op) => op switch
    {
        PutCommand put => ApplyPut(put),
        DeleteCommand delete => ApplyDelete(delete),
        IncrementCommand increment => ApplyIncrement(increment),
        GetOperation get => ApplyGet(get),
        RangeOperation range => ApplyRange(range),
        _ => Error(ErrorCode.InvalidArgument, $"Unknown operation {op.GetType().Name}."),
    };

    private bool TryKeyspace(string name, out KeyspaceState keyspace, out ErrorResult? error)
    {
        if (_keyspaces.TryGetValue(name, out keyspace!))
        {
            error = null;
            return true;
        }

        error = Error(ErrorCode.NotFound, $"Keyspace '{name}' does not exist.");
        return false;
    }

    private ErrorResult? CheckKey(KeyspaceState ks, byte[] key)
    {
        var max = ks.Config.EffectiveMaxKeyBytes(_limits);
        return key.Length == 0
            ? Error(ErrorCode.InvalidArgument, "Key must not be empty.")
            : key.Length > max
                ? Error(ErrorCode.InvalidArgument, $"Key is {key.Length} bytes; the limit is {max}.")
                : null;
    }

    private static ErrorResult? CheckPrecondition(Precondition p, KeyVersion? live)
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
        if (ok)
        {
            return null;
        }

        var current = live?.ModRevision ?? 0;
        return new ErrorResult(ErrorCode.PreconditionFailed, p.Kind switch
        {
            PreconditionKind.IfAbsent => $"Key exists (mod revision {current}).",
            PreconditionKind.IfExists => "Key does not exist.",
            PreconditionKind.IfVersion => $"Key version is {live?.Version ?? 0}, expected {p.Value}.",
            _ => $"Key mod revision is {current}, expected {p.Value}.",
        })
        { CurrentRevision = current };
    }

    private CommandResult ApplyPut(PutCommand put)
    {
        if (!TryKeyspace(put.Keyspace, out var ks, out var error))
        {
            return error!;
        }

        if (CheckKey(ks, put.Key) is { } keyError)
        {
            return keyError;
        }

        var maxValue = ks.Config.EffectiveMaxValueBytes(_limits);
        if (put.Value.Length > maxValue)
        {
            return Error(ErrorCode.InvalidArgument, $"Value is {put.Value.Length} bytes; the limit is {maxValue}.");
        }

        if (put.Lease != 0 && put.TtlSeconds != 0)
        {
            return Error(ErrorCode.InvalidArgument, "Give a lease or a TTL, not both.");
        }

        var head = ks.Head(put.Key);
        var live = head is { IsTombstone: false } ? head : null;
        if (CheckPrecondition(put.Precondition, live) is { } failed)
        {
            return failed;
        }

        if (live is null && ks.Config.MaxKeys > 0 && ks.LiveKeys >= ks.Config.MaxKeys)
        {
            return Error(ErrorCode.QuotaExceeded, $"Keyspace '{ks.Config.Name}' holds its maximum of {ks.Config.MaxKeys} keys.");
        }

        var lease = put.Lease;
        if (put.TtlSeconds != 0)
        {
            var granted = GrantLease(0, put.TtlSeconds, owned: true);
            if (granted is ErrorResult grantError)
            {
                return grantError;
            }

            lease = ((LeaseGrantResult)granted).LeaseId;
        }
        else if (lease != 0 && !_leases.ContainsKey(lease))
        {
            return Error(ErrorCode.NotFound, $"Lease {lease} does not exist.");
        }

        WriteVersion(ks, put.Key, head, put.Value, lease, ChangeKind.Put);
        return new PutResult(put.ReturnPrevious && live is not null ? KeyValue.From(put.Key, live) : null, lease);
    }

    /// <summary>Writes a new version (put or tombstone) of a key and keeps totals, leases and events in step.</summary>
    private void WriteVersion(KeyspaceState ks, byte[] key, KeyVersion? head, byte[]? value, long lease, ChangeKind kind)
    {
        var live = head is { IsTombstone: false } ? head : null;
        Invariant.Assert(kind == ChangeKind.Put || live is not null);

        var rev = _pendingRevision;
        var next = kind == ChangeKind.Put
            ? new KeyVersion(kind, value, live?.CreateRevision ?? rev, rev, (live?.Version ?? 0) + 1, lease, head, _sequence++)
            : new KeyVersion(kind, null, 0, rev, 0, 0, head, _sequence++);

        var liveKeys = ks.LiveKeys + (live is null ? 1 : 0) - (kind == ChangeKind.Put ? 0 : 1);
        var liveBytes = ks.LiveBytes - (live is null ? 0 : key.Length + live.Value!.Length)
            + (kind == ChangeKind.Put ? key.Length + value!.Length : 0);
        Invariant.Assert(liveKeys >= 0);
        Invariant.Assert(liveBytes >= 0);

        _keyspaces = _keyspaces.SetItem(ks.Config.Name, ks with { Keys = ks.Keys.SetItem(key, next), LiveKeys = liveKeys, LiveBytes = liveBytes });

        var oldLease = live?.Lease ?? 0;
        var newLease = kind == ChangeKind.Put ? lease : 0;
        if (oldLease != newLease)
        {
            var keyRef = new KeyRef(ks.Config.Name, key);
            if (oldLease != 0 && _leases.TryGetValue(oldLease, out var old))
            {
                var remaining = old.Keys.Remove(keyRef);

                // A lease a put's TTL made for this key alone ends when the key leaves it (overwritten or deleted).
                _leases = old.Owned && remaining.IsEmpty
                    ? _leases.Remove(oldLease)
                    : _leases.SetItem(oldLease, old with { Keys = remaining });
            }

            if (newLease != 0)
            {
                var target = _leases[newLease];
                _leases = _leases.SetItem(newLease, target with { Keys = target.Keys.Add(keyRef) });
            }
        }

        _batchEvents.Add(new WatchEvent(ks.Config.Name, key, next, head));
        _changed = true;
    }

    private CommandResult ApplyDelete(DeleteCommand delete)
    {
        if (!TryKeyspace(delete.Keyspace, out var ks, out var error))
        {
            return error!;
        }

        var isRange = delete.Prefix || delete.RangeEnd is not null;
        if (!isRange)
        {
            if (CheckKey(ks, delete.Key) is { } keyError)
            {
                return keyError;
            }

            var head = ks.Head(delete.Key);
            var live = head is { IsTombstone: false } ? head : null;
            if (CheckPrecondition(delete.Precondition, live) is { } failed)
            {
                return failed;
            }

            if (live is null)
            {
                return new DeleteResult(0, []);
            }

            var previous = delete.ReturnPrevious ? new[] { KeyValue.From(delete.Key, live) } : [];
            WriteVersion(ks, delete.Key, head, null, 0, ChangeKind.Delete);
            return new DeleteResult(1, previous);
        }

        if (delete.Precondition.Kind != PreconditionKind.None)
        {
            return Error(ErrorCode.InvalidArgument, "A range delete takes no precondition; use a transaction.");
        }

        var query = delete.Prefix
            ? new RangeQuery { Prefix = delete.Key }
            : new RangeQuery { Start = delete.Key, End = delete.RangeEnd };
        if (delete.Prefix && delete.Key.Length == 0 && delete.RangeEnd is null)
        {
            // An empty prefix means the whole keyspace: allowed, but bounded like any range delete.
            query = new RangeQuery();
        }

        var (start, end) = query.Bounds();
        var victims = new List<(byte[] Key, KeyVersion Head)>();
        foreach (var (key, head) in ks.Keys.Enumerate(start, end))
        {
            if (head.IsTombstone)
            {
                continue;
            }

            if (victims.Count == _limits.MaxDeleteRangeKeys)
            {
                return Error(ErrorCode.InvalidArgument, $"A range delete may remove at most {_limits.MaxDeleteRangeKeys} keys; narrow the range.");
            }

            victims.Add((key, head));
        }

        var prev = delete.ReturnPrevious ? new List<KeyValue>(victims.Count) : null;
        foreach (var (key, head) in victims)
        {
            prev?.Add(KeyValue.From(key, head));
            WriteVersion(_keyspaces[ks.Config.Name], key, head, null, 0, ChangeKind.Delete);
        }

        return new DeleteResult(victims.Count, prev ?? (IReadOnlyList<KeyValue>)[]);
    }

    private CommandResult ApplyIncrement(IncrementCommand increment)
    {
        if (!TryKeyspace(increment.Keyspace, out var ks, out var error))
        {
            return error!;
        }

        if (CheckKey(ks, increment.Key) is { } keyError)
        {
            return keyError;
        }

        var head = ks.Head(increment.Key);
        var live = head is { IsTombstone: false } ? head : null;
        long current = 0;
        if (live is not null && !TryParseCounter(live.Value!, out current))
        {
            return Error(ErrorCode.InvalidArgument, "The key's value is not an int64 counter.");
        }

        long next;
        try
        {
            next = checked(current + increment.Delta);
        }
        catch (OverflowException)
        {
            return Error(ErrorCode.InvalidArgument, $"Counter overflow: {current} + {increment.Delta} is outside int64.");
        }

        if (live is null && ks.Config.MaxKeys > 0 && ks.LiveKeys >= ks.Config.MaxKeys)
        {
            return Error(ErrorCode.QuotaExceeded, $"Keyspace '{ks.Config.Name}' holds its maximum of {ks.Config.MaxKeys} keys.");
        }

        var text = System.Text.Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture));
        var maxValue = ks.Config.EffectiveMaxValueBytes(_limits);
        if (text.Length > maxValue)
        {
            return Error(ErrorCode.InvalidArgument, $"The counter's text ({text.Length} bytes) exceeds the value limit of {maxValue}.");
        }

        WriteVersion(ks, increment.Key, head, text, live?.Lease ?? 0, ChangeKind.Put);
        return new IncrementResult(next);
    }

    /// <summary>Parses a counter value: exactly an optional sign and 1..19 ASCII digits within int64 (an empty value counts as 0).</summary>
    public static bool TryParseCounter(ReadOnlySpan<byte> value, out long counter)
    {
        counter = 0;
        if (value.IsEmpty)
        {
            return true;
        }

        var digits = value[0] is (byte)'-' or (byte)'+' ? value[1..] : value;
        if (digits.IsEmpty || digits.Length > 19)
        {
            return false;
        }

        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        // Only plain digits reach the parser, so it cannot accept whitespace, NULs or signs we did not allow.
        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out counter);
    }

    private CommandResult ApplyGet(GetOperation get)
    {
        if (!TryKeyspace(get.Keyspace, out var ks, out var error))
        {
            return error!;
        }

        if (CheckKey(ks, get.Key) is { } keyError)
        {
            return keyError;
        }

        var v = ks.Find(get.Key, long.MaxValue);
        return new GetResult(v is null ? null : KeyValue.From(get.Key, v));
    }

    private CommandResult ApplyRange(RangeOperation range)
    {
        if (!TryKeyspace(range.Keyspace, out var ks, out var error))
        {
            return error!;
        }

        if (range.Query.Revision != 0)
        {
            return Error(ErrorCode.InvalidArgument, "A range inside a transaction reads the transaction's own revision.");
        }

        return ks.Range(range.Query, long.MaxValue, _limits);
    }

    private CommandResult ApplyTxn(TxnCommand txn)
    {
        if (txn.Compares.Count > _limits.MaxTxnCompares)
        {
            return Error(ErrorCode.InvalidArgument, $"A transaction may hold at most {_limits.MaxTxnCompares} compares.");
        }

        if (txn.Success.Count > _limits.MaxTxnOps || txn.Failure.Count > _limits.MaxTxnOps)
        {
            return Error(ErrorCode.InvalidArgument, $"A transaction branch may hold at most {_limits.MaxTxnOps} operations.");
        }

        var succeeded = true;
        foreach (var compare in txn.Compares)
        {
            if (!TryKeyspace(compare.Keyspace, out var ks, out var error))
            {
                return error!;
            }

            if (CheckKey(ks, compare.Key) is { } keyError)
            {
                return keyError;
            }

            if (!Evaluate(compare, ks.Find(compare.Key, long.MaxValue)))
            {
                succeeded = false;
                break;
            }
        }

        var ops = succeeded ? txn.Success : txn.Failure;
        var results = new List<CommandResult>(ops.Count);
        foreach (var op in ops)
        {
            if (op.RequestId is not null)
            {
                return Error(ErrorCode.InvalidArgument, "Operations inside a transaction carry no request id; give it to the transaction.");
            }

            var result = ApplyOperation(op);
            if (result is ErrorResult)
            {
                // One failing operation fails the whole transaction; the caller rolls everything back.
                return result;
            }

            results.Add(result);
        }

        // Inner results carry the transaction's revision, stamped once it is known.
        var revision = _changed ? _pendingRevision : _revision;
        for (var i = 0; i < results.Count; i++)
        {
            results[i] = results[i] with { Revision = revision };
        }

        return new TxnResult(succeeded, results);
    }

    private static bool Evaluate(Compare compare, KeyVersion? live)
    {
        if (compare.Target == CompareTarget.Value)
        {
            if (live is null)
            {
                return compare.Op == CompareOp.NotEqual;
            }

            var c = ((ReadOnlySpan<byte>)live.Value).SequenceCompareTo(compare.Value ?? []);
            return Holds(compare.Op, c);
        }

        var actual = compare.Target switch
        {
            CompareTarget.Version => live?.Version ?? 0,
            CompareTarget.ModRevision => live?.ModRevision ?? 0,
            CompareTarget.CreateRevision => live?.CreateRevision ?? 0,
            CompareTarget.Lease => live?.Lease ?? 0,
            CompareTarget.Exists => live is null ? 0 : 1,
            _ => 0,
        };
        return Holds(compare.Op, actual.CompareTo(compare.Number));
    }

    private static bool Holds(CompareOp op, int comparison) => op switch
    {
        CompareOp.Equal => comparison == 0,
        CompareOp.NotEqual => comparison != 0,
        CompareOp.Less => comparison < 0,
        CompareOp.Greater => comparison > 0,
        _ => false,
    };
}
