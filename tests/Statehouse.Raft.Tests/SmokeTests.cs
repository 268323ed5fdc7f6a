using System.Text;
using Statehouse.Raft.Tests.Harness;

namespace Statehouse.Raft.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Campaign_ElectsALeader_WhenAllVotersAreReachable()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);

        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(new NodeId(1), cluster[2].Leader);
        Assert.Equal(new NodeId(1), cluster[3].Leader);
        Assert.Equal(cluster[1].Term, cluster[2].Term);
    }

    [Fact]
    public void Propose_CommitsAndAppliesOnEveryMember()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        var result = cluster[1].Propose(Encoding.UTF8.GetBytes("x=1"));
        cluster.Stabilize();

        Assert.True(result.Accepted);
        foreach (var id in cluster.Ids)
        {
            Assert.Contains(cluster.Applied[id], e => e.Kind == EntryKind.Command && Encoding.UTF8.GetString(e.Data.Span) == "x=1");
        }
    }

    [Fact]
    public void SingleVoter_CommitsOnItsOwn()
    {
        var cluster = new MemoryCluster(1);
        cluster.Elect(1);
        cluster[1].Propose(new byte[] { 1 });
        cluster.Stabilize();

        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(2UL, cluster[1].CommitIndex.Value);
        Assert.Equal(2, cluster.Applied[new NodeId(1)].Count);
    }

    [Fact]
    public void Tick_ElectsALeader_WithPreVoteAndRandomTimeouts()
    {
        var cluster = new MemoryCluster(5, seed: 42);
        cluster.TickAll(40);

        var leader = cluster.LeaderOf();
        Assert.NotNull(leader);
        Assert.All(cluster.Ids, id => Assert.Equal(leader, cluster[id.Value].Leader));
    }

    [Fact]
    public void IsolatedLeader_StepsDown_AndTheRestElectANewOne()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        cluster.Isolate(1);
        cluster.TickAll(40);

        Assert.NotEqual(RaftRole.Leader, cluster[1].Role);
        var leader = cluster.LeaderOf();
        Assert.NotNull(leader);
        Assert.NotEqual(new NodeId(1), leader);

        cluster.Heal();
        cluster.TickAll(5);
        Assert.Equal(leader, cluster[1].Leader);
    }

    [Fact]
    public void ReadIndex_IsConfirmedByAQuorum_OnLeaderAndFollower()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        cluster[1].ReadIndex(7);
        cluster[2].ReadIndex(8);
        cluster.Stabilize();

        Assert.Equal(new ReadState(7, cluster[1].CommitIndex), Assert.Single(cluster.Reads[new NodeId(1)]));
        Assert.Equal(8UL, Assert.Single(cluster.Reads[new NodeId(2)]).RequestId);
    }

    [Fact]
    public void RestartedFollower_CatchesUp_FromTheLeader()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 20; i++)
        {
            cluster[1].Propose(new byte[] { (byte)i });
        }

        cluster.Stabilize();
        cluster.Restart(3);
        cluster.Heal();
        cluster.TickAll(3);

        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(cluster.Applied[new NodeId(1)].Count, cluster.Applied[new NodeId(3)].Count);
    }

    [Fact]
    public void LaggingFollower_GetsASnapshot_InChunks_WhenTheLogWasCompacted()
    {
        var cluster = new MemoryCluster(3, configure: o => o with { SnapshotChunkBytes = 7, MaxInflightSnapshotChunks = 2 });
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 20; i++)
        {
            cluster[1].Propose(new byte[] { (byte)i });
        }

        cluster.Stabilize();
        var leader = cluster[1];
        var data = Encoding.UTF8.GetBytes("state as of the applied index, long enough for several chunks");
        var meta = new SnapshotMeta(leader.AppliedIndex, leader.Term, leader.ConfigurationAt(leader.AppliedIndex), data.Length, 99);
        cluster.StorageOf(1).Compact(meta, data);
        cluster.Heal();
        cluster.TickAll(3);

        Assert.Equal(leader.LastIndex, cluster[3].LastIndex);
        Assert.Equal(data, cluster.StorageOf(3).LatestSnapshot!.Value.Data);
    }

    [Fact]
    public void Learner_IsPromoted_AfterItCatchesUp()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);

        // A member that joins with no configuration starts from a snapshot, which records the membership.
        var leader = cluster[1];
        Assert.True(cluster.StorageOf(1).TryGetTerm(leader.AppliedIndex, out var appliedTerm));
        cluster.StorageOf(1).Compact(new SnapshotMeta(leader.AppliedIndex, appliedTerm, leader.ConfigurationAt(leader.AppliedIndex), 1, 0), [42]);
        var storage4 = new MemoryRaftStorage(Configuration.Empty);
        cluster.Add(new NodeId(4), storage4);
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.AddLearner, new NodeId(4), default)).Accepted);
        cluster.Stabilize();
        cluster.TickAll(2);
        Assert.True(cluster[4].Configuration.IsLearner(new NodeId(4)));
        Assert.Equal(3, cluster[4].Configuration.Voters.Count);

        var promote = cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.PromoteLearner, new NodeId(4), default));
        cluster.Stabilize();

        Assert.True(promote.Accepted, promote.Error);
        Assert.True(cluster[2].Configuration.IsVoter(new NodeId(4)));
        Assert.Equal(4, cluster[1].Configuration.Voters.Count);
        Assert.Equal(cluster[1].Configuration, cluster[4].Configuration);
    }

    [Fact]
    public void TransferLeadership_HandsOverToTheTarget()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        Assert.Null(cluster[1].TransferLeadership(new NodeId(3)));
        cluster.Stabilize();

        Assert.Equal(RaftRole.Leader, cluster[3].Role);
        Assert.Equal(new NodeId(3), cluster[1].Leader);
    }
}
