using System.Net;
using System.Net.Sockets;
using Statehouse.Client.Tests.Fakes;
using Wire = Statehouse.V1;

namespace Statehouse.Client.Tests;

/// <summary>Several endpoints: a failing node is left for the next one, and reads of every consistency follow.</summary>
public sealed class FailoverTests : IAsyncLifetime
{
    private FakeServer _n1 = null!;
    private FakeServer _n2 = null!;
    private FakeServer _n3 = null!;

    public async Task InitializeAsync()
    {
        _n1 = await FakeServer.StartAsync();
        _n2 = await FakeServer.StartAsync();
        _n3 = await FakeServer.StartAsync();
        _n1.Kv.NodeId = "n1";
        _n2.Kv.NodeId = "n2";
        _n3.Kv.NodeId = "n3";
    }

    public async Task DisposeAsync()
    {
        await _n1.DisposeAsync();
        await _n2.DisposeAsync();
        await _n3.DisposeAsync();
    }

    [Theory]
    [InlineData(ReadConsistency.Session)]
    [InlineData(ReadConsistency.Bounded)]
    [InlineData(ReadConsistency.Eventual)]
    [InlineData(ReadConsistency.Linearizable)]
    public async Task Read_IsServedByTheNextEndpoint_WhenTheCurrentOneIsUnavailable(ReadConsistency consistency)
    {
        await using var client = new StateClient(FakeServer.ClientOptions(_n1.Address, _n2.Address, _n3.Address));
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable));

        var result = await client.GetAsync("k", new ReadOptions { Consistency = consistency });

        Assert.Equal("n2", result.ServedBy);
        Assert.Equal(_n2.Address, client.CurrentEndpoint);
        Assert.Single(_n1.Kv.Calls);
        Assert.Single(_n2.Kv.Calls);
    }

    [Fact]
    public async Task SessionRead_CarriesTheSameToken_ToTheNextEndpoint()
    {
        await using var client = new StateClient(FakeServer.ClientOptions(_n1.Address, _n2.Address));
        await client.PutAsync("k", "v");
        await client.PutAsync("k", "w");

        // n1 is a replica that cannot reach the token in time: it answers Unavailable, n2 serves.
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable, "replica behind the session token"));
        var result = await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Session });

        Assert.Equal("n2", result.ServedBy);
        var tokens = _n1.Kv.Reads.Concat(_n2.Kv.Reads).Select(r => r.Read!.MinRevision).ToArray();
        Assert.Equal([2L, 2L], tokens);
    }

    [Fact]
    public async Task Calls_MoveOn_PastARefusedConnection()
    {
        var dead = new Uri($"http://127.0.0.1:{UnusedPort()}");
        await using var client = new StateClient(FakeServer.ClientOptions(dead, _n2.Address));

        var result = await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Eventual });

        Assert.Equal("n2", result.ServedBy);
        Assert.Equal(_n2.Address, client.CurrentEndpoint);
    }

    [Fact]
    public async Task Put_KeepsItsRequestId_AcrossSeveralEndpoints()
    {
        var dead = new Uri($"http://127.0.0.1:{UnusedPort()}");
        await using var client = new StateClient(FakeServer.ClientOptions(dead, _n1.Address, _n2.Address));
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Timeout));

        await client.PutAsync("k", "v");

        var first = Assert.Single(_n1.Kv.Calls);
        var second = Assert.Single(_n2.Kv.Calls);
        Assert.Equal(first.RequestId, second.RequestId);
        Assert.Equal(_n2.Address, client.CurrentEndpoint);
    }

    [Fact]
    public async Task Rotation_WrapsAround_ToTheFirstEndpoint()
    {
        await using var client = new StateClient(FakeServer.ClientOptions(_n1.Address, _n2.Address, _n3.Address));
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable));
        _n2.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable));
        _n3.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable));

        var result = await client.GetAsync("k");

        Assert.Equal("n1", result.ServedBy);
        Assert.Equal(2, _n1.Kv.Calls.Count);
    }

    [Fact]
    public async Task NotLeader_WithoutAHint_MovesToTheNextEndpoint()
    {
        await using var client = new StateClient(FakeServer.ClientOptions(_n1.Address, _n2.Address));
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.NotLeader));

        await client.PutAsync("k", "v");

        Assert.Single(_n2.Kv.Calls);
        Assert.Equal(_n2.Address, client.CurrentEndpoint);
    }

    [Fact]
    public async Task Reads_AfterALeaderHint_AreServedByWhicheverEndpointIsCurrent()
    {
        await using var client = new StateClient(FakeServer.ClientOptions(_n1.Address, _n2.Address));
        var hint = $"{_n2.Address.Host}:{_n2.Address.Port}";
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.NotLeader, leader: hint));
        await client.PutAsync("k", "v");

        var session = await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Session });
        var eventual = await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Eventual });

        Assert.Equal(["n2", "n2"], new[] { session.ServedBy, eventual.ServedBy });
        Assert.Equal(2, _n2.Kv.Reads.Count);
        Assert.Equal(Wire.ReadConsistency.Session, _n2.Kv.Reads.First().Read!.Consistency);
    }

    [Fact]
    public async Task NonTransientErrors_DoNotMoveTheClient()
    {
        await using var client = new StateClient(FakeServer.ClientOptions(_n1.Address, _n2.Address));
        _n1.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.InvalidArgument));

        await Assert.ThrowsAsync<StatehouseException>(async () => await client.GetAsync("k"));

        Assert.Equal(_n1.Address, client.CurrentEndpoint);
        Assert.Empty(_n2.Kv.Calls);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
