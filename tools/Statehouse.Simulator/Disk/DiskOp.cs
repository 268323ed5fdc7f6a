using Statehouse.Raft;

namespace Statehouse.Simulator.Disk;

/// <summary>
/// One write to a member's model disk, in the order the host made them. The volatile image applies each at once; the
/// durable image applies them when an fsync covering them completes; a crash keeps the durable image (plus, when torn,
/// a prefix of the writes after it).
/// </summary>
internal abstract record DiskOp
{
    /// <summary>How many units a torn write can cut this write into (entries count one each; other writes are whole).</summary>
    public virtual int Units => 1;
}

/// <summary>Received snapshot bytes appended to the staging area (offset 0 starts a new one).</summary>
internal sealed record AppendChunkOp(SnapshotChunk Chunk) : DiskOp;

/// <summary>The staged snapshot becomes the latest snapshot; the log is reset to it.</summary>
/// <param name="Meta">The snapshot.</param>
/// <param name="Chain">The log's hash chain at the snapshot's index (from the run-wide log record).</param>
internal sealed record InstallSnapshotOp(SnapshotMeta Meta, ulong Chain) : DiskOp;

/// <summary>Entries stored, replacing any stored from the first one's index on.</summary>
internal sealed record AppendEntriesOp(StoredEntry[] Entries) : DiskOp
{
    /// <inheritdoc />
    public override int Units => Entries.Length;
}

/// <summary>The hard state replaced.</summary>
internal sealed record HardStateOp(HardState HardState) : DiskOp;

/// <summary>A snapshot the host took, and the entries it covers dropped.</summary>
internal sealed record CompactOp(SnapshotMeta Meta, byte[] Data) : DiskOp;
