using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>One group on a host: its core, its storage view, its state machine, and what waits while it persists.</summary>
internal sealed class HostedGroup
{
    public HostedGroup(GroupDescriptor descriptor, GroupStorage storage, RaftNode core, IGroupStateMachine machine, LogIndex applied)
    {
        Descriptor = descriptor;
        Storage = storage;
        Core = core;
        Machine = machine;
        Applied = applied;
    }

    public GroupDescriptor Descriptor { get; }

    public GroupId Id => Descriptor.Group;

    public GroupStorage Storage { get; }

    public RaftNode Core { get; }

    public IGroupStateMachine Machine { get; }

    /// <summary>The last entry the state machine applied.</summary>
    public LogIndex Applied { get; set; }

    /// <summary>The Ready taken from the core and not yet advanced: while set, no call may reach the core.</summary>
    public Ready? InFlight { get; set; }

    /// <summary>Inputs that arrived while <see cref="InFlight"/> was set, delivered in order after Advance.</summary>
    public Queue<GroupInput> Queued { get; } = new();

    /// <summary>Ticks that arrived while <see cref="InFlight"/> was set.</summary>
    public int QueuedTicks { get; set; }

    /// <summary>Confirmed reads waiting for the state machine to reach their index, in index order.</summary>
    public Queue<ReadState> WaitingReads { get; } = new();

    /// <summary>Whether the store is writing a snapshot of this group.</summary>
    public bool SnapshotInProgress { get; set; }

    /// <summary>The group is leaving the node: no more calls; removed once no Ready of it is in flight.</summary>
    public bool Removing { get; set; }

    /// <summary>A snapshot saved whose Compact record is still to be written.</summary>
    public SnapshotMeta? PendingCompaction { get; set; }

    /// <summary>A Compact record in the batch in flight: no new snapshot until it is published (it would be the same one).</summary>
    public bool CompactionInFlight { get; set; }
}

/// <summary>An input for a group's core, queued while the core is busy persisting.</summary>
internal abstract record GroupInput;

internal sealed record StepInput(Message Message) : GroupInput;

internal sealed record ProposeInput(ReadOnlyMemory<byte> Command, Action<ProposeResult> OnResult) : GroupInput;

internal sealed record ConfigChangeInput(ConfigChange Change, Action<ProposeResult> OnResult) : GroupInput;

internal sealed record ReadIndexInput(ulong RequestId) : GroupInput;

internal sealed record TransferInput(NodeId Target, Action<string?> OnResult) : GroupInput;
