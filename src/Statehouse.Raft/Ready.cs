namespace Statehouse.Raft;

/// <summary>The role of a member in its current term.</summary>
public enum RaftRole : byte
{
    /// <summary>Follows a leader (or waits for one).</summary>
    Follower,

    /// <summary>Asking for pre-votes; has not changed its term.</summary>
    PreCandidate,

    /// <summary>Asking for votes in a new term.</summary>
    Candidate,

    /// <summary>Leads the term.</summary>
    Leader,
}

/// <summary>A read confirmed by the leader: serve it once the state machine has applied <see cref="Index"/>.</summary>
/// <param name="RequestId">The id given to <see cref="RaftNode.ReadIndex"/>.</param>
/// <param name="Index">Apply at least up to here, then read.</param>
public readonly record struct ReadState(ulong RequestId, LogIndex Index);

/// <summary>A read the core could not confirm (lost leadership, no leader): the host answers it with an error.</summary>
/// <param name="RequestId">The id given to <see cref="RaftNode.ReadIndex"/>.</param>
/// <param name="Leader">The leader, if known.</param>
public readonly record struct FailedRead(ulong RequestId, NodeId Leader);

/// <summary>
/// Work for the host, in this order: (1) send <see cref="Messages"/>; (2) persist — append
/// <see cref="SnapshotChunks"/> to their staging areas, install <see cref="SnapshotToInstall"/> (state machine and
/// log reset to it), store <see cref="Entries"/> (replacing stored entries from the first one's index on) and
/// <see cref="HardState"/>, and make it durable when <see cref="MustSync"/>; (3) only then send
/// <see cref="MessagesAfterPersist"/>; (4) apply <see cref="CommittedEntries"/> in order and serve
/// <see cref="ReadStates"/> once applied; (5) call <see cref="RaftNode.Advance"/>. No other call on the core may
/// come between <see cref="RaftNode.GetReady"/> and <see cref="RaftNode.Advance"/>.
/// </summary>
public sealed class Ready
{
    internal Ready()
    {
    }

    /// <summary>The hard state to persist, when it changed.</summary>
    public HardState? HardState { get; internal init; }

    /// <summary>Entries to store.</summary>
    public IReadOnlyList<Entry> Entries { get; internal init; } = [];

    /// <summary>Received snapshot data to append to its staging area.</summary>
    public IReadOnlyList<SnapshotChunk> SnapshotChunks { get; internal init; } = [];

    /// <summary>A fully received snapshot to install (its data is the staging area the chunks built).</summary>
    public SnapshotMeta? SnapshotToInstall { get; internal init; }

    /// <summary>Entries to apply, in order (none while <see cref="SnapshotToInstall"/> is set).</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; internal init; } = [];

    /// <summary>Messages that may go out at once.</summary>
    public IReadOnlyList<Message> Messages { get; internal init; } = [];

    /// <summary>Messages that may only go out once this Ready's state is durable (votes, append acknowledgements).</summary>
    public IReadOnlyList<Message> MessagesAfterPersist { get; internal init; } = [];

    /// <summary>Confirmed reads.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; internal init; } = [];

    /// <summary>Reads that cannot be confirmed.</summary>
    public IReadOnlyList<FailedRead> FailedReads { get; internal init; } = [];

    /// <summary>The leader and role when either changed since the previous Ready.</summary>
    public (NodeId Leader, RaftRole Role)? RoleChange { get; internal init; }

    /// <summary>Whether the persisted state must be made durable (fsync) before step (3).</summary>
    public bool MustSync { get; internal init; }
}

/// <summary>Why a proposal was or was not accepted.</summary>
public enum ProposeStatus : byte
{
    /// <summary>Appended to the leader's log at <see cref="ProposeResult.Index"/>; committed later or never.</summary>
    Accepted,

    /// <summary>This member is not the leader; try <see cref="ProposeResult.Leader"/> if known.</summary>
    NotLeader,

    /// <summary>A leadership transfer is under way; retry at the new leader.</summary>
    TransferInProgress,

    /// <summary>Too many uncommitted bytes (<see cref="RaftOptions.MaxUncommittedBytes"/>); retry later.</summary>
    Busy,

    /// <summary>A membership change is not allowed now (<see cref="ProposeResult.Error"/> says why).</summary>
    ConfigChangeRefused,
}

/// <summary>The outcome of a proposal: where the entry went, or why it went nowhere.</summary>
public readonly record struct ProposeResult(ProposeStatus Status, LogIndex Index, Term Term, NodeId Leader, string? Error = null)
{
    /// <summary>Whether the entry was appended.</summary>
    public bool Accepted => Status == ProposeStatus.Accepted;
}
