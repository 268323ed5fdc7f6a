using Statehouse.Client.Tests.Fakes;
using Wire = Statehouse.V1;

namespace Statehouse.Client.Tests;

public sealed class SessionRevisionTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task SessionRevision_FollowsWritesAndReads_AndNeverGoesDown()
    {
        await using var client = _server.CreateClient();
        Assert.Equal(0, client.SessionRevision);

        await client.PutAsync("a", "1");
        Assert.Equal(1, client.SessionRevision);

        _server.Kv.Write("default", "b", "2");
        await client.GetAsync("b");
        Assert.Equal(2, client.SessionRevision);

        client.ObserveRevision(1);
        Assert.Equal(2, client.SessionRevision);
    }

    [Fact]
    public async Task ObserveRevision_CarriesATokenFromAnotherClient_IntoSessionReads()
    {
        await using var writer = _server.CreateClient();
        await using var reader = _server.CreateClient();
        await writer.PutAsync("a", "1");
        var written = await writer.PutAsync("a", "2");

        reader.ObserveRevision(writer.SessionRevision);
        await reader.GetAsync("a", new ReadOptions { Consistency = ReadConsistency.Session });

        Assert.Equal(written.Revision, reader.SessionRevision);
        Assert.Equal(written.Revision, _server.Kv.Reads.Single().Read!.MinRevision);
    }

    [Fact]
    public async Task ObserveRevision_RejectsANegativeRevision()
    {
        await using var client = _server.CreateClient();

        Assert.Throws<ArgumentOutOfRangeException>(() => client.ObserveRevision(-1));
    }

    [Fact]
    public async Task ObserveRevision_KeepsTheHighest_UnderConcurrentCallers()
    {
        await using var client = _server.CreateClient();
        const int Threads = 8;
        const int PerThread = 10_000;

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            // Interleaved ascending and descending values: only the overall maximum may survive.
            for (var i = 0; i < PerThread; i++)
            {
                client.ObserveRevision(t % 2 == 0 ? i * Threads + t : (PerThread - i) * Threads - t);
            }
        })));

        Assert.Equal((PerThread * Threads) - 1, client.SessionRevision);
    }

    [Fact]
    public async Task SessionRevision_IsNotLowered_ByAHeaderWithoutARevision()
    {
        await using var client = _server.CreateClient();
        client.ObserveRevision(5);

        client.Observe(new Wire.ResponseHeader());
        client.Observe(null);

        Assert.Equal(5, client.SessionRevision);
    }
}
