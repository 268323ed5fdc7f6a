namespace Statehouse.Raft;

/// <summary>
/// Known bugs the simulator must catch (issue 12 item 5). Test-only: reachable through internals alone, so no
/// production host can set one. Each flag names the rule it breaks.
/// </summary>
[Flags]
internal enum PlantedBug
{
    None = 0,

    /// <summary>A follower acknowledges an append before its entries are durable (breaks §3.8's persistence rule).</summary>
    AckBeforePersist = 1 << 0,

    /// <summary>The vote is not part of the persisted hard state, so a restarted node may vote twice in a term (§3.4).</summary>
    VoteNotPersisted = 1 << 1,

    /// <summary>A leader commits an earlier term's entry by counting replicas (the Figure 3.7 bug, §3.6.2).</summary>
    CommitPreviousTermByCount = 1 << 2,

    /// <summary>A follower accepts an append whose previous entry's term does not match (breaks log matching, §3.5).</summary>
    AcceptMismatchedPrevTerm = 1 << 3,

    /// <summary>Lease reads trust the whole election timeout, with no clock-drift bound (§6.4.1).</summary>
    LeaseWithoutDriftBound = 1 << 4,

    /// <summary>A duplicate snapshot chunk is appended again instead of acknowledged (§5.1, idempotent transfer).</summary>
    SnapshotChunkAppliedTwice = 1 << 5,
}
