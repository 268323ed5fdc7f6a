using Statehouse.Client.Tests.Fakes;
using Wire = Statehouse.V1;

namespace Statehouse.Client.Tests;

public sealed class ConsistencyTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetAsync_SendsLinearizable_ByDefault()
    {
        await using var client = _server.CreateClient();

        await client.GetAsync("k");

        var read = Assert.Single(_server.Kv.Reads).Read!;
        Assert.Equal(Wire.ReadConsistency.Linearizable, read.Consistency);
        Assert.Equal(0, read.MinRevision);
        Assert.Equal(0, read.MaxStalenessMs);
    }

    [Fact]
    public async Task GetAsync_UsesTheClientsDefaultConsistency_WhenTheReadNamesNone()
    {
        await using var client = _server.CreateClient(o => o.DefaultReadConsistency = ReadConsistency.Eventual);

        await client.GetAsync("k");
        await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Linearizable });

        var reads = _server.Kv.Reads.Select(r => r.Read!.Consistency).ToArray();
        Assert.Equal([Wire.ReadConsistency.Eventual, Wire.ReadConsistency.Linearizable], reads);
    }

    [Fact]
    public async Task SessionRead_SendsTheSessionRevision_WhenMinRevisionIsZero()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("a", "1");
        var written = await client.PutAsync("b", "2");

        await client.GetAsync("a", new ReadOptions { Consistency = ReadConsistency.Session });

        var read = Assert.Single(_server.Kv.Reads).Read!;
        Assert.Equal(Wire.ReadConsistency.Session, read.Consistency);
        Assert.Equal(written.Revision, read.MinRevision);
        Assert.Equal(2, client.SessionRevision);
    }

    [Fact]
    public async Task SessionRead_SendsAnExplicitMinRevision_AsGiven()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("a", "1");

        await client.GetAsync("a", new ReadOptions { Consistency = ReadConsistency.Session, MinRevision = 40 });

        Assert.Equal(40, Assert.Single(_server.Kv.Reads).Read!.MinRevision);
    }

    [Theory]
    [InlineData(ReadConsistency.Linearizable)]
    [InlineData(ReadConsistency.Bounded)]
    [InlineData(ReadConsistency.Eventual)]
    public async Task NonSessionRead_DoesNotAddTheSessionToken(ReadConsistency consistency)
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("a", "1");

        await client.GetAsync("a", new ReadOptions { Consistency = consistency });

        Assert.Equal(0, Assert.Single(_server.Kv.Reads).Read!.MinRevision);
    }

    [Fact]
    public async Task BoundedRead_SendsMaxStaleness_RoundedUpToWholeMilliseconds()
    {
        await using var client = _server.CreateClient();

        await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Bounded, MaxStaleness = TimeSpan.FromMilliseconds(250.2) });

        var read = Assert.Single(_server.Kv.Reads).Read!;
        Assert.Equal(Wire.ReadConsistency.Bounded, read.Consistency);
        Assert.Equal(251, read.MaxStalenessMs);
    }

    [Fact]
    public async Task GetManyAndRangeAndScan_CarryTheReadOptions()
    {
        await using var client = _server.CreateClient();
        _server.Kv.NodeId = "n3";
        _server.Kv.DefaultPageSize = 1;
        _server.Kv.Write("default", "p/1", "a");
        _server.Kv.Write("default", "p/2", "b");
        client.ObserveRevision(2);

        await client.GetManyAsync(["p/1"], new ReadOptions { Consistency = ReadConsistency.Session });
        await client.RangeAsync(KeyRange.Prefix("p/"), new RangeOptions { Consistency = ReadConsistency.Bounded, MaxStaleness = TimeSpan.FromSeconds(2) });
        var scanned = await client.ScanAsync(KeyRange.Prefix("p/"), new RangeOptions { Consistency = ReadConsistency.Eventual, MinRevision = 1 }).CountAsync();

        Assert.Equal(2, scanned);
        var reads = _server.Kv.Reads.ToArray();
        Assert.Equal(("MultiGet", Wire.ReadConsistency.Session, 2L, 0L), Describe(reads[0]));
        Assert.Equal(("Range", Wire.ReadConsistency.Bounded, 0L, 2000L), Describe(reads[1]));
        Assert.Equal(("Range", Wire.ReadConsistency.Eventual, 1L, 0L), Describe(reads[2]));
        Assert.Equal(("Range", Wire.ReadConsistency.Eventual, 1L, 0L), Describe(reads[3]));
    }

    [Fact]
    public async Task ReadResults_SayWhichNodeServedThem_AndAtWhatRevision()
    {
        await using var client = _server.CreateClient();
        _server.Kv.NodeId = "n2";
        _server.Kv.Write("default", "k", "v");

        var get = await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Eventual });
        var many = await client.GetManyAsync(["k"]);
        var page = await client.RangeAsync(KeyRange.All);

        Assert.Equal(("n2", 1L), (get.ServedBy, get.Revision));
        Assert.Equal(("n2", 1L), (many.ServedBy, many.Revision));
        Assert.Equal(("n2", 1L), (page.ServedBy, page.Revision));
    }

    [Fact]
    public async Task UpdateAsync_ReadsLinearizably_WhateverTheDefault()
    {
        await using var client = _server.CreateClient(o => o.DefaultReadConsistency = ReadConsistency.Eventual);

        await client.UpdateAsync<int>("n", n => n + 1);

        Assert.Equal(Wire.ReadConsistency.Linearizable, Assert.Single(_server.Kv.Reads).Read!.Consistency);
    }

    [Fact]
    public async Task Reads_RejectABadMaxStalenessOrMinRevision_BeforeCalling()
    {
        await using var client = _server.CreateClient();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await client.GetAsync("k", new ReadOptions { Consistency = ReadConsistency.Bounded, MaxStaleness = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await client.GetAsync("k", new ReadOptions { MinRevision = -1 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await client.RangeAsync(KeyRange.All, new RangeOptions { MaxStaleness = TimeSpan.FromMilliseconds(-5) }));

        // A negative read revision is refused as the server refuses it (0 = latest); before, it went out as "latest".
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await client.GetAsync("k", new ReadOptions { Revision = -1 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await client.RangeAsync(KeyRange.All, new RangeOptions { Revision = -1 }));

        Assert.Empty(_server.Kv.Calls);
    }

    [Fact]
    public void Options_RejectAnUnknownDefaultConsistency()
    {
        var options = FakeServer.ClientOptions(_server.Address);
        options.DefaultReadConsistency = (ReadConsistency)42;

        Assert.Throws<ArgumentOutOfRangeException>(() => new StateClient(options));
    }

    [Theory]
    [InlineData(ReadConsistency.Linearizable, 0, 7, Wire.ReadConsistency.Linearizable, 0)]
    [InlineData(ReadConsistency.Session, 0, 7, Wire.ReadConsistency.Session, 7)]
    [InlineData(ReadConsistency.Session, 3, 7, Wire.ReadConsistency.Session, 3)]
    [InlineData(ReadConsistency.Bounded, 5, 7, Wire.ReadConsistency.Bounded, 5)]
    [InlineData(ReadConsistency.Eventual, 0, 7, Wire.ReadConsistency.Eventual, 0)]
    public void ProtoReadOptions_MapsConsistencyAndToken(ReadConsistency consistency, long minRevision, long session, Wire.ReadConsistency wire, long sent)
    {
        var read = ProtoConvert.ReadOptions(consistency, null, minRevision, session);

        Assert.Equal(wire, read.Consistency);
        Assert.Equal(sent, read.MinRevision);
        Assert.Equal(0, read.MaxStalenessMs);
    }

    [Fact]
    public void ProtoReadOptions_NeverSendsZeroStaleness_ForATinyBound()
    {
        var read = ProtoConvert.ReadOptions(ReadConsistency.Bounded, TimeSpan.FromTicks(1), 0, 0);

        Assert.Equal(1, read.MaxStalenessMs);
    }

    private static (string Method, Wire.ReadConsistency Consistency, long MinRevision, long MaxStalenessMs) Describe((string Method, Wire.ReadOptions? Read) call) =>
        (call.Method, call.Read!.Consistency, call.Read.MinRevision, call.Read.MaxStalenessMs);
}
