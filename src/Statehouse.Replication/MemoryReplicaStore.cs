using Statehouse.Raft;
using Statehouse.Storage;
using Statehouse.Storage.Groups;

namespace Statehouse.Replication;

/// <summary>
/// What survives a crash of a <see cref="MemoryReplicaStore"/>: every batch and snapshot that completed. A new store
/// over the same disk (<see cref="MemoryReplicaStore(MemoryReplicaDisk)"/>) is the node after a restart.
/// </summary>
public sealed class MemoryReplicaDisk
{
    internal List<GroupDescriptor> Descriptors { get; } = [];

    internal List<IReadOnlyList<GroupOperation>> Records { get; } = [];

    internal Dictionary<ulong, SortedDictionary<ulong, (SnapshotMeta Meta, byte[] Data)>> Snapshots { get; } = [];

    internal Dictionary<ulong, (SnapshotMeta Meta, MemoryStream Data)> Staging { get; } = [];

    /// <summary>Batches made durable so far.</summary>
    public int RecordCount => Records.Count;

    /// <summary>A copy (the lists and maps; their items are immutable or replaced, never changed in place).</summary>
    internal MemoryReplicaDisk Clone()
    {
        var copy = new MemoryReplicaDisk();
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>Becomes <paramref name="other"/> (a crash back to an earlier durable image).</summary>
    internal void CopyFrom(MemoryReplicaDisk other)
    {
        Descriptors.Clear();
        Descriptors.AddRange(other.Descriptors);
        Records.Clear();
        Records.AddRange(other.Records);
        Snapshots.Clear();
        foreach (var (group, snapshots) in other.Snapshots)
        {
            Snapshots[group] = new SortedDictionary<ulong, (SnapshotMeta Meta, byte[] Data)>(snapshots);
        }

        Staging.Clear();
        foreach (var (group, staged) in other.Staging)
        {
            var data = new MemoryStream();
            data.Write(staged.Data.GetBuffer(), 0, (int)staged.Data.Length);
            Staging[group] = (staged.Meta, data);
        }
    }
}

/// <summary>
/// An in-memory <see cref="IReplicaStore"/> for tests, the simulator and benchmarks: writes complete when the runtime
/// says so (<see cref="CompletePersist"/>, <see cref="CompleteSnapshot"/>), and a restart is a new store over the
/// same <see cref="MemoryReplicaDisk"/>, which keeps only what completed.
/// </summary>
public sealed class MemoryReplicaStore : IReplicaStore
{
    private readonly MemoryReplicaDisk _disk;
    private readonly Queue<PersistBatch> _persisting = new();
    private readonly Queue<SnapshotRequest> _saving = new();
    private readonly Dictionary<ulong, GroupSnapshots> _views = [];
    private readonly List<GroupDescriptor> _groups;
    private PersistBatch? _durableUnreported;
    private readonly Queue<MemoryReplicaDisk> _unsynced = new();

    /// <summary>A new node with an empty disk.</summary>
    public MemoryReplicaStore()
        : this(new MemoryReplicaDisk())
    {
    }

    /// <summary>The node restarted over <paramref name="disk"/>: the view is replayed from its records.</summary>
    public MemoryReplicaStore(MemoryReplicaDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        _disk = disk;
        Log = new GroupLogState();
        if (disk.Records.Count > 0)
        {
            Log.BeginReplay(1);
            for (var i = 0; i < disk.Records.Count; i++)
            {
                Log.Apply(i + 1, disk.Records[i]);
            }

            Log.EndReplay();
        }

        _groups = [.. disk.Descriptors];
    }

    /// <summary>What survives a crash.</summary>
    public MemoryReplicaDisk Disk => _disk;

    /// <inheritdoc />
    public GroupLogState Log { get; }

    /// <inheritdoc />
    public IReadOnlyList<GroupDescriptor> Groups => _groups;

    /// <summary>Batches handed over and not yet durable.</summary>
    public int PendingBatches => _persisting.Count;

    /// <summary>Snapshots asked for and not yet saved.</summary>
    public int PendingSnapshots => _saving.Count;

    /// <summary>How many batches asked for a sync.</summary>
    public long Syncs { get; private set; }

