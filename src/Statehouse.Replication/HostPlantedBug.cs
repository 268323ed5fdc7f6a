namespace Statehouse.Replication;

/// <summary>
/// Known host bugs the tests and the simulator must catch (issue 13 item 2). Test-only: reachable through internals
/// alone. Each flag names the rule of the Ready contract it breaks.
/// </summary>
[Flags]
internal enum HostPlantedBug
{
    None = 0,

    /// <summary>Votes and acknowledgements (<c>MessagesAfterPersist</c>) go out with the round, before the batch is durable.</summary>
    SendBeforeDurable = 1 << 0,

    /// <summary>A leader applies its new entries when it hands them to the batch, before they are committed.</summary>
    ApplyBeforeCommit = 1 << 1,

    /// <summary>
    /// A snapshot's state is read when the store writes it, not frozen when the host asks: the data is newer than the
    /// index it is labelled with, so a node restored from it (or a follower installing it) applies the entries in
    /// between a second time — a snapshot laid over newer state.
    /// </summary>
    CaptureNotFrozen = 1 << 3,

    /// <summary>The store reports a batch durable before its fsync (<see cref="MemoryReplicaStore.PlantReportBeforeDurable"/>;
    /// the host itself ignores this flag: the runtime that drives the store plants it).</summary>
    ReportBeforeDurable = 1 << 2,
}
