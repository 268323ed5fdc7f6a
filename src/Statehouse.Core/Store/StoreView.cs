using System.Collections.Immutable;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

/// <summary>
/// The state as of one applied log index: immutable, so any number of readers and the snapshot writer can use it
/// while the state machine moves on.
/// </summary>
public sealed class StoreView
{
    internal StoreView(
        long appliedIndex,
        long revision,
        long compactRevision,
        long nextLeaseId,
        ImmutableDictionary<string, KeyspaceState> keyspaces,
        ImmutableDictionary<long, LeaseState> leases,
        ImmutableDictionary<string, IdempotencyEntry> requests,
        ImmutableQueue<IdempotencyEntry> requestOrder,
        StoreLimits limits,
        EventHistory history)
    {
        History = history;
        AppliedIndex = appliedIndex;
        Revision = revision;
        CompactRevision = compactRevision;
        NextLeaseId = nextLeaseId;
        Keyspaces = keyspaces;
        Leases = leases;
        Requests = requests;
        RequestOrder = requestOrder;
        Limits = limits;
    }

    /// <summary>Last log index applied.</summary>
    public long AppliedIndex { get; }

    /// <summary>Store revision: bumped once per mutating command.</summary>
    public long Revision { get; }

    /// <summary>History below this revision is compacted.</summary>
    public long CompactRevision { get; }

    internal long NextLeaseId { get; }

    /// <summary>Keyspaces by name.</summary>
    public ImmutableDictionary<string, KeyspaceState> Keyspaces { get; }

    /// <summary>Live leases by id.</summary>
    public ImmutableDictionary<long, LeaseState> Leases { get; }

    internal ImmutableDictionary<string, IdempotencyEntry> Requests { get; }

    internal ImmutableQueue<IdempotencyEntry> RequestOrder { get; }

    /// <summary>The limits in force.</summary>
    public StoreLimits Limits { get; }

    /// <summary>The live change history (shared by all views).</summary>
    public EventHistory History { get; }

    /// <summary>Live keys in all keyspaces.</summary>
    public long TotalKeys => Keyspaces.Values.Sum(k => k.LiveKeys);

    private long _totalKeys = -1;

    /// <summary><see cref="TotalKeys"/>, computed once per view.</summary>
    public long TotalKeysCached
    {
        get
        {
            if (_totalKeys < 0)
            {
                _totalKeys = TotalKeys;
            }

            return _totalKeys;
        }
    }

    /// <summary>Bytes of live keys and values in all keyspaces.</summary>
    public long TotalBytes => Keyspaces.Values.Sum(k => k.LiveBytes);

    /// <summary>The keyspace, or a NotFound failure.</summary>
    public KeyspaceState Keyspace(string name) =>
        Keyspaces.TryGetValue(name, out var ks)
            ? ks
            : throw new StatehouseException(ErrorCode.NotFound, $"Keyspace '{name}' does not exist.");

    /// <summary>Checks a read revision: 0 = latest; negative, compacted or future revisions fail.</summary>
    public long ResolveRevision(long revision)
    {
        if (revision < 0)
        {
            // Not "latest": a negative revision is a caller's bug (an unset sentinel, an overflow), never a request.
            throw new StatehouseException(ErrorCode.InvalidArgument, $"Revision {revision} is negative; ask for 0 (latest) or a revision from 1 on.");
        }

        if (revision == 0)
        {
            return Revision;
        }

        if (revision > Revision)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"Revision {revision} is in the future (current {Revision}).");
        }

        if (revision < CompactRevision)
        {
            throw new StatehouseException(ErrorCode.Compacted, $"Revision {revision} is compacted; the oldest available is {CompactRevision}.")
            {
                CompactRevision = CompactRevision,
            };
        }

        return revision;
    }

    /// <summary>Reads one key.</summary>
    public KeyValue? Get(string keyspace, byte[] key, long revision = 0)
    {
        var ks = Keyspace(keyspace);
        var at = ResolveRevision(revision);
        var v = ks.Find(key, at);
        EnsureStillAvailable(at);
        return v is null ? null : KeyValue.From(key, v);
    }

    /// <summary>Reads a range or prefix page.</summary>
    public RangeResult Range(string keyspace, RangeQuery query)
    {
        var ks = Keyspace(keyspace);
        var at = ResolveRevision(query.Revision);
        var result = ks.Range(query, at, Limits) with { Revision = at };
        EnsureStillAvailable(at);
        return result;
    }

    /// <summary>
    /// A compaction applied after this view was taken may have trimmed the history the read just walked;
    /// answering Compacted then is right, a silently wrong value would not be.
    /// </summary>
    private void EnsureStillAvailable(long revision)
    {
        // A read at this view's own revision never follows a link that trimming can cut.
        if (revision >= Revision)
        {
            return;
        }

        var compact = History.CompactRevision;
        if (revision < compact)
        {
            throw new StatehouseException(ErrorCode.Compacted, $"Revision {revision} was compacted during the read; the oldest available is {compact}.")
            {
                CompactRevision = compact,
            };
        }
    }
}
