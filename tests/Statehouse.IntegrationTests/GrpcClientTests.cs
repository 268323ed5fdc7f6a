using Statehouse.Client;

namespace Statehouse.IntegrationTests;

public sealed class GrpcClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private sealed record Cart(List<int> Items);

    private StateClient NewClient()
    {
        var options = new StateClientOptions();
        options.Endpoints.Add(fixture.Server.GrpcUri);
        return new StateClient(options);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task PutGetDelete_RoundTrip_WithRevisions()
    {
        await using var client = NewClient();
        var key = Unique("g");
        var put = await client.PutAsync(key, "v1");
        var get = await client.GetAsync(key);
        Assert.True(get.Found);
        Assert.Equal("v1", get.Entry!.ValueAsString());
        Assert.Equal(put.Revision, get.Entry.ModRevision);
        Assert.Equal(1, get.Entry.Version);
        var deleted = await client.DeleteAsync(key);
        Assert.Equal(1, deleted.Deleted);
        Assert.False((await client.GetAsync(key)).Found);
    }

    [Fact]
    public async Task Put_ThrowsPreconditionFailedWithCurrentRevision_WhenModRevisionIsStale()
    {
        await using var client = NewClient();
        var key = Unique("cas");
        var first = await client.PutAsync(key, "a");
        var second = await client.PutAsync(key, "b", new PutOptions { Precondition = Precondition.IfModRevision(first.Revision) });
        var ex = await Assert.ThrowsAsync<StatehouseException>(async () =>
            await client.PutAsync(key, "c", new PutOptions { Precondition = Precondition.IfModRevision(first.Revision) }));
        Assert.Equal(StatehouseErrorCode.PreconditionFailed, ex.Code);
        Assert.Equal(second.Revision, ex.CurrentRevision);
    }

    [Fact]
    public async Task UpdateAsync_LosesNoUpdate_UnderConcurrentWriters()
    {
        await using var client = NewClient();
        var key = Unique("cart");
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await client.UpdateAsync<Cart>(key, c => new Cart([.. c?.Items ?? [], (w * 100) + i]));
            }
        }));
        await Task.WhenAll(writers);
        var cart = await client.GetAsync<Cart>(key);
        Assert.Equal(80, cart!.Value.Items.Distinct().Count());
    }

    [Fact]
    public async Task Txn_CommitsThenBranchAtomically()
    {
        await using var client = NewClient();
        var key = Unique("t");
        var result = await client.Txn().If(Compare.Absent(key)).Then(Op.Put(key, "1"), Op.Increment(key + "/n")).Else(Op.Get(key)).CommitAsync();
        Assert.True(result.Succeeded);
        var again = await client.Txn().If(Compare.Absent(key)).Then(Op.Put(key, "2")).Else(Op.Get(key)).CommitAsync();
        Assert.False(again.Succeeded);
        Assert.Equal("1", (await client.GetAsync(key)).Entry!.ValueAsString());
    }

    [Fact]
    public async Task Range_ScansAPrefixAcrossPages()
    {
        await using var client = NewClient();
        var prefix = Unique("scan") + "/";
        await client.BatchAsync(Enumerable.Range(0, 50).Select(i => Op.Put($"{prefix}{i:D3}", $"{i}")));
        var keys = new List<string>();
        await foreach (var entry in client.ScanAsync(KeyRange.Prefix(prefix), new RangeOptions { Limit = 7 }))
        {
            keys.Add(entry.KeyAsString());
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"{prefix}{i:D3}"), keys);
    }

    [Fact]
    public async Task LeaseKeepAlive_KeepsKeyPastItsTtl_AndRevokeDeletesIt()
    {
        await using var client = NewClient();
        var key = Unique("lease");
        var lease = await client.LeaseGrantAsync(TimeSpan.FromSeconds(1));
        await client.PutAsync(key, "held", new PutOptions { Lease = lease.LeaseId });
        await using (client.StartLeaseKeepAlive(lease.LeaseId, TimeSpan.FromSeconds(1)))
        {
            await Task.Delay(2500);
            Assert.True((await client.GetAsync(key)).Found);
        }

        await client.LeaseRevokeAsync(lease.LeaseId);
        Assert.False((await client.GetAsync(key)).Found);
    }

    [Fact]
    public async Task Watch_DeliversEveryChangeInOrder_FromARevision()
    {
        await using var client = NewClient();
        var prefix = Unique("watch") + "/";
        var start = await client.PutAsync(prefix + "0", "0");
        for (var i = 1; i < 20; i++)
        {
            await client.PutAsync($"{prefix}{i}", $"{i}");
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<WatchEvent>();
        await foreach (var e in client.WatchAsync(KeyRange.Prefix(prefix), new WatchOptions { FromRevision = start.Revision }, cts.Token))
        {
            seen.Add(e);
            if (seen.Count == 20)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{prefix}{i}"), seen.Select(e => e.Entry.KeyAsString()));
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Revision < p.Second.Revision));
    }

    [Fact]
    public async Task Put_RejectsOversizedValues_WithAClearCode_AndStoresNothing()
    {
        await using var client = NewClient();
        var key = Unique("big");
        var overLimit = await Assert.ThrowsAsync<StatehouseException>(async () => await client.PutAsync(key, new byte[(1024 * 1024) + 1]));
        Assert.Equal(StatehouseErrorCode.InvalidArgument, overLimit.Code);
        var overMessage = await Assert.ThrowsAsync<StatehouseException>(async () => await client.PutAsync(key, new byte[3 * 1024 * 1024]));
        Assert.Contains(overMessage.Code, new[] { StatehouseErrorCode.InvalidArgument, StatehouseErrorCode.QuotaExceeded });
        Assert.False((await client.GetAsync(key)).Found);
        var empty = await Assert.ThrowsAsync<StatehouseException>(async () => await client.PutAsync("", "x"));
        Assert.Equal(StatehouseErrorCode.InvalidArgument, empty.Code);
    }

    [Fact]
    public async Task Watch_DeliversARevisionBiggerThanOneMessage_Whole()
    {
        await using var client = NewClient();
        var prefix = Unique("bigrev") + "/";
        var value = new string('v', 100_000);
        var txn = await client.BatchAsync(Enumerable.Range(0, 15).Select(i => Op.Put($"{prefix}{i:D2}", value)));
        await client.PutAsync(prefix + "after", "x");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<WatchEvent>();
        await foreach (var e in client.WatchAsync(KeyRange.Prefix(prefix), new WatchOptions { FromRevision = txn.Revision, PrevKv = true }, cts.Token))
        {
            seen.Add(e);
            if (seen.Count == 16)
            {
                break;
            }
        }

        Assert.Equal(15, seen.Count(e => e.Revision == txn.Revision));
        Assert.Equal(prefix + "after", seen[^1].Entry.KeyAsString());
    }

    [Fact]
    public async Task Compact_MakesOldRevisionsAnswerCompacted()
    {
        await using var client = NewClient();
        var key = Unique("c");
        var first = await client.PutAsync(key, "1");
        await client.PutAsync(key, "2");
        Assert.Equal("1", (await client.GetAsync(key, new ReadOptions { Revision = first.Revision })).Entry!.ValueAsString());
        await client.CompactAsync();
        var ex = await Assert.ThrowsAsync<StatehouseException>(async () => await client.GetAsync(key, new ReadOptions { Revision = first.Revision }));
        Assert.Equal(StatehouseErrorCode.Compacted, ex.Code);
    }
}

