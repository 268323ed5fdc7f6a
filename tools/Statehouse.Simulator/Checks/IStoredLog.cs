using Statehouse.Raft;

namespace Statehouse.Simulator.Checks;

/// <summary>What a member stored, as the leader-completeness check reads it (a model disk image, or a host's stored group).</summary>
internal interface IStoredLog
{
    /// <summary>The index its snapshot (compaction point) covers.</summary>
    LogIndex SnapshotIndex { get; }

    LogIndex FirstIndex { get; }

    LogIndex LastIndex { get; }

    bool TryGetTerm(LogIndex index, out Term term);
}
