using Statehouse.Raft;
using Statehouse.Storage.Groups;

namespace Statehouse.Replication;

/// <summary>
/// A node's durable state for every group it hosts: the shared log, the group descriptors, and per-group snapshots.
/// The host reads it on its own thread; writes are batches (<see cref="Persist"/>) whose I/O may run elsewhere, and
/// the view changes only when the host publishes a durable batch (<see cref="Publish"/>).
/// </summary>
/// <remarks>
/// Completion is the runtime's business: when a batch is durable it calls <see cref="ReplicaHost.OnPersisted"/> (on
/// the host's thread), when a snapshot is durable <see cref="ReplicaHost.OnSnapshotSaved"/>; a failure is reported
/// with <see cref="ReplicaHost.OnStoreFailed"/>. At most one batch is in flight.
/// </remarks>
public interface IReplicaStore
{
    /// <summary>The published view of every group's log (durable batches only).</summary>
    GroupLogState Log { get; }

    /// <summary>The groups created on this node and not removed, in creation order.</summary>
    IReadOnlyList<GroupDescriptor> Groups { get; }

    /// <summary>The snapshots of one group (empty for a group that has none).</summary>
    IGroupSnapshots Snapshots(GroupId group);

    /// <summary>
    /// Starts making <paramref name="batch"/> durable, in its order: descriptors, snapshot chunks to staging, staged
    /// snapshots installed, then the log operations in one record (one fdatasync). Checks the log operations against
    /// the published view first and throws, writing nothing, when they break a group's rules.
    /// </summary>
    void Persist(PersistBatch batch);

    /// <summary>The runtime reported <paramref name="batch"/> durable: the view shows it from now on.</summary>
    void Publish(PersistBatch batch);

    /// <summary>
    /// Starts writing a snapshot the host captured; completes with <see cref="ReplicaHost.OnSnapshotSaved"/>, or not at
    /// all when the member left the node meanwhile (the data is dropped).
    /// </summary>
    void SaveSnapshot(SnapshotRequest request);
}

/// <summary>The durable work of one scheduler round across every group that had some.</summary>
public sealed class PersistBatch
{
    /// <summary>The host's sequence number for the batch (1, 2, …).</summary>
    public required long Id { get; init; }

    /// <summary>Groups created since the last batch.</summary>
    public List<GroupDescriptor> Created { get; } = [];

    /// <summary>Received snapshot data, appended to each group's staging area in order.</summary>
    public List<(GroupId Group, SnapshotChunk Chunk)> Chunks { get; } = [];

    /// <summary>Fully received snapshots: each group's staged data becomes its snapshot (checked against the checksum).</summary>
    public List<(GroupId Group, SnapshotMeta Snapshot)> Installs { get; } = [];

    /// <summary>Log operations of every group, written as one record.</summary>
    public List<GroupOperation> Operations { get; } = [];

    /// <summary>Whether some group's Ready asked for durability (else only the view must change; a sync is allowed).</summary>
    public bool MustSync { get; set; }

    /// <summary>Whether the batch holds any work.</summary>
    public bool IsEmpty => Created.Count == 0 && Chunks.Count == 0 && Installs.Count == 0 && Operations.Count == 0;
}

/// <summary>A snapshot the host asks the store to write: the state machine's capture as of <see cref="Index"/>.</summary>
/// <param name="Group">The group.</param>
/// <param name="Member">This node's member of it (a save that completes after the member left is dropped).</param>
/// <param name="Index">The last applied entry the capture reflects.</param>
/// <param name="Term">That entry's term.</param>
/// <param name="Configuration">The membership as of <paramref name="Index"/>.</param>
/// <param name="Capture">The state, written by the store (off the host's thread in production).</param>
public sealed record SnapshotRequest(GroupId Group, NodeId Member, LogIndex Index, Term Term, Configuration Configuration, IStateCapture Capture);

/// <summary>The snapshots a store holds for one group, read on the host's thread.</summary>
public interface IGroupSnapshots
{
    /// <summary>The snapshot saved or installed at exactly <paramref name="index"/>, or null.</summary>
    SnapshotMeta? At(LogIndex index);

    /// <summary>Reads up to <paramref name="maxBytes"/> of a snapshot's data from <paramref name="offset"/>.</summary>
    /// <returns>False when the store no longer holds it.</returns>
    bool TryRead(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk);

    /// <summary>Opens a snapshot to restore a state machine from it: the stream starts at the capture (after the
    /// <see cref="GroupSnapshotBody"/> prefix that <see cref="TryRead"/> includes).</summary>
    Stream OpenRead(SnapshotMeta snapshot);
}