    /// <inheritdoc />
    public IGroupSnapshots Snapshots(GroupId group)
    {
        if (!_views.TryGetValue(group.Value, out var view))
        {
            view = new GroupSnapshots(_disk, group.Value);
            _views.Add(group.Value, view);
        }

        return view;
    }

    /// <summary>
    /// Planted bug (tests and the simulator only): a batch is written at once and reported durable before its fsync
    /// (<see cref="ReportEarly"/>); <see cref="MakeNextDurable"/> is the fsync, and <see cref="LoseUnsynced"/> the crash
    /// that takes back what no fsync covered, acknowledged or not.
    /// </summary>
    internal bool PlantReportBeforeDurable { get; init; }

    /// <inheritdoc />
    public void Persist(PersistBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Invariant.Assert(PlantReportBeforeDurable || (_persisting.Count == 0 && _durableUnreported is null), "one batch in flight at a time");
        if (batch.Operations.Count > 0)
        {
            Log.Validate(Log.LastLsn + 1, batch.Operations);
        }

        if (PlantReportBeforeDurable)
        {
            // Written now (the page cache); durable only when its fsync completes.
            _unsynced.Enqueue(_disk.Clone());
            MakeDurable(batch);
        }

        _persisting.Enqueue(batch);
    }

    /// <summary>The planted bug's crash: the disk goes back to before the oldest batch no fsync covered.</summary>
    internal void LoseUnsynced()
    {
        if (_unsynced.TryPeek(out var before))
        {
            _disk.CopyFrom(before);
        }

        _unsynced.Clear();
    }

    /// <summary>Makes the oldest pending batch durable and tells <paramref name="host"/>; false when none is pending.</summary>
    public bool CompletePersist(ReplicaHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!MakeNextDurable())
        {
            return false;
        }

        Report(host);
        return true;
    }

    /// <summary>The oldest pending batch reached the disk (its fsync returned); the host is not told yet.</summary>
    /// <returns>False when no batch is pending.</returns>
    public bool MakeNextDurable()
    {
        if (!_persisting.TryDequeue(out var batch))
        {
            return false;
        }

        if (PlantReportBeforeDurable)
        {
            // Written at Persist already: the fsync only makes it stay.
            _unsynced.Dequeue();
            return true;
        }

        MakeDurable(batch);
        _durableUnreported = batch;
        return true;
    }

    /// <summary>Tells <paramref name="host"/> that the batch made durable by <see cref="MakeNextDurable"/> is.</summary>
    public void Report(ReplicaHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (_durableUnreported is { } batch)
        {
            _durableUnreported = null;
            host.OnPersisted(batch.Id);
        }
    }

    /// <summary>The planted bug: tells the host the newest pending batch is durable while it is not.</summary>
    internal void ReportEarly(ReplicaHost host, long batchId)
    {
        Invariant.Assert(PlantReportBeforeDurable);
        host.OnPersisted(batchId);
    }

    /// <inheritdoc />
    public void Publish(PersistBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _groups.AddRange(batch.Created);
        if (batch.Operations.Count > 0)
        {
            Log.ApplyValidated(Log.LastLsn + 1, batch.Operations);
            Invariant.Assert(PlantReportBeforeDurable || Log.LastLsn == _disk.Records.Count, "the view publishes what is durable, in order");
        }

        foreach (var removed in batch.Operations.OfType<RemoveGroupOperation>())
        {
            _groups.RemoveAll(d => d.Group.Value == removed.Group && !batch.Created.Contains(d));
        }
    }

    /// <inheritdoc />
    public void SaveSnapshot(SnapshotRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _saving.Enqueue(request);
    }

    /// <summary>Writes the oldest snapshot asked for and tells <paramref name="host"/>; false when none is pending.</summary>
    public bool CompleteSnapshot(ReplicaHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!_saving.TryDequeue(out var request))
        {
            return false;
        }

        // A member that left the node meanwhile (or was replaced by a new member of the group) gets nothing.
        if (!_groups.Any(d => d.Group == request.Group && d.Member == request.Member))
        {
            return true;
        }

