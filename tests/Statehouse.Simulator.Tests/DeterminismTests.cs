using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Tests;

/// <summary>One seed replays a run exactly (item 5): the trace hash over every processed event is the proof.</summary>
public sealed class DeterminismTests
{
    [Theory]
    [InlineData(3, 2, 7)]
    [InlineData(5, 3, 11)]
    [InlineData(3, 1, 1057)]
    public void SameSeed_GivesTheSameTraceHash(int nodes, int groups, long seed)
    {
        var settings = new SimulatorSettings(nodes, groups);

        var first = settings.Run(seed);
        var second = settings.Run(seed);

        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Events, second.Events);
        Assert.Equal(first.Violation, second.Violation);
        Assert.True(first.Events > 1_000, $"only {first.Events} events");
    }

    [Fact]
    public void DifferentSeeds_GiveDifferentTraceHashes()
    {
        var settings = new SimulatorSettings(3, 2);

        var hashes = Enumerable.Range(1, 8).Select(seed => settings.Run(seed).TraceHash).ToList();

        Assert.Equal(hashes.Count, hashes.Distinct().Count());
    }

    [Fact]
    public void PlantedRun_ReplaysItsFailure_WithTheSameTraceHash()
    {
        var settings = new SimulatorSettings(3, 2, Raft.PlantedBug.AcceptMismatchedPrevTerm, Faults.FaultMix.Partitions);

        var first = settings.Run(1);
        var second = settings.Run(1);

        Assert.NotNull(first.Violation);
        Assert.Equal(first.Violation, second.Violation);
        Assert.Equal(first.TraceHash, second.TraceHash);
    }

    [Fact]
    public void RemovingAFault_DoesNotMoveTheOthers()
    {
        var settings = new SimulatorSettings(3, 2);
        var (_, schedule) = settings.Prepare(42);
        Assert.True(schedule.Count > 3);

        // The schedule is data drawn from its own stream: the same seed draws the same faults, whatever the run does.
        var again = settings.Prepare(42).Schedule;
        Assert.Equal(schedule, again);

        var without = schedule.Where(f => f.Index != schedule[1].Index).ToHashSet();
        Assert.All(without, f => Assert.Contains(f, schedule));
    }
}
