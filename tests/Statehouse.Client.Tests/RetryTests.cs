using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Statehouse.Client.Tests.Fakes;

namespace Statehouse.Client.Tests;

public sealed class RetryTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PutAsync_RetriesUnavailable_WithTheSameRequestId()
    {
        await using var client = _server.CreateClient();
        _server.Kv.FailNext(2, () => Faults.Error(StatehouseErrorCode.Unavailable));

        var result = await client.PutAsync("k", "v");

        var puts = _server.Kv.Calls.Where(c => c.Method == "Put").ToList();
        Assert.Equal(3, puts.Count);
        Assert.Single(puts.Select(c => c.RequestId).Distinct());
        Assert.StartsWith("test/", puts[0].RequestId, StringComparison.Ordinal);
        Assert.Equal(1, result.Revision);
    }

    [Fact]
    public async Task PutAsync_IsAppliedOnce_WhenTheAnswerIsLost()
    {
        await using var client = _server.CreateClient();
        _server.Kv.FailAfterApply(1, () => Faults.Error(StatehouseErrorCode.Timeout));

        var result = await client.PutAsync("k", "v");

        Assert.Equal(2, _server.Kv.Calls.Count(c => c.Method == "Put"));
        Assert.Equal(1, _server.Kv.Revision);
        Assert.Equal(1, result.Revision);
        Assert.Equal(1, _server.Kv.Read("default", "k")!.Version);
    }

    [Fact]
    public async Task PutAsync_DoesNotRetry_PreconditionFailed()
    {
        await using var client = _server.CreateClient();
        var existing = _server.Kv.Write("default", "k", "v0");

        var error = await Assert.ThrowsAsync<StatehouseException>(
            async () => await client.PutAsync("k", "v1", new PutOptions { Precondition = Precondition.IfAbsent }));

        Assert.Equal(StatehouseErrorCode.PreconditionFailed, error.Code);
        Assert.Equal(existing, error.CurrentRevision);
        Assert.Single(_server.Kv.Calls, c => c.Method == "Put");
    }

    [Theory]
    [InlineData(StatehouseErrorCode.InvalidArgument)]
    [InlineData(StatehouseErrorCode.NotFound)]
    [InlineData(StatehouseErrorCode.QuotaExceeded)]
    [InlineData(StatehouseErrorCode.Compacted)]
    [InlineData(StatehouseErrorCode.PermissionDenied)]
    public async Task GetAsync_DoesNotRetry_NonTransientErrors(StatehouseErrorCode code)
    {
        await using var client = _server.CreateClient();
        _server.Kv.FailNext(1, () => Faults.Error(code));

        var error = await Assert.ThrowsAsync<StatehouseException>(async () => await client.GetAsync("k"));

        Assert.Equal(code, error.Code);
        Assert.Single(_server.Kv.Calls);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.Internal)]
    public async Task GetAsync_RetriesTransportFailures_WithoutTrailers(StatusCode status)
    {
        await using var client = _server.CreateClient();
        _server.Kv.FailNext(1, () => Faults.Bare(status));

        var result = await client.GetAsync("k");

        Assert.False(result.Found);
        Assert.Equal(2, _server.Kv.Calls.Count);
    }

    [Fact]
    public async Task GetAsync_GivesUp_AfterMaxRetries()
    {
        await using var client = _server.CreateClient(o => o.MaxRetries = 3);
        _server.Kv.FailNext(10, () => Faults.Error(StatehouseErrorCode.Unavailable));

        var error = await Assert.ThrowsAsync<StatehouseException>(async () => await client.GetAsync("k"));

        Assert.Equal(StatehouseErrorCode.Unavailable, error.Code);
        Assert.Equal(4, _server.Kv.Calls.Count);
    }

    [Fact]
    public async Task GetAsync_DoesNotRetry_WhenRetriesAreDisabled()
    {
        await using var client = _server.CreateClient(o => o.MaxRetries = 0);
        _server.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable));

        await Assert.ThrowsAsync<StatehouseException>(async () => await client.GetAsync("k"));

        Assert.Single(_server.Kv.Calls);
    }

    [Fact]
    public async Task GetAsync_TimesOutAndRetries_WhenTheServerIsSlow()
    {
        await using var client = _server.CreateClient(o => o.RequestTimeout = TimeSpan.FromMilliseconds(200));
        _server.Kv.FailNext(1, () =>
        {
            // Hold the first attempt past its deadline; the retry finds the queue empty and succeeds.
            Thread.Sleep(600);
            return Faults.Error(StatehouseErrorCode.Unavailable);
        });

        var result = await client.GetAsync("k");

        Assert.False(result.Found);
        Assert.Equal(2, _server.Kv.Calls.Count);
    }

    [Fact]
    public async Task MutatingCalls_DrawDistinctRequestIds()
    {
        await using var client = _server.CreateClient();

        await client.PutAsync("a", "1");
        await client.PutAsync("b", "2");
        await client.DeleteAsync("a");
        await client.IncrementAsync("n");

        var ids = _server.Kv.Calls.Select(c => c.RequestId).ToList();
        Assert.Equal(4, ids.Distinct().Count());
        Assert.All(ids, id => Assert.StartsWith("test/", id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PutAsync_FollowsLeaderHint_OnNotLeader()
    {
        await using var leader = await FakeServer.StartAsync();
        var hint = $"{leader.Address.Host}:{leader.Address.Port}";
        _server.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.NotLeader, leader: hint));
        await using var client = new StateClient(FakeServer.ClientOptions(_server.Address));

        await client.PutAsync("k", "v");

        var followerCall = Assert.Single(_server.Kv.Calls);
        var leaderCall = Assert.Single(leader.Kv.Calls);
        Assert.Equal(followerCall.RequestId, leaderCall.RequestId);
        Assert.Equal(leader.Address.Port, client.CurrentEndpoint.Port);
        Assert.Equal(2, client.Endpoints.Count);

        await client.PutAsync("k2", "v");
        Assert.Equal(2, leader.Kv.Calls.Count);
    }

    [Fact]
    public async Task PutAsync_RotatesEndpoints_OnUnavailable()
    {
        await using var other = await FakeServer.StartAsync();
        _server.Kv.FailNext(1, () => Faults.Error(StatehouseErrorCode.Unavailable));
        await using var client = new StateClient(FakeServer.ClientOptions(_server.Address, other.Address));

        await client.PutAsync("k", "v");

        Assert.Equal(_server.Kv.Calls.Single().RequestId, other.Kv.Calls.Single().RequestId);
        Assert.Equal(other.Address, client.CurrentEndpoint);
    }

    [Fact]
    public async Task GetAsync_MovesOn_WhenAnEndpointRefusesConnections()
    {
        var dead = new Uri($"http://127.0.0.1:{UnusedPort()}");
        await using var client = new StateClient(FakeServer.ClientOptions(dead, _server.Address));

        var result = await client.GetAsync("k");

        Assert.False(result.Found);
        Assert.Equal(_server.Address, client.CurrentEndpoint);
    }

    [Fact]
    public async Task Calls_UpdateSessionRevision_ToTheHighestHeaderRevision()
    {
        await using var client = _server.CreateClient();
        _server.Kv.Write("default", "x", "1");
        _server.Kv.Write("default", "x", "2");

        await client.GetAsync("x");
        Assert.Equal(2, client.SessionRevision);

        await client.PutAsync("y", "3");
        Assert.Equal(3, client.SessionRevision);
    }

    [Fact]
    public async Task GetAsync_ThrowsOperationCanceled_WhenCancelled()
    {
        await using var client = _server.CreateClient();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.GetAsync("k", cancellationToken: cts.Token));
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
