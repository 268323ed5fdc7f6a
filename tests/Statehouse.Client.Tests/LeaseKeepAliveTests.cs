using Statehouse.Client.Tests.Fakes;

namespace Statehouse.Client.Tests;

public sealed class LeaseKeepAliveTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task LeaseKeepAlive_ReportsLoss_WhenTheServerSaysTheLeaseIsGone()
    {
        await using var client = _server.CreateClient();
        _server.Lease.KeepAliveTtls.Enqueue(1);
        _server.Lease.KeepAliveTtls.Enqueue(1);
        _server.Lease.KeepAliveTtls.Enqueue(0);
        var lease = await client.LeaseGrantAsync(TimeSpan.FromSeconds(1));

        await using var keepAlive = client.StartLeaseKeepAlive(lease.LeaseId, lease.Ttl);
        var reason = await keepAlive.Lost.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StatehouseErrorCode.NotFound, reason.Code);
        Assert.True(keepAlive.LostToken.IsCancellationRequested);
        Assert.Equal(3, _server.Lease.KeepAliveCount);
    }

    [Fact]
    public async Task LeaseKeepAlive_RenewsUntilDisposed()
    {
        await using var client = _server.CreateClient();
        _server.Lease.KeepAliveTtls.Enqueue(1);

        var keepAlive = client.StartLeaseKeepAlive(42, TimeSpan.FromSeconds(1));
        while (_server.Lease.KeepAliveCount < 2)
        {
            await Task.Delay(20);
        }

        await keepAlive.DisposeAsync();
        var count = _server.Lease.KeepAliveCount;
        await Task.Delay(500);

        Assert.True(keepAlive.Lost.IsCanceled);
        Assert.Equal(count, _server.Lease.KeepAliveCount);
        Assert.Equal(TimeSpan.FromSeconds(1), keepAlive.Ttl);
    }
}
