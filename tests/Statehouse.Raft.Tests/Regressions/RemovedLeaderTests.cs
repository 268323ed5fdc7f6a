using Statehouse.Raft.Tests.Harness;

namespace Statehouse.Raft.Tests.Regressions;

/// <summary>
/// Found by the simulator (seed 3, 3 nodes, 2 groups, one membership step: the leader removed itself): once the removal
/// committed the leader stepped down, yet kept reporting work, so a host calling GetReady while HasReady spun for ever.
/// </summary>
public sealed class RemovedLeaderTests
{
    [Fact]
    public void LeaderThatRemovedItself_HasNoReadyLeft_AfterItStepsDown()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfigChange(new ConfigChange(ConfigChangeKind.Remove, new NodeId(1), default)).Accepted);

        // Bounded, unlike MemoryCluster.Stabilize (which would loop for ever on this bug).
        for (var turn = 0; turn < 1_000 && (cluster.InFlight.Count > 0 || cluster.Ids.Any(id => cluster[id.Value].HasReady)); turn++)
        {
            foreach (var id in cluster.Ids)
            {
                var node = cluster[id.Value];
                if (node.HasReady)
                {
                    var ready = node.GetReady();
                    cluster.InFlight.AddRange(ready.Messages);
                    cluster.StorageOf(id.Value).Apply(ready);
                    cluster.InFlight.AddRange(ready.MessagesAfterPersist);
                    node.Advance(ready);
                }
            }

            if (cluster.InFlight.Count > 0)
            {
                var message = cluster.InFlight[0];
                cluster.InFlight.RemoveAt(0);
                cluster[message.To.Value].Step(message);
            }
        }

        Assert.Equal(RaftRole.Follower, cluster[1].Role);
        Assert.False(cluster[1].Configuration.IsVoter(new NodeId(1)));
        Assert.False(cluster[1].HasReady);
    }
}
