using Statehouse.Raft.Tests.Harness;

namespace Statehouse.Raft.Tests.Regressions;

/// <summary>
/// Found by the simulator with the CommitPreviousTermByCount plant (seed 2, 3 nodes, 2 groups): a read held until the
/// leader's first commit in its term was re-queued for ever when a commit moved without reaching that term (the loop
/// that releases them ran over its own additions), so the core never returned.
/// </summary>
public sealed class HeldReadsTests
{
    [Fact]
    public async Task HeldRead_StaysHeld_WhenACommitOfAnEarlierTermComes()
    {
        var cluster = new MemoryCluster(3, configure: o => o with { MaxAppendBytes = 1, PreVote = false, CheckQuorum = false }, planted: PlantedBug.CommitPreviousTermByCount);
        cluster.Elect(1);
        cluster.Isolate(1);
        cluster[1].Propose(new byte[] { 1 });
        cluster.Stabilize();
        cluster.Restart(1);
        cluster.Heal();

        // n1 campaigns again and wins with its longer log; a read arrives before its term's entry commits.
        var run = Task.Run(() =>
        {
            cluster[1].Campaign();
            var read = false;
            cluster.ProcessReady();
            for (var delivered = 0; cluster.InFlight.Count > 0 && delivered < 10_000; delivered++)
            {
                var message = cluster.InFlight[0];
                cluster.InFlight.RemoveAt(0);
                cluster[message.To.Value].Step(message);
                if (!read && cluster[1].Role == RaftRole.Leader)
                {
                    cluster[1].ReadIndex(7);
                    read = true;
                }

                cluster.ProcessReady();
            }
        });

        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(finished == run, "the core did not return");
        await run;
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Contains(cluster.Reads[new NodeId(1)], r => r.RequestId == 7);
    }
}