        using var buffer = new MemoryStream();
        GroupSnapshotBody.WritePrefix(buffer, request.Configuration);
        request.Capture.WriteTo(buffer);
        var data = buffer.ToArray();
        var meta = new SnapshotMeta(request.Index, request.Term, request.Configuration, data.Length, Crc32C.Compute(data));
        SnapshotsOf(request.Group.Value)[request.Index.Value] = (meta, data);
        host.OnSnapshotSaved(request, meta);
        return true;
    }

    private void MakeDurable(PersistBatch batch)
    {
        _disk.Descriptors.AddRange(batch.Created);
        foreach (var (group, chunk) in batch.Chunks)
        {
            if (chunk.Offset == 0 || !_disk.Staging.TryGetValue(group.Value, out var staged) || !staged.Meta.SameSnapshot(chunk.Snapshot))
            {
                staged = (chunk.Snapshot, new MemoryStream());
                _disk.Staging[group.Value] = staged;
            }

            Invariant.Assert(chunk.Offset == staged.Data.Length, "a snapshot chunk continues its staging area");
            staged.Data.Write(chunk.Data.Span);
        }

        foreach (var (group, snapshot) in batch.Installs)
        {
            if (!_disk.Staging.Remove(group.Value, out var staged) || !staged.Meta.SameSnapshot(snapshot))
            {
                throw new InvalidOperationException($"Group {group} has no staged data for {snapshot}.");
            }

            var data = staged.Data.ToArray();
            if (data.Length != snapshot.SizeBytes || Crc32C.Compute(data) != snapshot.Checksum)
            {
                throw new InvalidDataException($"Group {group} received {data.Length} bytes for {snapshot} that do not match its checksum.");
            }

            SnapshotsOf(group.Value)[snapshot.Index.Value] = (snapshot, data);
        }

        foreach (var removed in batch.Operations.OfType<RemoveGroupOperation>())
        {
            _disk.Descriptors.RemoveAll(d => d.Group.Value == removed.Group && !batch.Created.Contains(d));
            _disk.Snapshots.Remove(removed.Group);
            _disk.Staging.Remove(removed.Group);
        }

        if (batch.Operations.Count > 0)
        {
            _disk.Records.Add(batch.Operations.ToArray());
            if (batch.MustSync)
            {
                Syncs++;
            }

            // Snapshots below a durable compaction point are no longer needed.
            foreach (var compact in batch.Operations.OfType<CompactOperation>())
            {
                var snapshots = SnapshotsOf(compact.Group);
                foreach (var index in snapshots.Keys.Where(i => i < compact.Index).ToList())
                {
                    snapshots.Remove(index);
                }
            }
        }
    }

    private SortedDictionary<ulong, (SnapshotMeta Meta, byte[] Data)> SnapshotsOf(ulong group)
    {
        if (!_disk.Snapshots.TryGetValue(group, out var snapshots))
        {
            snapshots = [];
            _disk.Snapshots.Add(group, snapshots);
        }

        return snapshots;
    }

    private sealed class GroupSnapshots(MemoryReplicaDisk disk, ulong group) : IGroupSnapshots
    {
        public SnapshotMeta? At(LogIndex index) =>
            disk.Snapshots.TryGetValue(group, out var snapshots) && snapshots.TryGetValue(index.Value, out var found) ? found.Meta : null;

        public bool TryRead(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk)
        {
            if (!TryFind(snapshot, out var data) || offset < 0 || offset > data.Length)
            {
                chunk = default;
                return false;
            }

            chunk = data.AsMemory((int)offset, (int)Math.Min(maxBytes, data.Length - offset));
            return true;
        }

        public Stream OpenRead(SnapshotMeta snapshot)
        {
            if (!TryFind(snapshot, out var data))
            {
                throw new InvalidOperationException($"Group g{group} holds no {snapshot}.");
            }

            var stream = new MemoryStream(data, writable: false);
            GroupSnapshotBody.ReadPrefix(stream);
            return stream;
        }

        private bool TryFind(SnapshotMeta snapshot, out byte[] data)
        {
            if (disk.Snapshots.TryGetValue(group, out var snapshots) && snapshots.TryGetValue(snapshot.Index.Value, out var found) && found.Meta.SameSnapshot(snapshot))
            {
                data = found.Data;
                return true;
            }

            data = [];
            return false;
        }
    }
}
