using Statehouse.Raft.Tests.Harness;

namespace Statehouse.Raft.Tests.Regressions;

/// <summary>
/// Found by the simulator (seed 5, 3 nodes, 2 groups, no fault scheduled: the network's own 1.7 % message loss):
/// a follower's acknowledgement of an append it stored was lost, and the leader never learned the follower caught up.
/// </summary>
public sealed class LostAcknowledgementTests
{
    [Fact]
    public void LostAppendAcknowledgement_IsRecovered_WhenTheInflightWindowIsFull()
    {
        var cluster = new MemoryCluster(3, configure: o => o with { MaxInflightAppends = 1 });
        cluster.Elect(1);
        cluster[1].Propose(new byte[] { 1 });
        DeliverDropping(cluster, m => m is { Kind: MessageKind.AppendResponse, From.Value: 3, Reject: false });

        // The window to n3 is full with an append n3 stored; only its lost answer would have freed it.
        for (var i = 0; i < 5; i++)
        {
            cluster[1].Propose(new byte[] { (byte)(2 + i) });
        }

        cluster.TickAll(5);

        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(cluster[1].CommitIndex, cluster[3].CommitIndex);
    }

    [Fact]
    public void LostAppendAcknowledgement_IsRecovered_WhenTheLogIsIdle()
    {
        var cluster = new MemoryCluster(3);
        cluster.Elect(1);
        cluster[1].Propose(new byte[] { 1 });
        DeliverDropping(cluster, m => m is { Kind: MessageKind.AppendResponse, From.Value: 3, Reject: false });

        // Nothing more is proposed: heartbeats alone must let n3 learn that its last entry is committed.
        cluster.TickAll(5);

        Assert.Equal(cluster[1].CommitIndex, cluster[3].CommitIndex);
        Assert.Equal(cluster.Applied[new NodeId(1)].Count, cluster.Applied[new NodeId(3)].Count);
    }

    /// <summary>Delivers until quiet, dropping the first message that matches <paramref name="drop"/>.</summary>
    private static void DeliverDropping(MemoryCluster cluster, Func<Message, bool> drop)
    {
        var dropped = false;
        cluster.ProcessReady();
        for (var delivered = 0; cluster.InFlight.Count > 0 && delivered < 10_000; delivered++)
        {
            var message = cluster.InFlight[0];
            cluster.InFlight.RemoveAt(0);
            if (!dropped && drop(message))
            {
                dropped = true;
                continue;
            }

            cluster[message.To.Value].Step(message);
            cluster.ProcessReady();
        }

        Assert.True(dropped, "the message to drop was never sent");
    }
}
