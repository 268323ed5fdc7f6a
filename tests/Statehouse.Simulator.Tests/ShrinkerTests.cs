using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Tests;

/// <summary>Shrinking (item 5): the schedule it returns is no longer than the original and still breaks the same invariant.</summary>
public sealed class ShrinkerTests
{
    [Theory]
    [InlineData("AckBeforePersist", "Crashes")]
    [InlineData("AcceptMismatchedPrevTerm", "Partitions")]
    public void Shrink_ReturnsAShorterSchedule_ThatStillFails(string plant, string mixName)
    {
        var bug = PlantHunt.Parse(plant)!.Value;
        var mix = Enum.Parse<FaultMix>(mixName);
        var settings = new SimulatorSettings(3, 2, bug, mix);
        var hunt = PlantHunt.Hunt(settings, firstSeed: 1, budget: 50);
        Assert.NotNull(hunt.SeedsUntilCaught);
        var seed = hunt.FirstSeed + hunt.SeedsUntilCaught!.Value - 1;
        var (config, schedule) = settings.Prepare(seed);
        var original = SimulationRunner.Run(config, schedule);
        Assert.NotNull(original.Violation);

        var shrunk = ScheduleShrinker.Shrink(config, schedule, original.Violation!, TimeSpan.FromSeconds(30), maxRuns: 200);

        Assert.True(shrunk.Schedule.Count <= schedule.Count);
        Assert.True(shrunk.Schedule.Count < schedule.Count || schedule.Count == 0, "nothing was removed");
        var replay = SimulationRunner.Run(config, shrunk.Schedule);
        Assert.Equal(original.Violation!.Invariant, replay.Violation?.Invariant);
        Assert.Equal(shrunk.TraceHash, replay.TraceHash);

        // What the command line prints to replay it: the seed and the indexes of the faults kept.
        var kept = settings.Run(seed, shrunk.Schedule.Select(f => f.Index).ToHashSet());
        Assert.Equal(replay.TraceHash, kept.TraceHash);
    }
}
