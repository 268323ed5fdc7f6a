using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Raft;
using Statehouse.Replication;

namespace Statehouse.Cluster.Hosting;

/// <summary>
/// Today's KV/lease/watch state machine (<see cref="StateMachine"/>) as a replica group's state machine on the new
/// host (issue 13 step 5): a command entry is a <see cref="CommandBatch"/>, applied at its index; other entries only
/// move the applied index; a capture is the immutable <see cref="StoreView"/> at the last applied entry, written with
/// today's snapshot codec off the host's thread.
/// </summary>
/// <remarks>
/// A committed entry that does not decode cannot be skipped (every member must apply the same entries): it throws,
/// and the host stops.
/// </remarks>
public sealed class KvGroupStateMachine(StateMachine machine) : IGroupStateMachine
{
    /// <summary>The state machine.</summary>
    public StateMachine Machine { get; } = machine;

    /// <summary>Hears every applied command batch with its results, on the host's thread (the node answers its proposers).</summary>
    public Action<Entry, IReadOnlyList<CommandResult>>? Applied { get; set; }

    /// <summary>Hears role changes (leader, role), on the host's thread.</summary>
    public Action<NodeId, RaftRole>? RoleChanged { get; set; }

    /// <inheritdoc />
    public void Apply(Entry entry)
    {
        var index = checked((long)entry.Index.Value);
        if (entry.Kind != EntryKind.Command)
        {
            Machine.AdvanceAppliedIndex(index);
            return;
        }

        CommandBatch batch;
        try
        {
            batch = CommandCodec.Decode(entry.Data.Span);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"The committed entry {entry} does not decode as a command batch; the group cannot go on applying.", e);
        }

        var results = Machine.Apply(batch, index);
        Applied?.Invoke(entry, results);
    }

    /// <inheritdoc />
    public void Restore(SnapshotMeta snapshot, Stream data)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Machine.Restore(data);
        if (Machine.View.AppliedIndex != (long)snapshot.Index.Value)
        {
            throw new InvalidDataException($"The snapshot {snapshot} holds the state applied through {Machine.View.AppliedIndex}.");
        }
    }

    /// <inheritdoc />
    public IStateCapture Capture() => new ViewCapture(Machine.View);

    /// <inheritdoc />
    public void OnRoleChanged(NodeId leader, RaftRole role) => RoleChanged?.Invoke(leader, role);

    private sealed class ViewCapture(StoreView view) : IStateCapture
    {
        public void WriteTo(Stream destination) => StateMachine.WriteSnapshot(view, destination);
    }
}
