using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore.Tests;

public sealed class NearCacheTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    private (StatehouseDistributedCache Cache, StateClient Client) Instance(string prefix)
    {
        var client = store.NewClient();
        var options = new StatehouseCacheOptions { KeyPrefix = prefix, ReadConsistency = ReadConsistency.Session };
        options.NearCache.Enabled = true;
        return (new StatehouseDistributedCache(client, Options.Create(options)), client);
    }

    [Fact]
    public async Task AUsersWriteOnOneInstance_IsReadOnAnother_NeverStale_AndRepeatReadsHitMemory()
    {
        var (a, clientA) = Instance("n1/");
        var (b, clientB) = Instance("n1/");
        await using var _ = a;
        await using var __ = b;
        long hits = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "Statehouse.AspNetCore" && i.Name == "statehouse.near_cache.hits")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref hits, v));
        listener.Start();

        for (var i = 0; i < 30; i++)
        {
            // The user's request on instance A writes; their token goes with them to instance B.
            long token;
            using (var session = clientA.BeginSession())
            {
                await a.SetAsync("cart", Encoding.UTF8.GetBytes($"v{i}"), new DistributedCacheEntryOptions());
                token = session.Revision;
            }

            using (clientB.BeginSession(token))
            {
                Assert.Equal($"v{i}", Encoding.UTF8.GetString((await b.GetAsync("cart"))!));
                Assert.Equal($"v{i}", Encoding.UTF8.GetString((await b.GetAsync("cart"))!));
                Assert.Equal($"v{i}", Encoding.UTF8.GetString((await b.GetAsync("cart"))!));
            }
        }

        Assert.True(Interlocked.Read(ref hits) > 0, "no read was served from memory");
    }

    [Fact]
    public async Task AnotherInstancesWrite_EvictsTheEntry_Promptly()
    {
        var (a, _) = Instance("n2/");
        var (b, _) = Instance("n2/");
        await using var _a = a;
        await using var _b = b;
        await a.SetAsync("k", [1], new DistributedCacheEntryOptions());
        await WaitForAsync(async () => (await b.GetAsync("k"))?.SequenceEqual(new byte[] { 1 }) == true);
        await a.SetAsync("k", [2], new DistributedCacheEntryOptions());

        // Without any session token B learns of the write from its watch, within moments.
        await WaitForAsync(async () => (await b.GetAsync("k"))?.SequenceEqual(new byte[] { 2 }) == true);
        await a.RemoveAsync("k");
        await WaitForAsync(async () => await b.GetAsync("k") is null);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 5 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task StateManagerWithNearCache_ReadsYourWritesAcrossInstances()
    {
        StateManager Manager(StateClient client)
        {
            var options = new StateManagerOptions { KeyPrefix = "nm/" };
            options.NearCache.Enabled = true;
            return new StateManager(client, Options.Create(options));
        }

        var (clientA, clientB) = (store.NewClient(), store.NewClient());
        await using var a = Manager(clientA);
        await using var b = Manager(clientB);
        for (var i = 0; i < 30; i++)
        {
            long token;
            using (var session = clientA.BeginSession())
            {
                await a.UpdateAsync<int>("count", n => n + 1);
                token = session.Revision;
            }

            using (clientB.BeginSession(token))
            {
                Assert.Equal(i + 1, (await b.GetAsync<int>("count"))!.Value);
                Assert.Equal(i + 1, (await b.GetAsync<int>("count"))!.Value);
            }
        }
    }
}
