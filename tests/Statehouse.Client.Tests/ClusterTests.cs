using Grpc.Core;
using Statehouse.Client.Tests.Fakes;
using Wire = Statehouse.V1;

namespace Statehouse.Client.Tests;

public sealed class ClusterTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetClusterAsync_MapsEveryField()
    {
        _server.Cluster.Membership = ThreeNodes();
        await using var client = _server.CreateClient();

        var cluster = await client.GetClusterAsync();

        Assert.True(cluster.Clustered);
        Assert.Equal("n2", cluster.Self);
        Assert.Equal("n1", cluster.LeaderId);
        Assert.Equal(3UL, cluster.Term);
        Assert.Equal(118, cluster.Revision);
        Assert.Equal(["n1", "n2", "n3"], cluster.Members.Select(m => m.Id));
        var n1 = cluster.Members[0];
        Assert.Equal(
            new ClusterMemberInfo
            {
                Id = "n1",
                RaftAddress = "127.0.0.1:7072",
                HttpAddress = "127.0.0.1:7070",
                GrpcAddress = "127.0.0.1:7071",
                Role = "leader",
                Available = true,
                AppliedIndex = 120,
                CommitIndex = 120,
                Lag = 0,
                Revision = 118,
                Term = 3,
            },
            n1);
        Assert.True(n1.IsLeader);
        Assert.Same(n1, cluster.Leader);
        Assert.False(cluster.Members[2].Available);
        Assert.Equal(-1, cluster.Members[2].Lag);
        Assert.Equal("unknown", cluster.Members[2].Role);
        Assert.Equal(118, client.SessionRevision);
    }

    [Fact]
    public async Task GetClusterAsync_ReportsNoLeader_WhenTheServerKnowsNone()
    {
        var membership = ThreeNodes();
        membership.LeaderId = string.Empty;
        membership.Header.NodeId = string.Empty;
        _server.Cluster.Membership = membership;
        await using var client = _server.CreateClient();

        var cluster = await client.GetClusterAsync();

        Assert.Null(cluster.LeaderId);
        Assert.Null(cluster.Leader);
        Assert.Null(cluster.Self);
    }

    [Fact]
    public async Task GetClusterAsync_OfASingleNode_IsNotClustered()
    {
        _server.Cluster.Membership = new Wire.ClusterMembersResponse
        {
            Header = new Wire.ResponseHeader { NodeId = "n1", Revision = 4 },
            LeaderId = "n1",
            Members = { new Wire.ClusterMember { Id = "n1", Role = "leader", Available = true } },
        };
        await using var client = _server.CreateClient();

        var cluster = await client.GetClusterAsync();

        Assert.False(cluster.Clustered);
        Assert.Equal("n1", Assert.Single(cluster.Members).Id);
    }

    [Fact]
    public async Task AddMemberAsync_SendsTheRaftAddress_AndReturnsTheNewMembership()
    {
        _server.Cluster.Membership = ThreeNodes();
        await using var client = _server.CreateClient();

        var cluster = await client.AddMemberAsync(" 127.0.0.1:7102 ");

        Assert.Equal(("AddMember", "127.0.0.1:7102"), Assert.Single(_server.Cluster.Calls));
        Assert.Equal(3, cluster.Members.Count);
    }

    [Fact]
    public async Task RemoveMemberAsync_SendsTheMember()
    {
        await using var client = _server.CreateClient();

        await client.RemoveMemberAsync("n3");

        Assert.Equal(("RemoveMember", "n3"), Assert.Single(_server.Cluster.Calls));
    }

    [Fact]
    public async Task MembershipCalls_RejectAnEmptyArgument_BeforeCalling()
    {
        await using var client = _server.CreateClient();

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.AddMemberAsync(" "));
        await Assert.ThrowsAsync<ArgumentException>(async () => await client.RemoveMemberAsync(""));

        Assert.Empty(_server.Cluster.Calls);
    }

    [Fact]
    public async Task AddMemberAsync_FollowsTheLeaderHint()
    {
        await using var leader = await FakeServer.StartAsync();
        var hint = $"{leader.Address.Host}:{leader.Address.Port}";
        _server.Cluster.FailNext(1, () => Faults.Error(StatehouseErrorCode.NotLeader, leader: hint));
        await using var client = _server.CreateClient();

        await client.AddMemberAsync("127.0.0.1:7102");

        Assert.Single(_server.Cluster.Calls);
        Assert.Equal(("AddMember", "127.0.0.1:7102"), Assert.Single(leader.Cluster.Calls));
    }

    [Fact]
    public async Task RemoveMemberAsync_ReportsNotFound_WithoutRetrying()
    {
        _server.Cluster.FailNext(1, () => Faults.Error(StatehouseErrorCode.NotFound, "no member n9"));
        await using var client = _server.CreateClient();

        var error = await Assert.ThrowsAsync<StatehouseException>(async () => await client.RemoveMemberAsync("n9"));

        Assert.Equal(StatehouseErrorCode.NotFound, error.Code);
        Assert.Single(_server.Cluster.Calls);
    }

    [Fact]
    public async Task MembershipChanges_UseTheMembershipTimeout_NotTheRequestTimeout()
    {
        await using var client = _server.CreateClient(o =>
        {
            o.RequestTimeout = TimeSpan.FromMilliseconds(150);
            o.MembershipTimeout = TimeSpan.FromSeconds(10);
            o.MaxRetries = 0;
        });
        _server.Cluster.Delay = TimeSpan.FromMilliseconds(600);

        // A change that takes longer than a request timeout (a new member catching up) still completes...
        await client.AddMemberAsync("127.0.0.1:7102");

        // ...while a plain read of the membership is bounded by the request timeout.
        var error = await Assert.ThrowsAsync<StatehouseException>(async () => await client.GetClusterAsync());
        Assert.Equal(StatehouseErrorCode.Timeout, error.Code);
    }

    [Fact]
    public void Options_RejectANonPositiveMembershipTimeout()
    {
        var options = FakeServer.ClientOptions(_server.Address);
        options.MembershipTimeout = TimeSpan.Zero;

        Assert.Throws<ArgumentOutOfRangeException>(() => new StateClient(options));
    }

    private static Wire.ClusterMembersResponse ThreeNodes() => new()
    {
        Header = new Wire.ResponseHeader { Revision = 118, NodeId = "n2", RaftTerm = 3, LeaderId = "n1" },
        Clustered = true,
        LeaderId = "n1",
        Term = 3,
        Members =
        {
            new Wire.ClusterMember
            {
                Id = "n1", RaftAddress = "127.0.0.1:7072", HttpAddress = "127.0.0.1:7070", GrpcAddress = "127.0.0.1:7071",
                Role = "leader", Available = true, AppliedIndex = 120, CommitIndex = 120, Lag = 0, Revision = 118, Term = 3,
            },
            new Wire.ClusterMember
            {
                Id = "n2", RaftAddress = "127.0.0.1:7082", HttpAddress = "127.0.0.1:7080", GrpcAddress = "127.0.0.1:7081",
                Role = "follower", Available = true, AppliedIndex = 118, CommitIndex = 120, Lag = 2, Revision = 117, Term = 3,
            },
            new Wire.ClusterMember
            {
                Id = "n3", RaftAddress = "127.0.0.1:7092", Role = string.Empty, Available = false, Lag = -1,
            },
        },
    };
}
