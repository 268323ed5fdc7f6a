using System.Globalization;
using Statehouse.Replication;
using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Running;
using Xunit.Abstractions;

namespace Statehouse.Simulator.Tests;

/// <summary>
/// The simulator drives the real replica host (issue 13 item 2): every node runs one <c>ReplicaHost</c> for all its
/// groups over one store; the same seeds, faults and checks as the model engine, plus the host's planted bugs.
/// </summary>
public sealed class HostEngineTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3, 2, 1, 600)]
    [InlineData(5, 3, 100_001, 250)]
    public void Seeds_AllPass(int nodes, int groups, long firstSeed, int seeds)
    {
        var settings = new SimulatorSettings(nodes, groups, Engine: SimEngine.Host);

        var batch = SeedBatch.Run(settings, firstSeed, seeds, jobs: 1, progress: null, TimeSpan.MaxValue);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"host engine: {batch.SeedsRun} seeds of {nodes} nodes x {groups} groups in {batch.WallSeconds:F1} s: {batch.SeedsPerSecond:F1} seeds/s, {batch.FaultsInjected} faults"));
        Assert.True(batch.FirstFailure is null,
            $"seed {batch.FirstFailure?.Seed} failed: {batch.FirstFailure?.Violation}; replay: scripts/simulate.sh --engine host --seeds 1 --first-seed {batch.FirstFailure?.Seed} --nodes {nodes} --groups {groups}");
        Assert.Equal(seeds, batch.SeedsRun);
    }

    [Theory]
    [InlineData(3, 2, 7)]
    [InlineData(5, 3, 11)]
    public void SameSeed_GivesTheSameTraceHash(int nodes, int groups, long seed)
    {
        var settings = new SimulatorSettings(nodes, groups, Engine: SimEngine.Host);

        var first = settings.Run(seed);
        var second = settings.Run(seed);

        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Violation, second.Violation);
        Assert.True(first.Events > 1_000, $"only {first.Events} events");
        Assert.True(first.Stats.GetValueOrDefault("host batches") > 100, "the host wrote batches");
    }

    [Fact]
    public void TheEnginesRunTheSameSchedule_ButNotTheSameTrace()
    {
        var model = new SimulatorSettings(3, 2);
        var host = new SimulatorSettings(3, 2, Engine: SimEngine.Host);

        Assert.Equal(model.Prepare(42).Schedule, host.Prepare(42).Schedule);
        Assert.NotEqual(model.Run(42).TraceHash, host.Run(42).TraceHash);
    }

    [Theory]
    [InlineData("SendBeforeDurable", "Crashes", 50)]
    [InlineData("ApplyBeforeCommit", "Partitions", 50)]
    [InlineData("ReportBeforeDurable", "Crashes", 50)]
    [InlineData("CaptureNotFrozen", "Snapshots", 50)]
    public void PlantedHostBug_IsCaught_WithinItsSeedBudget(string plant, string mixName, int budget)
    {
        var bug = PlantHunt.ParseHost(plant)!.Value;
        var mix = Enum.Parse<FaultMix>(mixName);
        var hunt = PlantHunt.Hunt(new SimulatorSettings(3, 2, Mix: mix, Engine: SimEngine.Host, HostPlant: bug), firstSeed: 1, budget);

        Assert.True(hunt.SeedsUntilCaught is not null, $"{bug} was not caught within {budget} seeds of the {mix} mix");
        Assert.NotEqual("simulator-assert", hunt.Invariant);
        output.WriteLine($"{bug}: caught after {hunt.SeedsUntilCaught} seeds by {hunt.Invariant}");
    }

    [Theory]
    [InlineData("AckBeforePersist", "Crashes", 50)]
    [InlineData("VoteNotPersisted", "Crashes", 150)]
    [InlineData("CommitPreviousTermByCount", "Divergence", 150)]
    [InlineData("AcceptMismatchedPrevTerm", "Partitions", 50)]
    [InlineData("LeaseWithoutDriftBound", "Leases", 100)]
    [InlineData("SnapshotChunkAppliedTwice", "Snapshots", 50)]
    public void PlantedCoreBug_IsCaughtThroughTheHost_WithinItsSeedBudget(string plant, string mixName, int budget)
    {
        var bug = PlantHunt.Parse(plant)!.Value;
        var mix = Enum.Parse<FaultMix>(mixName);
        var hunt = PlantHunt.Hunt(new SimulatorSettings(3, 2, bug, mix, Engine: SimEngine.Host), firstSeed: 1, budget);

        Assert.True(hunt.SeedsUntilCaught is not null, $"{bug} was not caught within {budget} seeds of the {mix} mix on the host engine");
        Assert.NotEqual("simulator-assert", hunt.Invariant);
        output.WriteLine($"{bug}: caught after {hunt.SeedsUntilCaught} seeds by {hunt.Invariant}");
    }

    [Theory]
    [InlineData(78L, 3, 2)]  // a group snapshotted after its queued inputs: a queued snapshot message had moved the core on
    [InlineData(100006L, 5, 3)]  // a joiner placed on a node that had no member yet (its host was never started)
    [InlineData(7741L, 3, 2)]  // a member created while the old member's Remove record was in flight started from the old log
    [InlineData(17387L, 3, 2)]  // a checker false alarm: a leader whose first sync was slow, checked against an entry a newer leader committed meanwhile
    public void RegressionSeed_Passes(long seed, int nodes, int groups)
    {
        var result = new SimulatorSettings(nodes, groups, Engine: SimEngine.Host).Run(seed);

        Assert.True(result.Passed, $"seed {seed} failed: {result.Violation}; replay: scripts/simulate.sh --engine host --seeds 1 --first-seed {seed} --nodes {nodes} --groups {groups}");
    }
}
