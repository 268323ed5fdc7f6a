using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>
/// What a group replicates: the host applies committed entries in log order, restores from snapshots and asks for
/// captures to snapshot; everything runs on the host's thread and must not block for long.
/// </summary>
public interface IGroupStateMachine
{
    /// <summary>Applies the next committed entry (every kind: commands, configuration changes and empty entries).</summary>
    void Apply(Entry entry);

    /// <summary>Replaces the whole state with a snapshot's data (a restart, or a snapshot installed from the leader).</summary>
    void Restore(SnapshotMeta snapshot, Stream data);

    /// <summary>A consistent view of the state as of the last applied entry, to be written while applying goes on.</summary>
    IStateCapture Capture();

    /// <summary>The group's leader or this member's role changed.</summary>
    void OnRoleChanged(NodeId leader, RaftRole role)
    {
    }

    /// <summary>A read asked with <see cref="ReplicaHost.ReadIndex"/> may now be served: the state reflects every write
    /// committed before it was asked.</summary>
    void OnReadReady(ulong requestId)
    {
    }

    /// <summary>A read could not be confirmed (no leader, leadership lost): answer it with an error.</summary>
    void OnReadFailed(ulong requestId, NodeId leader)
    {
    }
}

/// <summary>A state machine's frozen view, written to a snapshot.</summary>
public interface IStateCapture
{
    /// <summary>Writes the state to <paramref name="destination"/>; may run on another thread.</summary>
    void WriteTo(Stream destination);
}

/// <summary>Carries the host's messages to the nodes of their addressees; delivery is best-effort (Raft retries).</summary>
public interface IPeerTransport
{
    /// <summary>
    /// Sends one round's messages of every group, each to the node that hosts its <see cref="Message.To"/> member; the
    /// transport batches them per node, and keeps their order per destination.
    /// </summary>
    void Send(IReadOnlyList<Message> messages);
}
