using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using V1 = Statehouse.V1;

namespace Statehouse.IntegrationTests.Cluster;

/// <summary>
/// The peer plane (issue 11, items 1 and 4): node-to-node calls only on the peer listener, nothing there taken on trust,
/// and a removed member that finds itself out of the configuration serves nothing.
/// </summary>
[Collection("cluster")]
public sealed class PeerPlaneTests
{
    private static GrpcChannel Channel(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}");

    private static async Task<StatusCode> CodeOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private static async Task<JsonElement> SelfEntryAsync(ClusterProcesses cluster, int node)
    {
        var json = await cluster.Http.GetFromJsonAsync<JsonElement>(cluster.Url(node, "/v1/cluster"));
        var self = json.GetProperty("self").GetString();
        return json.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == self);
    }

    [Fact]
    public async Task PeerCalls_AreUnimplementedOnClientPorts_AndClientCallsOnThePeerPort_WhileTheClusterKeepsServing()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;

        // What took a cluster down before: Removed with an empty incarnation to two nodes, on their client gRPC ports.
        foreach (var node in new[] { leader, follower })
        {
            using var channel = Channel(cluster.Nodes[node].GrpcPort);
            var peer = new V1.Peer.PeerClient(channel);
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await peer.RemovedAsync(new V1.RemovedRequest { RemovedBy = "attacker" })));
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await peer.NodeStatusAsync(new V1.NodeStatusRequest())));
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await peer.ReadIndexAsync(new V1.ReadIndexRequest())));
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await peer.LeaseAsync(new V1.PeerLeaseRequest { Id = 1 })));
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await peer.MembershipAsync(new V1.MembershipRequest())));
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await peer.ForwardAsync(new V1.ForwardRequest())));
        }

        // The peer port serves no client API, over gRPC or HTTP.
        using (var peerChannel = Channel(cluster.PeerPorts[leader]))
        {
            var kv = new V1.KV.KVClient(peerChannel);
            Assert.Equal(StatusCode.Unimplemented, await CodeOf(async () => await kv.GetAsync(new V1.GetRequest { Key = ByteString.CopyFromUtf8("k") })));
        }

        // An HTTP/1.1 request for the peer path on the HTTP port: not found.
        using (var http = await cluster.Http.PostAsync(cluster.Url(leader, "/statehouse.v1.Peer/Removed"), new ByteArrayContent([])))
        {
            Assert.Equal(HttpStatusCode.NotFound, http.StatusCode);
        }

        using (var put = await cluster.Http.PutAsync(cluster.Url(follower, "/v1/kv/default/still"), new StringContent("up")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var members = await cluster.Http.GetFromJsonAsync<JsonElement>(cluster.Url(leader, "/v1/cluster"));
        Assert.All(members.GetProperty("members").EnumerateArray(), m =>
        {
            Assert.True(m.GetProperty("available").GetBoolean());
            Assert.Equal("serving", m.GetProperty("state").GetString());
        });
    }

    [Fact]
    public async Task OnThePeerPort_RemovalNoticesAreVerified_AndForwardCarriesOnlyClientCommands()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        long lease;
        using (var put = await cluster.Http.PutAsync(cluster.Url(leader, "/v1/kv/default/victim?ttl=600"), new StringContent("keep me")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            lease = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("lease").GetInt64();
        }

        using var followerPeer = Channel(cluster.PeerPorts[follower]);
        var toFollower = new V1.Peer.PeerClient(followerPeer);

        // An empty incarnation is refused; a made-up one is stale; the right one (it is no secret: /v1/cluster shows it)
        // is still only a hint, and the leader lists the node, so it keeps serving.
        Assert.Equal(StatusCode.InvalidArgument, await CodeOf(async () => await toFollower.RemovedAsync(new V1.RemovedRequest { RemovedBy = $"n{leader + 1}" })));
        var stale = await toFollower.RemovedAsync(new V1.RemovedRequest { RemovedBy = $"n{leader + 1}", Incarnation = "0123456789abcdef" });
        Assert.False(stale.Accepted);
        var incarnation = (await SelfEntryAsync(cluster, follower)).GetProperty("incarnation").GetString()!;
        var forged = await toFollower.RemovedAsync(new V1.RemovedRequest { RemovedBy = $"n{leader + 1}", Incarnation = incarnation });
        Assert.False(forged.Accepted);
        Assert.Contains("lists this node", forged.Reason, StringComparison.Ordinal);
        using (var health = await cluster.Http.GetAsync(cluster.Url(follower, "/healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        // Forward: leader-only commands are refused; a client command goes through.
        using var leaderPeer = Channel(cluster.PeerPorts[leader]);
        var toLeader = new V1.Peer.PeerClient(leaderPeer);
        Assert.NotEqual(0, lease);
        foreach (var command in new Command[] { new LeaseExpireCommand([lease]), new CompactCommand(-1), new CompactCommand(0) })
        {
            var encoded = ByteString.CopyFrom(CommandCodec.Encode(new CommandBatch(0, [command])));
            Assert.Equal(StatusCode.InvalidArgument, await CodeOf(async () => await toLeader.ForwardAsync(new V1.ForwardRequest { Command = encoded })));
        }

        Assert.Equal(StatusCode.InvalidArgument, await CodeOf(async () => await toLeader.ForwardAsync(new V1.ForwardRequest { Command = ByteString.CopyFrom(1, 2, 3, 4, 5) })));
        var ok = await toLeader.ForwardAsync(new V1.ForwardRequest
        {
            Command = ByteString.CopyFrom(CommandCodec.Encode(new CommandBatch(0, [new PutCommand("default", "fwd"u8.ToArray(), "1"u8.ToArray())]))),
        });
        Assert.Equal(0, ok.ErrorCode);

        using (var read = await cluster.Http.GetAsync(cluster.Url(leader, "/v1/kv/default/victim")))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("keep me", await read.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task RemovedWhileDown_TheMemberRestarts_FindsItselfOutOfTheConfiguration_AndServesNothing()
    {
        await using var cluster = new ClusterProcesses(3, false, "--membership-check-interval-ms", "500");
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var victim = (leader + 1) % 3;
        using (var put = await cluster.Http.PutAsync(cluster.Url(leader, "/v1/kv/default/doomed"), new StringContent("old")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await cluster.WaitConvergedAsync();
        await cluster.Nodes[victim].StopAsync();
        using (var remove = await cluster.Http.DeleteAsync(cluster.Url(leader, $"/v1/cluster/members/n{victim + 1}")))
        {
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        }

        using (var delete = await cluster.Http.DeleteAsync(cluster.Url(leader, "/v1/kv/default/doomed")))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        // Restarted with its old data (a new incarnation: no notice could reach it): it asks the leader and leaves,
        // possibly before its health ever passes, so the start waits only for an answer.
        await cluster.Nodes[victim].StartAsync(anyAnswer: true);
        await WaitUntilAsync(
            async () => (await SelfEntryAsync(cluster, victim)).GetProperty("state").GetString() == "removed",
            "the removed member finds itself removed");
        using (var health = await cluster.Http.GetAsync(cluster.Url(victim, "/healthz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }

        using (var stale = await cluster.Http.GetAsync(cluster.Url(victim, "/v1/kv/default/doomed?consistency=eventual")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stale.StatusCode);
        }

        using (var write = await cluster.Http.PutAsync(cluster.Url(victim, "/v1/kv/default/x"), new StringContent("y")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        }

        var self = await SelfEntryAsync(cluster, victim);
        Assert.False(self.GetProperty("available").GetBoolean());
        Assert.Equal("removed", self.GetProperty("state").GetString());
        Assert.DoesNotContain($"n{victim + 1}", (await cluster.MembersAsync(leader)).Select(m => m.Id));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or KeyNotFoundException or JsonException)
            {
                // Still starting: no answer yet, or an answer without this node's entry.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"Timed out waiting for: {what}");
    }
}
