using System.Globalization;

namespace Statehouse.Simulator.Faults;

/// <summary>
/// One entry of a run's explicit fault schedule. Everything the fault decides at run time (which side of a split a
/// node lands on, which voter a transfer targets, where a torn write is cut) comes from its own <see cref="Salt"/>, so
/// removing another fault never changes what this one does.
/// </summary>
/// <param name="Index">Position in the generated schedule (stable across shrinking; the replay names faults by it).</param>
/// <param name="AtUs">When it starts, in simulated µs.</param>
/// <param name="Kind">What it does.</param>
/// <param name="Node">The node it hits, or -1 when chosen at run time.</param>
/// <param name="Group">The group it concerns (leader-based faults, transfers, membership), or -1.</param>
/// <param name="DurationUs">How long it lasts (down time of a crash, length of a partition); 0 for instant faults.</param>
/// <param name="Salt">The fault's own randomness.</param>
internal sealed record Fault(int Index, long AtUs, FaultKind Kind, int Node, int Group, long DurationUs, ulong Salt)
{
    /// <summary>When it ends.</summary>
    public long EndUs => AtUs + DurationUs;

    /// <summary>The salt of an armed fault's <paramref name="shot"/>-th firing (shot 0 is the fault's own salt).</summary>
    public static ulong ShotSalt(ulong salt, int shot) => shot == 0 ? salt : Core.Seeds.Mix(salt + (ulong)shot);

    /// <summary>
    /// How long after a new leader takes office an armed fault hits it: half the time at once (its first entry reaches
    /// nobody), else 0.3–5.3 ms later (while it brings followers up to date).
    /// </summary>
    public static long NewLeaderDelayUs(ulong salt) => ((salt >> 8) % 2) == 0 ? 0 : 300 + (long)((salt >> 16) % 5_000);

    /// <summary>
    /// Whether a shot of an armed isolation waits for the new leader's first commit in office instead of a delay (half
    /// of them): a commit must survive its leader being cut off before anyone else heard of it.
    /// </summary>
    public static bool AtFirstCommit(ulong salt) => ((salt >> 40) % 2) == 0;

    /// <summary>How long after the hand-over an <see cref="FaultKind.IsolateSlowLeader"/> fault isolates the leader.</summary>
    public static long SlowLeaderDelayUs(ulong salt) => 150_000 + (long)((salt >> 24) % 200_000);

    /// <summary>How long an armed fault keeps the new leader down or isolated.</summary>
    public static long DownOrIsolatedUs(ulong salt) => 5_000 + (long)((salt >> 32) % 600_000);

    /// <summary>One line for a report.</summary>
    public string Describe()
    {
        var at = (AtUs / 1e6).ToString("F6", CultureInfo.InvariantCulture);
        var duration = (DurationUs / 1e3).ToString("F1", CultureInfo.InvariantCulture);
        var node = Node >= 0 ? $"node {Node + 1}" : string.Empty;
        var group = Group >= 0 ? $"group g{Group + 1}" : string.Empty;
        var what = Kind switch
        {
            FaultKind.Crash => $"crash {node}, restart after {duration} ms",
            FaultKind.TornCrash => $"crash {node} keeping a torn prefix of its unsynced writes, restart after {duration} ms",
            FaultKind.CrashLeader => $"crash the leader of {group}{((Salt & 1) == 1 ? " (torn)" : string.Empty)}, restart after {duration} ms",
            FaultKind.DiskError => $"fsync error on {node} (fail-stop), restart after {duration} ms",
            FaultKind.SlowDisk => $"slow fsyncs on {node} for {duration} ms",
            FaultKind.Isolate => $"isolate {node} for {duration} ms",
            FaultKind.IsolateLeader => $"isolate the leader of {group} for {duration} ms",
            FaultKind.Split => $"split the nodes in two for {duration} ms",
            FaultKind.OneWayOut => $"cut the links out of {node} for {duration} ms",
            FaultKind.OneWayIn => $"cut the links into {node} for {duration} ms",
            FaultKind.LinkCut => $"cut a link of {node} for {duration} ms",
            FaultKind.DuplicateBurst => $"duplicate most messages for {duration} ms",
            FaultKind.DelaySpike => $"tenfold message delays for {duration} ms",
            FaultKind.TransferLeader => $"transfer the leadership of {group}",
            FaultKind.Membership => $"next membership step in {group}",
            FaultKind.CrashNewLeader => $"crash the next new leader of {group} {NewLeaderDelayUs(Salt)} µs after it takes office{((Salt & 1) == 1 ? " (torn)" : string.Empty)}, restart after {DownOrIsolatedUs(Salt) / 1e3:F1} ms (armed for {duration} ms)",
            FaultKind.IsolateSlowLeader => $"hand the leadership of {group} to the slowest clock, isolate the leader {SlowLeaderDelayUs(Salt) / 1e3:F1} ms later for {duration} ms",
            FaultKind.IsolateNewLeader => $"isolate every new leader of {group} soon after it takes office or at its first commit (first: {(AtFirstCommit(Salt) ? "at its first commit" : $"{NewLeaderDelayUs(Salt)} µs after")}, for {DownOrIsolatedUs(Salt) / 1e3:F1} ms) while armed, for {duration} ms",
            _ => Kind.ToString(),
        };
        return $"#{Index} at {at} s: {what}";
    }
}
