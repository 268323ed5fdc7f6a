using Statehouse.Raft;
using Statehouse.Replication;

namespace Statehouse.Simulator.Running;

/// <summary>Seeds until a planted bug is caught, from one starting seed.</summary>
/// <param name="FirstSeed">The starting seed.</param>
/// <param name="SeedsUntilCaught">Seeds run up to and including the first failing one; null if none failed within the budget.</param>
/// <param name="Invariant">The invariant that caught it.</param>
internal sealed record HuntResult(long FirstSeed, int? SeedsUntilCaught, string? Invariant);

/// <summary>Measures how many seeds it takes to catch a planted bug (issue 12 item 6): from several starting seeds, run consecutive seeds until one fails.</summary>
internal static class PlantHunt
{
    /// <summary>The planted bugs, by name.</summary>
    public static IReadOnlyList<PlantedBug> All { get; } = Enum.GetValues<PlantedBug>().Where(b => b != PlantedBug.None).ToList();

    /// <summary>The planted host bugs (host engine), by name.</summary>
    public static IReadOnlyList<HostPlantedBug> HostAll { get; } = Enum.GetValues<HostPlantedBug>().Where(b => b != HostPlantedBug.None).ToList();

    /// <summary>Parses a planted core bug's name (case-insensitive); null when unknown.</summary>
    public static PlantedBug? Parse(string name) =>
        All.Cast<PlantedBug?>().FirstOrDefault(b => string.Equals(b.ToString(), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a planted host bug's name (case-insensitive); null when unknown.</summary>
    public static HostPlantedBug? ParseHost(string name) =>
        HostAll.Cast<HostPlantedBug?>().FirstOrDefault(b => string.Equals(b.ToString(), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Runs seeds from <paramref name="firstSeed"/> until one fails (a simulator assertion does not count as a catch).</summary>
    public static HuntResult Hunt(SimulatorSettings settings, long firstSeed, int budget)
    {
        ArgumentNullException.ThrowIfNull(settings);
        for (var i = 0; i < budget; i++)
        {
            var result = settings.Run(firstSeed + i);
            if (result.Violation is { } violation)
            {
                if (violation.Invariant == "simulator-assert")
                {
                    throw new InvalidOperationException($"seed {firstSeed + i}: {violation}");
                }

                return new HuntResult(firstSeed, i + 1, violation.Invariant);
            }
        }

        return new HuntResult(firstSeed, null, null);
    }
}
