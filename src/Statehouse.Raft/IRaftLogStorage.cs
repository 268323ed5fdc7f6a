namespace Statehouse.Raft;

/// <summary>
/// The host's durable log as the core reads it. The core never writes: the host stores what
/// <see cref="Ready"/> hands it and, by the time it calls <see cref="RaftNode.Advance"/>, this view must show it.
/// </summary>
/// <remarks>
/// Index ranges: entries exist from <see cref="FirstIndex"/> to <see cref="LastIndex"/>; the entry before
/// <see cref="FirstIndex"/> is the latest snapshot's (or index 0, term 0) and its term must still be readable.
/// Calls come from the thread driving the core; they must not block for long (read from memory or page cache).
/// </remarks>
public interface IRaftLogStorage
{
    /// <summary>What was persisted before a restart: hard state and the latest snapshot (null if none).</summary>
    RaftInitialState InitialState();

    /// <summary>The first index still stored (the latest snapshot's index + 1).</summary>
    LogIndex FirstIndex { get; }

    /// <summary>The last stored index (the snapshot's index when the log is empty).</summary>
    LogIndex LastIndex { get; }

    /// <summary>The term of the entry at <paramref name="index"/>, for FirstIndex − 1 ≤ index ≤ LastIndex.</summary>
    /// <returns>False when the index is compacted away or beyond the log.</returns>
    bool TryGetTerm(LogIndex index, out Term term);

    /// <summary>
    /// Adds entries from <paramref name="from"/> up to (not including) <paramref name="toExclusive"/> to
    /// <paramref name="into"/>, stopping once <paramref name="maxBytes"/> is reached but always at least one.
    /// The range lies within [FirstIndex, LastIndex + 1).
    /// </summary>
    void GetEntries(LogIndex from, LogIndex toExclusive, long maxBytes, List<Entry> into);

    /// <summary>The latest snapshot the host can send (null if none).</summary>
    SnapshotMeta? Snapshot { get; }

    /// <summary>Reads up to <paramref name="maxBytes"/> of <paramref name="snapshot"/>'s data from <paramref name="offset"/>.</summary>
    /// <returns>False when that snapshot is no longer available (a newer one replaced it).</returns>
    bool TryReadSnapshotChunk(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk);
}

/// <summary>What a restarting core starts from.</summary>
/// <param name="HardState">The persisted term, vote and commit.</param>
/// <param name="Snapshot">The latest persisted snapshot, or null.</param>
/// <param name="Configuration">The membership when there is neither a snapshot nor a configuration entry (bootstrap).</param>
/// <param name="Applied">Where the host's state machine is (at least the snapshot's index).</param>
public sealed record RaftInitialState(HardState HardState, SnapshotMeta? Snapshot, Configuration Configuration, LogIndex Applied);
