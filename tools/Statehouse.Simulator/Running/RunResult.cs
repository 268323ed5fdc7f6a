using Statehouse.Simulator.Checks;

namespace Statehouse.Simulator.Running;

/// <summary>What one run did and found.</summary>
/// <param name="Seed">Its seed.</param>
/// <param name="Violation">The first broken guarantee, or null when every check passed.</param>
/// <param name="TraceHash">SHA-256 of every event processed (equal hashes: the same run).</param>
/// <param name="Events">Events processed.</param>
/// <param name="SimulatedUs">Simulated time reached.</param>
/// <param name="WallSeconds">Wall-clock time it took.</param>
/// <param name="FaultsInjected">Faults of the schedule that took effect.</param>
/// <param name="Stats">Counters for the report (messages, elections, operations…).</param>
internal sealed record RunResult(long Seed, Violation? Violation, string TraceHash, long Events, long SimulatedUs, double WallSeconds, int FaultsInjected, IReadOnlyDictionary<string, long> Stats)
{
    public bool Passed => Violation is null;
}
