using Statehouse.Core.Collections;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

/// <summary>One keyspace at one moment: its configuration, the newest version of each key (chains hold the history) and its live totals.</summary>
public sealed record KeyspaceState(KeyspaceConfig Config, PersistentSortedMap<KeyVersion> Keys, long LiveKeys, long LiveBytes)
{
    /// <summary>A new, empty keyspace.</summary>
    public static KeyspaceState Create(KeyspaceConfig config) => new(config, PersistentSortedMap<KeyVersion>.Empty, 0, 0);

    /// <summary>The live version of <paramref name="key"/> at <paramref name="revision"/>, or null.</summary>
    public KeyVersion? Find(ReadOnlySpan<byte> key, long revision)
    {
        if (!Keys.TryGetValue(key, out var head))
        {
            return null;
        }

        var v = head.At(revision);
        return v is { IsTombstone: false } ? v : null;
    }

    /// <summary>The newest version (possibly a tombstone) of <paramref name="key"/>, or null.</summary>
    public KeyVersion? Head(ReadOnlySpan<byte> key) => Keys.TryGetValue(key, out var head) ? head : null;

    /// <summary>Runs a range query at <paramref name="revision"/>.</summary>
    public RangeResult Range(RangeQuery query, long revision, StoreLimits limits)
    {
        var (start, end) = query.Bounds();
        if (query.After is not null && (start is null || ByteKeyComparer.Instance.Compare(query.After, start) >= 0))
        {
            // Continue strictly after the last key of the previous page.
            start = [.. query.After, 0];
        }

        if (query.CountOnly)
        {
            long count = 0;
            foreach (var (_, head) in Keys.Enumerate(start, end))
            {
                if (head.At(revision) is { IsTombstone: false })
                {
                    count++;
                }
            }

            return new RangeResult([], count, false, null);
        }

        var limit = query.Limit <= 0 ? limits.DefaultRangeLimit : Math.Min(query.Limit, limits.MaxRangeLimit);
        var kvs = new List<KeyValue>(Math.Min(limit, 256));
        var more = false;
        byte[]? lastKey = null;
        foreach (var (key, head) in Keys.Enumerate(start, end))
        {
            var v = head.At(revision);
            if (v is null || v.IsTombstone)
            {
                continue;
            }

            if (kvs.Count == limit)
            {
                more = true;
                break;
            }

            kvs.Add(query.KeysOnly
                ? new KeyValue(key, [], v.CreateRevision, v.ModRevision, v.Version, v.Lease)
                : KeyValue.From(key, v));
            lastKey = key;
        }

        return new RangeResult(kvs, kvs.Count, more, more ? lastKey : null);
    }
}

/// <summary>A key inside a keyspace, as a lease remembers it.</summary>
public readonly record struct KeyRef(string Keyspace, byte[] Key)
{
    /// <inheritdoc />
    public bool Equals(KeyRef other) => Keyspace == other.Keyspace && ((ReadOnlySpan<byte>)Key).SequenceEqual(other.Key);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Keyspace, ByteKeyComparer.Instance.GetHashCode(Key));
}

/// <summary>
/// A lease in the replicated state: its TTL and attached keys. Deadlines live with the leader, not here.
/// An <see cref="Owned"/> lease was granted by a put's TTL for that key alone and ends when the key leaves it.
/// </summary>
public sealed record LeaseState(long Id, long TtlSeconds, System.Collections.Immutable.ImmutableHashSet<KeyRef> Keys, bool Owned = false);

/// <summary>A remembered answer to an idempotent request, with a fingerprint of the request it answered.</summary>
public sealed record IdempotencyEntry(string RequestId, long TimestampMs, CommandResult Result, ulong Fingerprint);
