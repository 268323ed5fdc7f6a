using System.Text;
using Statehouse.Client.Tests.Fakes;

namespace Statehouse.Client.Tests;

public sealed class JsonTests : IAsyncLifetime
{
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PutAsyncT_ThenGetAsyncT_RoundTripsJson()
    {
        await using var client = _server.CreateClient();

        var put = await client.PutAsync("cart/1", new Cart("alice", 2));
        var read = await client.GetAsync<Cart>("cart/1");

        Assert.NotNull(read);
        Assert.Equal(new Cart("alice", 2), read.Value);
        Assert.Equal(put.Revision, read.ModRevision);
        Assert.Equal("{\"owner\":\"alice\",\"items\":2}", _server.Kv.Read("default", "cart/1")!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task GetAsyncT_ReturnsNull_WhenMissing()
    {
        await using var client = _server.CreateClient();

        Assert.Null(await client.GetAsync<Cart>("nope"));
    }

    [Fact]
    public async Task PutAsyncT_RejectsByteBuffers()
    {
        await using var client = _server.CreateClient();

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.PutAsync("k", new Memory<byte>([1, 2])));
    }

    [Fact]
    public async Task PutAsync_WithByteArray_WritesRawBytes()
    {
        await using var client = _server.CreateClient();

        await client.PutAsync("k", Encoding.UTF8.GetBytes("raw"));

        Assert.Equal("raw", _server.Kv.Read("default", "k")!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task UpdateAsync_UsesIfAbsent_WhenTheKeyIsMissing()
    {
        await using var client = _server.CreateClient();

        var result = await client.UpdateAsync<Cart>("cart/1", c => (c ?? new Cart("bob", 0)) with { Items = 1 });

        Assert.Equal(new Cart("bob", 1), result.Value);
        Assert.Equal(1, result.Attempts);
        Assert.True(Assert.Single(_server.Kv.Puts).Precondition.IfAbsent);
    }

    [Fact]
    public async Task UpdateAsync_LoopsOnPreconditionFailed_UntilItWins()
    {
        await using var client = _server.CreateClient();
        _server.Kv.Write("default", "counter", "0");
        var racesToLose = 3;
        _server.Kv.BeforePut = request =>
        {
            // Another writer sneaks in between this client's read and its put, three times.
            if (request.Precondition?.IfModRevision > 0 && Interlocked.Decrement(ref racesToLose) >= 0)
            {
                var current = int.Parse(_server.Kv.Read("default", "counter")!.Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture);
                _server.Kv.Write("default", "counter", (current + 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        };

        var result = await client.UpdateAsync<int>("counter", n => n + 1);

        Assert.Equal(4, result.Attempts);
        Assert.Equal(31, result.Value);
        Assert.Equal(4, _server.Kv.Puts.Count);
        Assert.Equal(result.Revision, _server.Kv.Read("default", "counter")!.ModRevision);
        Assert.Equal("31", _server.Kv.Read("default", "counter")!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task UpdateAsync_StopsAtTheBound_WhenItAlwaysLoses()
    {
        await using var client = _server.CreateClient();
        _server.Kv.Write("default", "hot", "0");
        _server.Kv.BeforePut = _ => _server.Kv.Write("default", "hot", "0");

        var error = await Assert.ThrowsAsync<StatehouseException>(
            async () => await client.UpdateAsync<int>("hot", n => n + 1, new UpdateOptions { MaxAttempts = 5 }));

        Assert.Equal(StatehouseErrorCode.PreconditionFailed, error.Code);
        Assert.Equal(5, _server.Kv.Puts.Count);
        Assert.Equal(5, _server.Kv.Calls.Count(c => c.Method == "Get"));
        Assert.IsType<StatehouseException>(error.InnerException);
        Assert.NotNull(error.CurrentRevision);
    }

    [Fact]
    public async Task UpdateAsync_DefaultBound_Is32()
    {
        await using var client = _server.CreateClient();
        _server.Kv.BeforePut = _ => _server.Kv.Write("default", "hot", "0");

        await Assert.ThrowsAsync<StatehouseException>(async () => await client.UpdateAsync<int>("hot", n => n + 1));

        Assert.Equal(UpdateOptions.DefaultMaxAttempts, _server.Kv.Puts.Count);
        Assert.Equal(32, UpdateOptions.DefaultMaxAttempts);
    }

    public sealed record Cart(string Owner, int Items);
}
