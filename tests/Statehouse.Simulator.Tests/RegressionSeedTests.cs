using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Tests;

/// <summary>
/// The seeds that found core bugs, kept so a change of schedule or a regression shows at once. Each failed on the core
/// before its fix (checked by building that commit) and passes after it; the core fix also has a rule-level
/// regression test in tests/Statehouse.Raft.Tests/Regressions. A change to the simulator's schedule may move these
/// seeds off the interleaving that found the bug: they stay as ordinary seeds then, and the Raft regression test holds.
/// </summary>
public sealed class RegressionSeedTests
{
    [Theory]
    [InlineData(5L, 3, 2)]         // a lost append acknowledgement stalled a follower (LostAcknowledgementTests)
    [InlineData(3L, 3, 2)]         // a removed leader kept HasReady true for ever (RemovedLeaderTests)
    [InlineData(1057L, 3, 2)]      // an empty-configuration joiner got the membership wrong (JoinWithEmptyConfigurationTests)
    [InlineData(1001381L, 3, 2)]   // an install whose staged data its own chunks had dropped (SnapshotWhileInstallPendingTests)
    [InlineData(26022L, 3, 2)]     // the same, found again by the long run on a build older than 8b895df
    [InlineData(200961L, 5, 3)]    // the same with no fault at all: two snapshots' chunks interleaving at one follower
    [InlineData(11405L, 3, 2)]     // a joiner waited for ever for a snapshot (JoinWithEmptyConfigurationTests)
    [InlineData(204449L, 5, 3)]    // the same, 5 nodes
    [InlineData(57187L, 3, 2)]     // stale vote requests unanswered: two members with disagreeing configurations never elected (ElectionRuleTests)
    public void Seed_Passes(long seed, int nodes, int groups)
    {
        var batch = SeedBatch.Run(new SimulatorSettings(nodes, groups), seed, 1, jobs: 1, progress: null, TimeSpan.MaxValue);

        Assert.True(batch.FirstFailure is null,
            $"seed {seed} failed: {batch.FirstFailure?.Violation}; replay: scripts/simulate.sh --seeds 1 --first-seed {seed} --nodes {nodes} --groups {groups}");
        Assert.Equal(1, batch.SeedsRun);
    }
}
