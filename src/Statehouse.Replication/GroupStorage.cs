using Statehouse.Raft;
using Statehouse.Storage.Groups;

namespace Statehouse.Replication;

/// <summary>
/// One group's durable log as its core reads it (<see cref="IRaftLogStorage"/>): the group's part of the store's
/// published view, plus the snapshot at its compaction point. Reads never touch the disk's log (the view is in memory).
/// </summary>
/// <remarks>
/// The snapshot in force is the one at the compaction point: a snapshot saved but not yet followed by its Compact
/// record (a crash in between) is ignored, so the log always starts right after the snapshot the core is given.
/// </remarks>
internal sealed class GroupStorage : IRaftLogStorage
{
    private readonly IReplicaStore _store;
    private readonly GroupDescriptor _descriptor;
    private readonly IGroupSnapshots _snapshots;
    private SnapshotMeta? _inForce;

    public GroupStorage(IReplicaStore store, GroupDescriptor descriptor)
    {
        _store = store;
        _descriptor = descriptor;
        _snapshots = store.Snapshots(descriptor.Group);
    }

    public GroupId Group => _descriptor.Group;

    /// <summary>The group's stored state (null before its first durable batch).</summary>
    public StoredGroup? Stored => _store.Log.Find(_descriptor.Group.Value);

    /// <summary>Where the log was compacted (0: never).</summary>
    public LogIndex CompactIndex => new(Stored?.CompactIndex ?? 0);

    /// <inheritdoc />
    public LogIndex FirstIndex => new(Stored?.FirstIndex ?? 1);

    /// <inheritdoc />
    public LogIndex LastIndex => new(Stored?.LastIndex ?? 0);

    /// <inheritdoc />
    public SnapshotMeta? Snapshot
    {
        get
        {
            var compact = CompactIndex;
            if (compact == LogIndex.Zero)
            {
                return null;
            }

            if (_inForce is null || _inForce.Index != compact)
            {
                _inForce = _snapshots.At(compact)
                    ?? throw new ReplicaStoreCorruptedException($"Group {Group} is compacted through {compact} but holds no snapshot there.");
                Invariant.Assert(_inForce.Term.Value == Stored!.CompactTerm, "the snapshot in force has the compaction point's term");
            }

            return _inForce;
        }
    }

    /// <inheritdoc />
    public RaftInitialState InitialState()
    {
        var stored = Stored;
        var snapshot = Snapshot;
        var hardState = stored is null
            ? default
            : new HardState(new Term(stored.Term), new NodeId(stored.Vote), new LogIndex(stored.Commit));
        return new RaftInitialState(hardState, snapshot, _descriptor.Bootstrap, snapshot?.Index ?? LogIndex.Zero);
    }

    /// <inheritdoc />
    public bool TryGetTerm(LogIndex index, out Term term)
    {
        var stored = Stored;
        if (stored is null)
        {
            term = Term.Zero;
            return index == LogIndex.Zero;
        }

        var found = stored.TryGetTerm(index.Value, out var value);
        term = new Term(value);
        return found;
    }

    /// <inheritdoc />
    public void GetEntries(LogIndex from, LogIndex toExclusive, long maxBytes, List<Entry> into)
    {
        var stored = Stored ?? throw new ArgumentOutOfRangeException(nameof(from), $"Group {Group} stores no entries.");
        long bytes = 0;
        for (var index = from; index < toExclusive; index = index.Next)
        {
            var storedEntry = stored.GetEntry(index.Value);
            if (!Entry.AddWithinLimit(into, new Entry(index, new Term(storedEntry.Term), (EntryKind)storedEntry.Kind, storedEntry.Data), maxBytes, ref bytes))
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public bool TryReadSnapshotChunk(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk) =>
        _snapshots.TryRead(snapshot, offset, maxBytes, out chunk);

    /// <summary>The log operation that stores <paramref name="entries"/>.</summary>
    public static AppendEntriesOperation ToOperation(GroupId group, IReadOnlyList<Entry> entries)
    {
        var stored = new GroupEntry[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            stored[i] = new GroupEntry(entry.Index.Value, entry.Term.Value, (byte)entry.Kind, entry.Data);
        }

        return new AppendEntriesOperation(group.Value, stored);
    }
}