/// <summary>A watch through the client survives a kill -9 and restart of the node: no gap, no duplicate.</summary>
public sealed class ClientRestartTests
{
    [Fact]
    public async Task ClientWatch_ResumesAcrossServerKillAndRestart_WithoutGapOrDuplicate()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        // Generous retries: after the restart the channel may still be in its reconnect backoff on a loaded machine.
        var options = new StateClientOptions { WatchMaxReconnectAttempts = 100, MaxRetries = 20 };
        options.Endpoints.Add(server.GrpcUri);
        await using var client = new StateClient(options);
        const string prefix = "restart/";
        var first = await client.PutAsync(prefix + "0", "0");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<long>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in client.WatchAsync(KeyRange.Prefix(prefix), new WatchOptions { FromRevision = first.Revision }, cts.Token))
            {
                lock (seen)
                {
                    seen.Add(e.Revision);
                    if (seen.Count == 40)
                    {
                        return;
                    }
                }
            }
        });

        for (var i = 1; i < 20; i++)
        {
            await client.PutAsync($"{prefix}{i}", $"{i}");
        }

        server.Kill();
        await server.StartAsync();
        for (var i = 20; i < 40; i++)
        {
            await client.PutAsync($"{prefix}{i}", $"{i}");
        }

        await watching.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(40, seen.Count);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First < p.Second));
    }
}
