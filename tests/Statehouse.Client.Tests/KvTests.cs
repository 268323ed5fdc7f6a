using Statehouse.Client.Tests.Fakes;

namespace Statehouse.Client.Tests;

public sealed class KvTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetAsync_ReturnsEntryWithMetadata()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("k", "v1");
        await client.PutAsync("k", "v2", new PutOptions { Precondition = Precondition.IfVersion(1) });

        var result = await client.GetAsync("k");

        Assert.True(result.Found);
        Assert.Equal("k", result.Entry.KeyAsString());
        Assert.Equal("v2", result.Entry.ValueAsString());
        Assert.Equal((1L, 2L, 2L), (result.Entry.CreateRevision, result.Entry.ModRevision, result.Entry.Version));
        Assert.Equal(2, result.Revision);
    }

    [Fact]
    public async Task PutAsync_ReturnsPrevious_WhenAsked()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("k", "old");

        var result = await client.PutAsync("k", "new", new PutOptions { ReturnPrevious = true });

        Assert.Equal("old", result.Previous!.ValueAsString());
    }

    [Fact]
    public async Task GetManyAsync_ReturnsExistingKeysInOrder()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("b", "2");
        await client.PutAsync("a", "1");

        var result = await client.GetManyAsync(["b", "missing", "a"]);

        Assert.Equal(["b", "a"], result.Entries.Select(e => e.KeyAsString()));
    }

    [Fact]
    public async Task ScanAsync_FollowsContinuations_AcrossPages()
    {
        await using var client = _server.CreateClient();
        for (var i = 0; i < 7; i++)
        {
            await client.PutAsync($"item/{i}", $"{i}");
        }

        await client.PutAsync("other", "x");

        var keys = new List<string>();
        await foreach (var entry in client.ScanAsync(KeyRange.Prefix("item/"), new RangeOptions { Limit = 3 }))
        {
            keys.Add(entry.KeyAsString());
        }

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"item/{i}"), keys);
        Assert.Equal(3, _server.Kv.Calls.Count(c => c.Method == "Range"));
    }

    [Fact]
    public async Task RangeAsync_CountsOnly_WhenAsked()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("a", "1");
        await client.PutAsync("b", "2");

        var page = await client.RangeAsync(KeyRange.Between("a", "c"), new RangeOptions { CountOnly = true });

        Assert.Equal(2, page.Count);
        Assert.Empty(page.Entries);
        Assert.Null(page.Continuation);
    }

    [Fact]
    public async Task DeleteAsync_DeletesAPrefix()
    {
        await using var client = _server.CreateClient();
        await client.PutAsync("cart/1", "a");
        await client.PutAsync("cart/2", "b");
        await client.PutAsync("user/1", "c");

        var result = await client.DeleteAsync(KeyRange.Prefix("cart/"), new DeleteOptions { ReturnPrevious = true });

        Assert.Equal(2, result.Deleted);
        Assert.Equal(2, result.Previous.Count);
        Assert.NotNull(_server.Kv.Read("default", "user/1"));
    }

    [Fact]
    public async Task DeleteAsync_RejectsOpenEndedRange()
    {
        await using var client = _server.CreateClient();

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.DeleteAsync(KeyRange.Between("a", string.Empty)));
    }

    [Fact]
    public async Task IncrementAsync_ReturnsTheNewValue()
    {
        await using var client = _server.CreateClient();

        await client.IncrementAsync("n", 5);
        var result = await client.IncrementAsync("n", -2);

        Assert.Equal(3, result.Value);
    }

    [Fact]
    public async Task Calls_UseTheNamedKeyspace()
    {
        await using var client = _server.CreateClient(o => o.DefaultKeyspace = "carts");

        await client.PutAsync("k", "v");
        await client.PutAsync("k", "w", new PutOptions { Keyspace = "users" });

        Assert.Equal("v", _server.Kv.Read("carts", "k")!.Value.ToStringUtf8());
        Assert.Equal("w", _server.Kv.Read("users", "k")!.Value.ToStringUtf8());
        Assert.Equal("w", (await client.GetAsync("k", new ReadOptions { Keyspace = "users" })).Entry!.ValueAsString());
    }

    [Fact]
    public async Task PutAsync_SendsTtlInWholeSecondsRoundedUp()
    {
        await using var client = _server.CreateClient();

        await client.PutAsync("k", "v", new PutOptions { Ttl = TimeSpan.FromMilliseconds(1500) });

        Assert.Equal(2, Assert.Single(_server.Kv.Puts).TtlSeconds);
    }
}
