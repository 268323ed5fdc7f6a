using System.Text;
using Statehouse.Core;
using Statehouse.Core.Model;

namespace Statehouse.Cluster.Tests.Raft;

public sealed class RaftClusterTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task ThreeNodes_ElectALeader_ReplicateWrites_AndConverge()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var writes = Enumerable.Range(0, 300).Select(i => leader.ProposeAsync(new PutCommand("default", B($"k{i}"), B($"v{i}"))).AsTask());
        var results = await Task.WhenAll(writes);
        Assert.All(results, r => Assert.IsType<PutResult>(r));
        await cluster.WaitConvergedAsync();
        foreach (var node in cluster.Running)
        {
            Assert.Equal(300, node.View.TotalKeys);
        }
    }

    [Fact]
    public async Task Follower_RefusesProposals_WithNotLeader()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Running.First(n => n != leader);
        var ex = await Assert.ThrowsAsync<StatehouseException>(() => follower.ProposeAsync(new PutCommand("default", B("x"), B("y"))).AsTask());
        Assert.Equal(ErrorCode.NotLeader, ex.Code);
    }

    [Fact]
    public async Task LeaderStops_ANewLeaderTakesWrites_NoAcknowledgedWriteLost_AndItCatchesUpOnRestart()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 100; i++)
        {
            Assert.IsType<PutResult>(await leader.ProposeAsync(new PutCommand("default", B($"a{i}"), B("1"))));
        }

        var leaderIndex = Array.IndexOf(cluster.Nodes, leader);
        await cluster.StopAsync(leaderIndex);
        var next = await cluster.WaitForLeaderAsync();
        Assert.NotSame(leader, next);
        for (var i = 0; i < 100; i++)
        {
            Assert.IsType<PutResult>(await next.ProposeAsync(new PutCommand("default", B($"b{i}"), B("2"))));
        }

        await cluster.StartAsync(leaderIndex);
        await cluster.WaitConvergedAsync();
        Assert.All(cluster.Running, n => Assert.Equal(200, n.View.TotalKeys));
    }

    [Fact]
    public async Task LinearizableReadIndex_OnTheLeader_CoversAcknowledgedWrites()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        await leader.ProposeAsync(new PutCommand("default", B("k"), B("v")));
        var index = await leader.ReadIndexAsync();
        Assert.True(index >= leader.View.AppliedIndex - 1);
        var follower = cluster.Running.First(n => n != leader);
        await follower.WaitForAppliedIndexAsync(index, CancellationToken.None);
        Assert.True(follower.View.Keyspaces["default"].Keys.TryGetValue(B("k"), out _));
    }

    [Fact]
    public async Task LaggingFollower_IsBroughtBack_BySnapshotInstall()
    {
        await using var cluster = new InProcessCluster(3, o => o with { SnapshotThresholdEntries = 20, SnapshotThresholdCommands = 20, SegmentSizeBytes = 4096, Raft = o.Raft! with { TailCacheBytes = 1 } });
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = Array.FindIndex(cluster.Nodes, n => n != leader);
        await cluster.StopAsync(lagging);
        for (var round = 0; round < 5; round++)
        {
            var batch = Enumerable.Range(0, 50).Select(i => leader.ProposeAsync(new PutCommand("default", B($"r{round}-{i}"), B("v"))).AsTask());
            await Task.WhenAll(batch);
            await leader.SnapshotAsync(CancellationToken.None);
        }

        await cluster.StartAsync(lagging);
        await cluster.WaitConvergedAsync(TimeSpan.FromSeconds(30));
        Assert.True(cluster.Nodes[lagging]!.SnapshotInstalls >= 1, "the restarted follower caught up through a snapshot");
        Assert.Equal(250, cluster.Nodes[lagging]!.View.TotalKeys);
    }

    [Fact]
    public async Task Watchdog_RestartsAFollowerWhoseApplyStalls_AndItConverges()
    {
        await using var cluster = new InProcessCluster(3, o => o with { Raft = o.Raft! with { WatchdogStallMs = 500 } });
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Running.First(n => n != leader);
        var stall = follower.InjectApplyStallAsync(TimeSpan.FromSeconds(4));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var written = 0;
        while (follower.Recoveries == 0 && DateTime.UtcNow < deadline)
        {
            // Writes keep the commit index moving while the follower's apply stands still.
            await ProposeOnLeaderAsync(cluster, new PutCommand("default", B($"s{written++}"), B("v")));
            await Task.Delay(10);
        }

        await stall;
        Assert.True(follower.Recoveries >= 1, "the watchdog restarted the stalled Raft group");
        await ProposeOnLeaderAsync(cluster, new PutCommand("default", B("after"), B("v")));
        await cluster.WaitConvergedAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(written + 1, follower.View.TotalKeys);
    }

    /// <summary>Proposes on whoever leads now, again after a leader change (the command never entered the log then).</summary>
    private static async Task ProposeOnLeaderAsync(InProcessCluster cluster, Command command)
    {
        for (var attempt = 0; ; attempt++)
        {
            var leader = await cluster.WaitForLeaderAsync();
            try
            {
                await leader.ProposeAsync(command);
                return;
            }
            catch (StatehouseException ex) when (ex.Code is ErrorCode.NotLeader or ErrorCode.Unavailable && attempt < 10)
            {
            }
        }
    }
}
