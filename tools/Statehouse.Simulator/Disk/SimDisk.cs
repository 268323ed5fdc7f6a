using Statehouse.Simulator.Core;
using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Disk;

/// <summary>
/// One node's disk as a latency model: how long an fsync takes (normally microseconds, slow during a slow-disk fault
/// and now and then at random), and whether the next one fails (fail-stop).
/// </summary>
internal sealed class SimDisk(RunConfig config, Random random)
{
    private int _slowFaults;

    /// <summary>Set by a disk-error fault: the next fsync to complete on this node fails.</summary>
    public bool FailNextSync { get; set; }

    /// <summary>A slow-disk fault begins (they nest).</summary>
    public void BeginSlow() => _slowFaults++;

    /// <summary>A slow-disk fault ends.</summary>
    public void EndSlow()
    {
        SimulatorAssert.That(_slowFaults > 0, "a slow-disk fault ended that never began");
        _slowFaults--;
    }

    /// <summary>The latency of the next fsync.</summary>
    public long NextSyncLatencyUs()
    {
        // One fsync in fifty is slow even on a healthy disk (a journal commit, a busy device).
        var slow = _slowFaults > 0 || random.Next(50) == 0;
        return slow
            ? config.SlowSyncMinUs + random.NextInt64(config.SlowSyncMaxUs - config.SlowSyncMinUs + 1)
            : config.SyncMinUs + random.NextInt64(config.SyncMaxUs - config.SyncMinUs + 1);
    }
}
