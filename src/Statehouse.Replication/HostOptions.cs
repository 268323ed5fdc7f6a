using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>How a <see cref="ReplicaHost"/> drives its groups; every limit is explicit.</summary>
public sealed record HostOptions
{
    /// <summary>The options of a group's core (its id and group are set by the host); null: the core's defaults.</summary>
    public Func<GroupId, RaftOptions>? CoreOptions { get; init; }

    /// <summary>A group snapshots once it applied this many entries beyond its compaction point.</summary>
    public long SnapshotEveryEntries { get; init; } = 10_000;

    /// <summary>A group snapshots once its retained log holds this many bytes, however few entries.</summary>
    public long SnapshotRetainedBytes { get; init; } = 64L << 20;

    /// <summary>Inputs a group queues while its Ready is being persisted; beyond, messages are dropped (Raft resends)
    /// and proposals refused as busy.</summary>
    public int MaxQueuedInputsPerGroup { get; init; } = 4096;

    /// <summary>A round stops taking Readys once its batch holds this many bytes; the rest go in the next round.</summary>
    public long MaxBatchBytes { get; init; } = 16L << 20;

    /// <summary>Checks the options and throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (SnapshotEveryEntries < 1)
        {
            throw new ArgumentException($"SnapshotEveryEntries must be ≥ 1 (got {SnapshotEveryEntries}).", nameof(SnapshotEveryEntries));
        }

        if (SnapshotRetainedBytes < 1)
        {
            throw new ArgumentException($"SnapshotRetainedBytes must be ≥ 1 (got {SnapshotRetainedBytes}).", nameof(SnapshotRetainedBytes));
        }

        if (MaxQueuedInputsPerGroup < 1)
        {
            throw new ArgumentException($"MaxQueuedInputsPerGroup must be ≥ 1 (got {MaxQueuedInputsPerGroup}).", nameof(MaxQueuedInputsPerGroup));
        }

        if (MaxBatchBytes < 1)
        {
            throw new ArgumentException($"MaxBatchBytes must be ≥ 1 (got {MaxBatchBytes}).", nameof(MaxBatchBytes));
        }
    }

    internal RaftOptions CoreOptionsFor(GroupDescriptor group)
    {
        var options = CoreOptions?.Invoke(group.Group) ?? new RaftOptions { Id = group.Member, Group = group.Group };
        return options with { Id = group.Member, Group = group.Group };
    }
}

/// <summary>What a host did, for metrics and tests (counts since it was created).</summary>
public sealed class HostStatistics
{
    /// <summary>Rounds that took at least one Ready.</summary>
    public long Rounds { get; internal set; }

    /// <summary>Batches handed to the store.</summary>
    public long Batches { get; internal set; }

    /// <summary>Readys persisted by those batches (more than one per batch is group commit across groups).</summary>
    public long ReadysPersisted { get; internal set; }

    /// <summary>Readys finished without a write (nothing of theirs to persist).</summary>
    public long ReadysWithoutWrite { get; internal set; }

    /// <summary>Messages sent.</summary>
    public long MessagesSent { get; internal set; }

    /// <summary>Transport sends (one per round that had messages, for every group and node).</summary>
    public long Sends { get; internal set; }

    /// <summary>Messages dropped: for a group this node does not host, for another member of it, or a full queue.</summary>
    public long MessagesDropped { get; internal set; }

    /// <summary>Snapshots the host took (saved by the store).</summary>
    public long SnapshotsSaved { get; internal set; }

    /// <summary>Snapshots installed from a leader.</summary>
    public long SnapshotsInstalled { get; internal set; }
}
