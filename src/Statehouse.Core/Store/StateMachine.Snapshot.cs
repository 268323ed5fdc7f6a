using System.Collections.Immutable;
using Statehouse.Core.Collections;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

public sealed partial class StateMachine
{
    /// <summary>Writes the given view as a snapshot body (see <see cref="SnapshotCodec"/>).</summary>
    public static void WriteSnapshot(StoreView view, Stream output, CancellationToken cancellationToken = default) =>
        SnapshotCodec.Write(view, output, cancellationToken);

    /// <summary>Replaces the whole state with a snapshot body's. Rebuilds totals, lease key sets and the watch history.</summary>
    public void Restore(Stream snapshotBody)
    {
        // Decode and check everything first: a bad snapshot leaves the machine as it was.
        var c = SnapshotCodec.Read(snapshotBody);
        if (c.CompactRevision > c.Revision || c.CompactRevision < 0 || c.AppliedIndex < 0 || c.NextLeaseId < 1)
        {
            throw new FormatException("Snapshot header is inconsistent.");
        }

        var leases = new Dictionary<long, (long Ttl, ImmutableHashSet<KeyRef>.Builder Keys, bool Owned)>();
        foreach (var (id, ttl, owned) in c.Leases)
        {
            if (id <= 0 || ttl <= 0 || !leases.TryAdd(id, (ttl, ImmutableHashSet.CreateBuilder<KeyRef>(), owned)))
            {
                throw new FormatException($"Snapshot lease {id} is invalid or repeated.");
            }
        }

        var keyspaces = ImmutableDictionary.CreateBuilder<string, KeyspaceState>();
        var events = new List<WatchEvent>();
        foreach (var (config, keys) in c.Keyspaces)
        {
            if (keyspaces.ContainsKey(config.Name))
            {
                throw new FormatException($"Snapshot keyspace '{config.Name}' is repeated.");
            }

            long liveKeys = 0, liveBytes = 0;
            foreach (var (key, head) in keys)
            {
                if (head.ModRevision > c.Revision)
                {
                    throw new FormatException("Snapshot holds a version newer than its revision.");
                }

                if (!head.IsTombstone)
                {
                    liveKeys++;
                    liveBytes += key.Length + head.Value!.Length;
                    if (head.Lease != 0)
                    {
                        if (!leases.TryGetValue(head.Lease, out var lease))
                        {
                            throw new FormatException($"Key attached to unknown lease {head.Lease}.");
                        }

                        lease.Keys.Add(new KeyRef(config.Name, key));
                    }
                }

                for (var v = head; v is not null && v.ModRevision >= c.CompactRevision; v = v.Previous)
                {
                    events.Add(new WatchEvent(config.Name, key, v, v.Previous));
                }
            }

            keyspaces[config.Name] = new KeyspaceState(config, PersistentSortedMap<KeyVersion>.FromSorted(keys), liveKeys, liveBytes);
        }

        if (!keyspaces.ContainsKey(KeyspaceConfig.DefaultName))
        {
            throw new FormatException("Snapshot lacks the default keyspace.");
        }

        var requests = ImmutableDictionary.CreateBuilder<string, IdempotencyEntry>();
        foreach (var r in c.Requests)
        {
            if (!requests.TryAdd(r.RequestId, r))
            {
                throw new FormatException($"Snapshot request id '{r.RequestId}' is repeated.");
            }
        }

        // The order the changes were applied in: by revision, then position within the revision.
        events.Sort(static (a, b) =>
        {
            var byRevision = a.Revision.CompareTo(b.Revision);
            return byRevision != 0 ? byRevision : a.Current.Sequence.CompareTo(b.Current.Sequence);
        });

        _keyspaces = keyspaces.ToImmutable();
        _leases = leases.ToImmutableDictionary(l => l.Key, l => new LeaseState(l.Key, l.Value.Ttl, l.Value.Keys.ToImmutable(), l.Value.Owned));
        _requests = requests.ToImmutable();
        _requestOrder = ImmutableQueue.CreateRange(c.Requests);
        _revision = c.Revision;
        _compactRevision = c.CompactRevision;
        _nextLeaseId = c.NextLeaseId;
        _appliedIndex = c.AppliedIndex;
        History.Reset(events, c.CompactRevision);
        _batchEvents.Clear();
        _view = BuildView();
    }

    /// <summary>
    /// A hash of the logical state (keys, live values and metadata, leases, revision) that replicas can compare.
    /// Physical details (trimmed chains, tombstones awaiting trim) do not change it.
    /// </summary>
    public static ulong StateHash(StoreView view)
    {
        var hash = new FnvHash();
        hash.Add(view.Revision);
        hash.Add(view.CompactRevision);
        foreach (var (name, ks) in view.Keyspaces.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            hash.Add(System.Text.Encoding.UTF8.GetBytes(name));
            hash.Add(ks.Config.MaxKeyBytes);
            hash.Add(ks.Config.MaxValueBytes);
            hash.Add(ks.Config.MaxKeys);
            foreach (var (key, head) in ks.Keys.Enumerate(null, null))
            {
                if (head.IsTombstone)
                {
                    continue;
                }

                hash.Add(key);
                hash.Add(head.Value!);
                hash.Add(head.CreateRevision);
                hash.Add(head.ModRevision);
                hash.Add(head.Version);
                hash.Add(head.Lease);
            }
        }

        foreach (var lease in view.Leases.Values.OrderBy(l => l.Id))
        {
            hash.Add(lease.Id);
            hash.Add(lease.TtlSeconds);
            hash.Add(lease.Owned ? 1 : 0);
        }

        hash.Add(view.NextLeaseId);
        foreach (var entry in view.RequestOrder)
        {
            if (view.Requests.TryGetValue(entry.RequestId, out var current) && ReferenceEquals(current, entry))
            {
                hash.Add(System.Text.Encoding.UTF8.GetBytes(entry.RequestId));
                hash.Add(entry.TimestampMs);
                hash.Add((long)entry.Fingerprint);
                hash.Add(entry.Result.Revision);
            }
        }

        return hash.Value;
    }

    private struct FnvHash
    {
        private ulong _value;
        private bool _started;

        public readonly ulong Value => _value;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            if (!_started)
            {
                _value = 14695981039346656037UL;
                _started = true;
            }

            Add((long)bytes.Length);
            foreach (var b in bytes)
            {
                _value = (_value ^ b) * 1099511628211UL;
            }
        }

        public void Add(long number)
        {
            if (!_started)
            {
                _value = 14695981039346656037UL;
                _started = true;
            }

            for (var i = 0; i < 8; i++)
            {
                _value = (_value ^ (byte)(number >> (i * 8))) * 1099511628211UL;
            }
        }
    }
}
