using Statehouse.Raft.Tests.Harness;

namespace Statehouse.Raft.Tests.Regressions;

/// <summary>
/// Found by the simulator (seed 1057, 3 nodes, 2 groups, faults #0 and #1: remove a voter, then add a learner on its
/// node): a member that joins with an empty configuration replays membership changes relative to a configuration it
/// never knew (the group's bootstrap one is not in the log), so it either stops on an invariant or believes in a
/// wrong set of voters. Two fixes meet here: such a member now asks for the leader's snapshot instead of taking the log
/// from index 1 (0324310), and configuration entries carry the membership they result in, which every member checks
/// (971ae15). The leader compacts first, so the joiner has a snapshot to start from.
/// </summary>
public sealed class JoinWithEmptyConfigurationTests
{
    [Fact]
    public void PromotedJoiner_KnowsEveryVoter()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        CompactLeader(cluster);
        cluster.Add(new NodeId(4), new MemoryRaftStorage(Configuration.Empty));
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.AddLearner, new NodeId(4), default)).Accepted);
        cluster.Stabilize();
        cluster.TickAll(2);
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.PromoteLearner, new NodeId(4), default)).Accepted);
        cluster.Stabilize();

        // With only itself as a voter it would elect itself alone: two leaders.
        Assert.Equal(cluster[1].Configuration, cluster[4].Configuration);
        Assert.Equal(4, cluster[4].Configuration.Voters.Count);
    }

    [Fact]
    public void Joiner_KnowsTheMembership_AfterAnEarlierRemoval()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.Remove, new NodeId(3), default)).Accepted);
        cluster.Stabilize();
        CompactLeader(cluster);
        cluster.Add(new NodeId(4), new MemoryRaftStorage(Configuration.Empty));
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.AddLearner, new NodeId(4), default)).Accepted);
        cluster.Stabilize();
        cluster.TickAll(2);

        Assert.Equal(cluster[1].LastIndex, cluster[4].LastIndex);
        Assert.Equal(new Configuration([new NodeId(1), new NodeId(2)], [new NodeId(4)]), cluster[4].Configuration);
    }

    /// <summary>
    /// Found by the long simulator run (seeds 11405 of 3 × 2 and 204449 of 5 × 3: liveness): with the refusal of
    /// 0324310 a joiner waited for a snapshot the leader never took when writes stopped, and stayed at index 0 for
    /// ever. Configuration entries carry their result (971ae15), so the joiner takes the log from index 1.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Joiner_CatchesUp_WhenTheLeaderHasNoSnapshot(bool removeFirst)
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        if (removeFirst)
        {
            Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.Remove, new NodeId(3), default)).Accepted);
            cluster.Stabilize();
        }

        cluster.Add(new NodeId(4), new MemoryRaftStorage(Configuration.Empty));
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.AddLearner, new NodeId(4), default)).Accepted);
        cluster.Stabilize();
        cluster.TickAll(2);
        cluster.Stabilize();

        Assert.Equal(cluster[1].LastIndex, cluster[4].LastIndex);
        Assert.Equal(cluster[1].Configuration, cluster[4].Configuration);
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.PromoteLearner, new NodeId(4), default)).Accepted);
        cluster.Stabilize();
        Assert.Equal(cluster[1].Configuration, cluster[4].Configuration);
        Assert.Equal(removeFirst ? 3 : 4, cluster[4].Configuration.Voters.Count);
    }

    /// <summary>The leader snapshots at its applied index (the membership there is in the snapshot) and drops the log under it.</summary>
    private static void CompactLeader(MemoryCluster cluster)
    {
        var leader = cluster[1];
        Assert.True(cluster.StorageOf(1).TryGetTerm(leader.AppliedIndex, out var term));
        cluster.StorageOf(1).Compact(new SnapshotMeta(leader.AppliedIndex, term, leader.ConfigurationAt(leader.AppliedIndex), 1, 0), [42]);
    }
}
