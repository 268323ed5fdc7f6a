using System.Globalization;
using Statehouse.Simulator.Running;
using Xunit.Abstractions;

namespace Statehouse.Simulator.Tests;

/// <summary>
/// The CI profile: a few hundred consecutive seeds of 3 and 5 nodes with a few groups, each mix in turn (each seed
/// picks its own), every check on; about a minute on a 2-core machine. A failure names the seed and the replay command.
/// </summary>
public sealed class CiProfileTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3, 2, 1, 1000)]
    [InlineData(5, 3, 100_001, 400)]
    public void Seeds_AllPass(int nodes, int groups, long firstSeed, int seeds)
    {
        var settings = new SimulatorSettings(nodes, groups);

        var batch = SeedBatch.Run(settings, firstSeed, seeds, jobs: 1, progress: null, TimeSpan.MaxValue);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{batch.SeedsRun} seeds of {nodes} nodes x {groups} groups in {batch.WallSeconds:F1} s: {batch.SeedsPerSecond:F1} seeds/s, {batch.Speedup:F0} simulated s per wall s, {batch.FaultsInjected} faults"));
        Assert.True(batch.FirstFailure is null,
            $"seed {batch.FirstFailure?.Seed} failed: {batch.FirstFailure?.Violation}; replay: scripts/simulate.sh --seeds 1 --first-seed {batch.FirstFailure?.Seed} --nodes {nodes} --groups {groups}");
        Assert.Equal(seeds, batch.SeedsRun);
    }
}
