namespace Statehouse.Simulator.Faults;

/// <summary>What a scheduled fault does. Faults that name no node pick one when they start (e.g. the current leader).</summary>
internal enum FaultKind : byte
{
    /// <summary>A node stops; everything its disks had not synced is lost; it restarts after the fault's duration.</summary>
    Crash = 1,

    /// <summary>As <see cref="Crash"/>, but a prefix of the unsynced writes survives, cut inside a write batch.</summary>
    TornCrash,

    /// <summary>The current leader of a group crashes (torn or not, by the fault's salt).</summary>
    CrashLeader,

    /// <summary>The node's next fsync fails: fail-stop, the node crashes with a torn tail and restarts later.</summary>
    DiskError,

    /// <summary>The node's fsyncs are slow (milliseconds instead of microseconds) for the duration.</summary>
    SlowDisk,

    /// <summary>Every link to and from one node is cut (clients still reach it).</summary>
    Isolate,

    /// <summary>Every link of a group's current leader's node is cut.</summary>
    IsolateLeader,

    /// <summary>The nodes are split in two sides that cannot talk to each other.</summary>
    Split,

    /// <summary>One node's outgoing links are cut: it hears the others, they do not hear it.</summary>
    OneWayOut,

    /// <summary>One node's incoming links are cut: the others hear it, it hears nobody.</summary>
    OneWayIn,

    /// <summary>The link between two nodes is cut both ways.</summary>
    LinkCut,

    /// <summary>Most messages are delivered twice for the duration.</summary>
    DuplicateBurst,

    /// <summary>Message delays go up tenfold for the duration (reordering, timeouts).</summary>
    DelaySpike,

    /// <summary>A group's leader is asked to hand over to another voter.</summary>
    TransferLeader,

    /// <summary>The operator takes the next membership step in a group (add a learner, promote it, remove a voter).</summary>
    Membership,

    /// <summary>
    /// Armed for the fault's duration: the next member of the group to take office crashes a few µs to ms later (by
    /// the salt) — before its first entry is durable, or while it is bringing followers up to date.
    /// </summary>
    CrashNewLeader,

    /// <summary>Armed likewise, but firing on every member that takes office while armed: each is isolated a moment later, for a while.</summary>
    IsolateNewLeader,

    /// <summary>
    /// The worst case for a lease: leadership is handed to the voter with the slowest clock, and 150–350 ms later (its
    /// lease in force) the leader is isolated from its peers for the fault's duration.
    /// </summary>
    IsolateSlowLeader,
}
