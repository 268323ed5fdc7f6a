using Statehouse.Client;

namespace Statehouse.IntegrationTests.Cluster;

/// <summary>The .NET client against a real three-node cluster: failover across endpoints and session reads.</summary>
[Collection("cluster")]
public sealed class ClusterClientTests
{
    [Fact]
    public async Task Client_KeepsWriting_AcrossALeaderKill_AndSessionReadsSeeItsOwnWrites_OnAnyNode()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();

        var options = new StateClientOptions { RequestTimeout = TimeSpan.FromSeconds(3), MaxRetries = 8 };
        // The leader first: the client must move on when it dies.
        options.Endpoints.Add(cluster.Nodes[leader].GrpcUri);
        foreach (var i in Enumerable.Range(0, 3).Where(i => i != leader))
        {
            options.Endpoints.Add(cluster.Nodes[i].GrpcUri);
        }

        await using var client = new StateClient(options);
        for (var i = 0; i < 20; i++)
        {
            await client.PutAsync($"cart:{i}", $"v{i}");
        }

        cluster.Nodes[leader].Kill();
        for (var i = 20; i < 60; i++)
        {
            var put = await client.PutAsync($"cart:{i}", $"v{i}");
            Assert.True(put.Revision > 0);
        }

        // Read-your-writes on whichever node the client uses now, with the session token it carries.
        var read = await client.GetAsync("cart:59", new ReadOptions { Consistency = ReadConsistency.Session });
        Assert.True(read.Found);
        Assert.Equal("v59", read.Entry.ValueAsString());
        Assert.True(read.Revision >= 60, "served at or past the session token (60 writes)");
        Assert.NotEqual($"n{leader + 1}", read.ServedBy);

        // A separate client per follower: session reads with the first client's token see the write there too.
        foreach (var i in Enumerable.Range(0, 3).Where(i => i != leader))
        {
            var one = new StateClientOptions();
            one.Endpoints.Add(cluster.Nodes[i].GrpcUri);
            await using var other = new StateClient(one);
            other.ObserveRevision(client.SessionRevision);
            var seen = await other.GetAsync("cart:59", new ReadOptions { Consistency = ReadConsistency.Session });
            Assert.Equal("v59", seen.Entry!.ValueAsString());
            Assert.Equal($"n{i + 1}", seen.ServedBy);
            var linear = await other.GetAsync("cart:58");
            Assert.Equal("v58", linear.Entry!.ValueAsString());
        }
    }
}
