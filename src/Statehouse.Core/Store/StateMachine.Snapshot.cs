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
        var c = SnapshotCodec.Read(snapshotBody);
        Invariant.Assert(c.CompactRevision <= c.Revision);

        var leases = c.Leases.ToDictionary(l => l.Id, l => (l.Ttl, Keys: ImmutableHashSet.CreateBuilder<KeyRef>()));
        var keyspaces = ImmutableDictionary.CreateBuilder<string, KeyspaceState>();
        var events = new List<WatchEvent>();
        foreach (var (config, keys) in c.Keyspaces)
        {
            long liveKeys = 0, liveBytes = 0;
            foreach (var (key, head) in keys)
            {
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

                for (var v = head; v is not null && v.ModRevision > c.CompactRevision; v = v.Previous)
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

        // One order for every replica: by revision, then keyspace, then key.
        events.Sort(static (a, b) =>
        {
            var byRevision = a.Revision.CompareTo(b.Revision);
            if (byRevision != 0)
            {
                return byRevision;
            }

            var byKeyspace = string.CompareOrdinal(a.Keyspace, b.Keyspace);
            return byKeyspace != 0 ? byKeyspace : ByteKeyComparer.Instance.Compare(a.Key, b.Key);
        });

        _keyspaces = keyspaces.ToImmutable();
        _leases = leases.ToImmutableDictionary(l => l.Key, l => new LeaseState(l.Key, l.Value.Ttl, l.Value.Keys.ToImmutable()));
        _requests = c.Requests.ToImmutableDictionary(r => r.RequestId, r => r);
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
