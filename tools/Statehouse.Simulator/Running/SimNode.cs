using Statehouse.Simulator.Disk;
using Statehouse.Simulator.Hosts;

namespace Statehouse.Simulator.Running;

/// <summary>One simulated machine: its clock (rate and tick interval), its disk, and the members of groups it hosts.</summary>
internal sealed class SimNode(int index, double clockRate, long tickIntervalUs, SimDisk disk)
{
    /// <summary>0-based; reports say "node {Index + 1}".</summary>
    public int Index { get; } = index;

    /// <summary>How fast its clock runs against real time (1 = nominal).</summary>
    public double ClockRate { get; } = clockRate;

    /// <summary>Real µs between two ticks of its clock.</summary>
    public long TickIntervalUs { get; } = tickIntervalUs;

    public SimDisk Disk { get; } = disk;

    public bool Up { get; set; } = true;

    /// <summary>Bumped at every crash, so events of an earlier life (ticks, restarts) are recognised as stale.</summary>
    public long Incarnation { get; set; }

    /// <summary>The fault that crashed it (−1 when up or crashed at random).</summary>
    public int CrashedBy { get; set; } = -1;

    /// <summary>Down time to use when an armed disk error fires.</summary>
    public long DiskErrorDownUs { get; set; }

    /// <summary>Its members, in a stable order (by group, then member id).</summary>
    public List<ISimMember> Hosts { get; } = [];

    /// <summary>The node's replica host when the run drives the real host (null with the model engine).</summary>
    public SimNodeHost? Engine { get; set; }
}
