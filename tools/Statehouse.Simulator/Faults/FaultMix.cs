namespace Statehouse.Simulator.Faults;

/// <summary>
/// The flavour of a run: which faults dominate its schedule and how the cluster is tuned for them. Each seed picks one,
/// so a batch of seeds covers them all; each planted bug is caught by at least one (see docs/internals/simulator.md).
/// </summary>
internal enum FaultMix : byte
{
    /// <summary>Crashes (torn or not), fsync errors and slow disks: durability rules (what is acknowledged or voted).</summary>
    Crashes,

    /// <summary>Isolations, splits, one-way and single-link cuts: leader churn with divergent logs.</summary>
    Partitions,

    /// <summary>
    /// Lease reads on, clocks skewed up to the configured drift bound (one slow node), leadership handed to the slowest
    /// clock and the leader isolated from its peers; sparse, short faults so a lease is in force when it is cut off.
    /// </summary>
    Leases,

    /// <summary>Frequent snapshots, tiny chunks, duplicated and delayed messages, long-isolated followers.</summary>
    Snapshots,

    /// <summary>Leadership transfers, membership changes, crashes and partitions of leaders.</summary>
    Churn,

    /// <summary>A bit of everything.</summary>
    Everything,

    /// <summary>
    /// Leader churn with divergent logs: every new leader is cut off at once or within milliseconds (while it brings
    /// followers up to date), one entry per Append, so several terms' entries compete at the same indexes.
    /// </summary>
    Divergence,
}

/// <summary>The relative weight of each fault kind in each mix.</summary>
internal static class FaultMixWeights
{
    /// <summary>Weights of <paramref name="mix"/>, by kind (kinds absent have weight 0).</summary>
    public static IReadOnlyList<(FaultKind Kind, int Weight)> Of(FaultMix mix) => mix switch
    {
        FaultMix.Crashes =>
        [
            (FaultKind.Crash, 3), (FaultKind.TornCrash, 3), (FaultKind.CrashLeader, 3), (FaultKind.DiskError, 1), (FaultKind.SlowDisk, 3),
            (FaultKind.Isolate, 2), (FaultKind.IsolateLeader, 1), (FaultKind.LinkCut, 1), (FaultKind.DelaySpike, 1),
            (FaultKind.TransferLeader, 1), (FaultKind.Membership, 1), (FaultKind.CrashNewLeader, 3), (FaultKind.IsolateNewLeader, 1),
        ],
        FaultMix.Partitions =>
        [
            (FaultKind.Isolate, 3), (FaultKind.IsolateLeader, 3), (FaultKind.Split, 3), (FaultKind.OneWayOut, 2), (FaultKind.OneWayIn, 2),
            (FaultKind.LinkCut, 2), (FaultKind.DelaySpike, 1), (FaultKind.Crash, 1), (FaultKind.CrashLeader, 1),
            (FaultKind.TransferLeader, 1), (FaultKind.Membership, 1), (FaultKind.CrashNewLeader, 3), (FaultKind.IsolateNewLeader, 3),
        ],
        FaultMix.Leases =>
        [
            // Transfers go to the slowest clock here (see Simulation.TryTransfer): the worst leader for a lease.
            (FaultKind.IsolateSlowLeader, 6), (FaultKind.TransferLeader, 1), (FaultKind.IsolateLeader, 2), (FaultKind.Isolate, 1),
            (FaultKind.Crash, 1), (FaultKind.DelaySpike, 1), (FaultKind.SlowDisk, 1),
        ],
        FaultMix.Snapshots =>
        [
            (FaultKind.Isolate, 3), (FaultKind.Crash, 3), (FaultKind.TornCrash, 2), (FaultKind.DuplicateBurst, 4), (FaultKind.DelaySpike, 2),
            (FaultKind.Membership, 2), (FaultKind.LinkCut, 2), (FaultKind.IsolateLeader, 1), (FaultKind.OneWayIn, 1),
        ],
        FaultMix.Churn =>
        [
            (FaultKind.TransferLeader, 4), (FaultKind.Membership, 3), (FaultKind.CrashLeader, 3), (FaultKind.IsolateLeader, 3),
            (FaultKind.Crash, 2), (FaultKind.TornCrash, 2), (FaultKind.Split, 2), (FaultKind.SlowDisk, 2), (FaultKind.DiskError, 1),
            (FaultKind.CrashNewLeader, 3), (FaultKind.IsolateNewLeader, 3),
        ],
        FaultMix.Divergence =>
        [
            (FaultKind.IsolateNewLeader, 8), (FaultKind.CrashNewLeader, 1), (FaultKind.IsolateLeader, 1), (FaultKind.Crash, 1),
        ],
        _ =>
        [
            (FaultKind.Crash, 2), (FaultKind.TornCrash, 2), (FaultKind.CrashLeader, 2), (FaultKind.DiskError, 1), (FaultKind.SlowDisk, 2),
            (FaultKind.Isolate, 2), (FaultKind.IsolateLeader, 2), (FaultKind.Split, 2), (FaultKind.OneWayOut, 1), (FaultKind.OneWayIn, 1),
            (FaultKind.LinkCut, 1), (FaultKind.DuplicateBurst, 1), (FaultKind.DelaySpike, 1), (FaultKind.TransferLeader, 2),
            (FaultKind.Membership, 2), (FaultKind.CrashNewLeader, 2), (FaultKind.IsolateNewLeader, 2),
        ],
    };
}
