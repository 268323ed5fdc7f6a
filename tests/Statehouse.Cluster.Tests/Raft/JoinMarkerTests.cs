using System.Net;
using System.Text;
using Statehouse.Core;
using Statehouse.Core.Model;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>
/// A node that joins marks its fresh folder (raft-joining), so that a restart after the leader's catch-up wrote log
/// entries or a snapshot there, but before the membership reached it, is not refused as a single node's folder (found
/// by the fault lab's disk nemesis: a re-seeded node killed during catch-up never started again).
/// </summary>
public sealed class JoinMarkerTests
{
    [Fact]
    public async Task Restart_IsAccepted_WhenAJoiningNodesFolderHasCatchUpDataButNoMembershipYet()
    {
        IPEndPoint? first = null;
        await using var cluster = new InProcessCluster(2, options =>
        {
            var raft = options.Raft!;
            first ??= raft.InitialMembers["n1"];
            return options with
            {
                Raft = raft with
                {
                    // n1 starts alone; n2 starts with no members, to be added (the --join path).
                    InitialMembers = options.NodeId == "n1" ? new Dictionary<string, IPEndPoint> { ["n1"] = first } : new Dictionary<string, IPEndPoint>(),
                },
            };
        });
        await cluster.StartAsync(0);
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 50; i++)
        {
            await leader.ProposeAsync(new PutCommand("default", Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}")));
        }

        await cluster.StartAsync(1);
        var joiningFolder = cluster.OptionsFor(1).DataDirectory;
        Assert.True(File.Exists(Path.Combine(joiningFolder, "raft-joining")));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            Assert.True(await leader.AddMemberAsync(cluster.OptionsFor(1).Raft!.Endpoint, timeout.Token));
        }

        await cluster.WaitConvergedAsync(TimeSpan.FromSeconds(30));
        await cluster.StopAsync(1);

        // The state of a node killed after the catch-up wrote data but before its membership was stored.
        File.Delete(Path.Combine(joiningFolder, "raft-members"));
        await cluster.StartAsync(1);
        await cluster.StopAsync(1);

        // Without the marker the same folder looks like a single node's and is refused.
        File.Delete(Path.Combine(joiningFolder, "raft-members"));
        File.Delete(Path.Combine(joiningFolder, "raft-joining"));
        var refused = await Assert.ThrowsAsync<StatehouseException>(() => cluster.StartAsync(1));
        Assert.Contains("written by a single node", refused.Message, StringComparison.Ordinal);
    }
}
