using Statehouse.Core;

namespace Statehouse.Cluster;

/// <summary>Everything a node's engine can be told. Every limit is explicit here and documented in docs/operations.md.</summary>
public sealed record NodeOptions
{
    /// <summary>Folder for the log, snapshots and metadata.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>This node's id, reported in every response.</summary>
    public string NodeId { get; init; } = "n1";

    /// <summary>State machine limits (key/value sizes, txn sizes, idempotency window...).</summary>
    public StoreLimits Limits { get; init; } = StoreLimits.Default;

    /// <summary>Most proposals waiting for the apply loop; beyond it writes fail fast with Unavailable.</summary>
    public int ProposalQueueCapacity { get; init; } = 65_536;

    /// <summary>Most commands batched into one log entry.</summary>
    public int MaxBatchCommands { get; init; } = 2_048;

    /// <summary>Largest log entry the batcher builds (a single bigger command still goes alone).</summary>
    public int MaxBatchBytes { get; init; } = 4 << 20;

    /// <summary>Log segment size.</summary>
    public long SegmentSizeBytes { get; init; } = 64L << 20;

    /// <summary>Take a snapshot once the log holds this many bytes since the last one.</summary>
    public long SnapshotThresholdBytes { get; init; } = 128L << 20;

    /// <summary>Take a snapshot once this many log entries were written since the last one.</summary>
    public long SnapshotThresholdEntries { get; init; } = 100_000;

    /// <summary>
    /// Take a snapshot once this many commands were applied since the last one (etcd's snapshot-count default), or an
    /// eighth of the live keys if that is more: replay after a crash stays under about a snapshot load, and snapshot
    /// work (~0.3 s of a core per million keys) stays proportional to writes.
    /// </summary>
    public long SnapshotThresholdCommands { get; init; } = 100_000;

    /// <summary>Snapshots kept on disk.</summary>
    public int SnapshotsKept { get; init; } = 2;

    /// <summary>Automatic compaction keeps at most this many revisions of history.</summary>
    public long HistoryRetentionRevisions { get; init; } = 100_000;

    /// <summary>Automatic compaction drops history older than this, even within <see cref="HistoryRetentionRevisions"/>; 0 = off.</summary>
    public long HistoryRetentionMs { get; init; } = 10 * 60 * 1000;

    /// <summary>How often automatic compaction and lease expiry are checked.</summary>
    public int MaintenanceIntervalMs { get; init; } = 100;

    /// <summary>Most leases expired by one log entry.</summary>
    public int MaxLeasesExpiredPerEntry { get; init; } = 1_000;

    /// <summary>Durability of log appends. <c>false</c> only for benchmarks of the non-durable ceiling and tests.</summary>
    public bool SyncWrites { get; init; } = true;

    /// <summary>
    /// Operator override: start even when the log holds less than it is known to have held (lost or truncated
    /// segments, damage before the tail), keeping the valid prefix and logging it as critical. Off by default: the
    /// node refuses to start with <see cref="Statehouse.Storage.WalDataLossException"/>. In a cluster prefer wiping the
    /// folder and re-joining: a member with a shortened log can vote a committed entry away (docs/internals/storage.md).
    /// </summary>
    public bool AcceptWalLoss { get; init; }

    /// <summary>Raft membership; null runs a single-node cluster (no Raft traffic, same pipeline).</summary>
    public RaftOptions? Raft { get; init; }

    /// <summary>Clock for batch timestamps and lease deadlines.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
