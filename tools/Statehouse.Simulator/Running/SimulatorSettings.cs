using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Simulator.Faults;

namespace Statehouse.Simulator.Running;

/// <summary>What the command line fixes for every seed of a batch (the seed draws the rest).</summary>
/// <param name="Nodes">Nodes per run.</param>
/// <param name="Groups">Groups per run.</param>
/// <param name="Plant">The planted bug, or none.</param>
/// <param name="Mix">A fault mix for every seed, or null to let each seed pick.</param>
/// <param name="FaultPhaseUs">Length of the faulty phase, or null for the default.</param>
/// <param name="Engine">What runs the members (the model host per member, or the replica host per node).</param>
/// <param name="HostPlant">The planted host bug (host engine), or none.</param>
internal sealed record SimulatorSettings(
    int Nodes, int Groups, PlantedBug Plant = PlantedBug.None, FaultMix? Mix = null, long? FaultPhaseUs = null, SimEngine Engine = SimEngine.Model, HostPlantedBug HostPlant = HostPlantedBug.None)
{
    /// <summary>The configuration and full fault schedule of <paramref name="seed"/>.</summary>
    public (RunConfig Config, IReadOnlyList<Fault> Schedule) Prepare(long seed)
    {
        var config = RunConfig.Generate(seed, Nodes, Groups, Plant, Mix, Engine, HostPlant);
        if (FaultPhaseUs is { } phase)
        {
            config = config with { FaultPhaseUs = phase };
        }

        return (config, FaultSchedule.Generate(config));
    }

    /// <summary>Runs <paramref name="seed"/> with its whole schedule, or only the faults named in <paramref name="keep"/>.</summary>
    public RunResult Run(long seed, IReadOnlySet<int>? keep = null, TextWriter? log = null)
    {
        var (config, schedule) = Prepare(seed);
        return SimulationRunner.Run(config, keep is null ? schedule : schedule.Where(f => keep.Contains(f.Index)).ToList(), log);
    }
}

/// <summary>Runs one simulation.</summary>
internal static class SimulationRunner
{
    public static RunResult Run(RunConfig config, IReadOnlyList<Fault> schedule, TextWriter? log = null)
    {
        using var simulation = new Simulation(config, schedule, log);
        return simulation.Run();
    }
}
