namespace Statehouse.Raft;

/// <summary>
/// Describes a snapshot of a group's state machine as of <see cref="Index"/> (thesis §5.1). The data itself stays with
/// the host: the leader's core reads it in chunks through <see cref="IRaftLogStorage.TryReadSnapshotChunk"/>, a
/// follower's core hands received chunks to its host in <see cref="Ready.SnapshotChunks"/>.
/// </summary>
/// <param name="Index">The last entry the snapshot covers.</param>
/// <param name="Term">That entry's term.</param>
/// <param name="Configuration">The membership as of <paramref name="Index"/>.</param>
/// <param name="SizeBytes">The length of the snapshot's data.</param>
/// <param name="Checksum">The host's checksum of the data, checked by the receiving host before it installs.</param>
public sealed record SnapshotMeta(LogIndex Index, Term Term, Configuration Configuration, long SizeBytes, ulong Checksum)
{
    /// <summary>Whether two descriptions name the same snapshot (a chunk of one is never mixed with another's).</summary>
    public bool SameSnapshot(SnapshotMeta? other) =>
        other is not null && other.Index == Index && other.Term == Term && other.SizeBytes == SizeBytes && other.Checksum == Checksum;

    /// <inheritdoc />
    public override string ToString() => $"snapshot {Index}/{Term} {SizeBytes}B";
}

/// <summary>A received piece of a snapshot for the host to append, in order, to that snapshot's staging area.</summary>
/// <param name="Snapshot">Which snapshot; a chunk at offset 0 starts a new staging area (any older one is dropped).</param>
/// <param name="Offset">Where the data goes; always the staging area's current length.</param>
/// <param name="Data">The bytes.</param>
public readonly record struct SnapshotChunk(SnapshotMeta Snapshot, long Offset, ReadOnlyMemory<byte> Data);
