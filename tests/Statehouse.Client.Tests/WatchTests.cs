using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Statehouse.Client.Tests.Fakes;
using Statehouse.V1;

namespace Statehouse.Client.Tests;

public sealed class WatchTests : IAsyncLifetime
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    // Revisions 5..14 under prefix "a/"; revision 8 changes two keys.
    private static readonly IReadOnlyList<WatchResponse> History = Enumerable.Range(5, 10).Select(r => Revision(r)).ToArray();

    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task WatchAsync_ThrowsArgumentOutOfRange_WhenFromRevisionIsNegative()
    {
        await using var client = _server.CreateClient();

        // The server refuses it too (InvalidArgument); before, -1 silently meant "from now".
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var unused in client.WatchAsync(KeyRange.Prefix("a/"), new WatchOptions { FromRevision = -1 }))
            {
                _ = unused;
            }
        });

        Assert.Empty(_server.Watch.Requests);
    }

    [Fact]
    public async Task WatchAsync_ResumesFromLastDeliveredPlusOne_WhenTheServerFailsTheStream()
    {
        _server.Watch.Handler = (connection, request, stream, context) =>
            ServeHistoryAsync(request, stream, context, perConnection: 3, breakWith: () => throw Faults.Error(StatehouseErrorCode.Unavailable, "node restarting"));
        await using var client = _server.CreateClient();

        var events = await CollectUntilAsync(client, KeyRange.Prefix("a/"), new WatchOptions { FromRevision = 5 }, lastRevision: 14);

        Assert.Equal(ExpectedEvents(), events.Select(e => (e.Revision, e.Entry.KeyAsString())));
        Assert.Equal([5L, 8L, 11L, 14L], _server.Watch.Requests.Select(r => r.FromRevision));
        Assert.All(_server.Watch.Requests, r => Assert.True(r.Prefix));
    }

    [Fact]
    public async Task WatchAsync_ReconnectsWithoutGapOrDuplicate_WhenTheTransportBreaks()
    {
        _server.Watch.Handler = (connection, request, stream, context) =>
            ServeHistoryAsync(request, stream, context, perConnection: 3, breakWith: async () =>
            {
                // Give the client time to read what was sent: a reset discards data the client has not read yet.
                await Task.Delay(200);
                context.GetHttpContext().Abort();
            });
        await using var client = _server.CreateClient();

        var delivered = new List<long>();
        var fromRevisions = new List<long>();
        using var cts = new CancellationTokenSource(TestTimeout);
        await foreach (var e in client.WatchAsync(KeyRange.Prefix("a/"), new WatchOptions { FromRevision = 5 }, cts.Token))
        {
            delivered.Add(e.Revision);
            if (e.Revision == 14)
            {
                break;
            }
        }

        Assert.Equal(ExpectedEvents().Select(e => e.Revision), delivered);
        Assert.True(_server.Watch.Requests.Count >= 2);

        // Every reconnect asked for exactly the revision after one that had been delivered.
        foreach (var request in _server.Watch.Requests.Skip(1))
        {
            Assert.Contains(request.FromRevision - 1, delivered);
        }
    }

    [Fact]
    public async Task WatchAsync_DropsEventsTheServerReplays()
    {
        _server.Watch.Handler = (connection, request, stream, context) =>
        {
            // A sloppy server that resends two revisions before the one asked for.
            var replay = new WatchRequest(request) { FromRevision = Math.Max(5, request.FromRevision - 2) };
            return ServeHistoryAsync(replay, stream, context, perConnection: 4, breakWith: () => throw Faults.Error(StatehouseErrorCode.Unavailable));
        };
        await using var client = _server.CreateClient();

        var events = await CollectUntilAsync(client, KeyRange.Prefix("a/"), new WatchOptions { FromRevision = 5 }, lastRevision: 14);

        Assert.Equal(ExpectedEvents(), events.Select(e => (e.Revision, e.Entry.KeyAsString())));
    }

    [Fact]
    public async Task WatchAsync_ResumesAfterAProgressNotification()
    {
        _server.Watch.Handler = async (connection, request, stream, context) =>
        {
            if (connection == 0)
            {
                await stream.WriteAsync(History[0]);
                await stream.WriteAsync(new WatchResponse { Header = new ResponseHeader { Revision = 9 }, Progress = true });
                throw Faults.Error(StatehouseErrorCode.Unavailable);
            }

            await stream.WriteAsync(Revision(10));
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };
        await using var client = _server.CreateClient();

        var events = await CollectUntilAsync(client, KeyRange.Prefix("a/"), new WatchOptions { FromRevision = 5 }, lastRevision: 10);

        Assert.Equal([5L, 10L], events.Select(e => e.Revision));
        Assert.Equal([5L, 10L], _server.Watch.Requests.Select(r => r.FromRevision));
    }

    [Fact]
    public async Task WatchAsync_StartsAfterTheCurrentRevision_WhenFromRevisionIsZero()
    {
        _server.Kv.Write("default", "a/1", "x");
        _server.Kv.Write("default", "a/2", "y");
        _server.Watch.Handler = async (connection, request, stream, context) =>
        {
            await stream.WriteAsync(Revision(request.FromRevision));
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };
        await using var client = _server.CreateClient();

        var events = await CollectUntilAsync(client, KeyRange.Prefix("a/"), options: null, lastRevision: 3);

        Assert.Equal(3, Assert.Single(_server.Watch.Requests).FromRevision);
        Assert.Equal(3, events.Single().Revision);
    }

    [Fact]
    public async Task WatchAsync_ThrowsCompacted_WhenTheServerRefusesTheResumeRevision()
    {
        _server.Watch.Handler = (connection, request, stream, context) => connection == 0
            ? ServeHistoryAsync(request, stream, context, perConnection: 2, breakWith: () => throw Faults.Error(StatehouseErrorCode.Unavailable))
            : throw Faults.Error(StatehouseErrorCode.Compacted, compactRevision: 50);
        await using var client = _server.CreateClient();

        var delivered = new List<long>();
        var error = await Assert.ThrowsAsync<StatehouseException>(async () =>
        {
            await foreach (var e in client.WatchAsync(KeyRange.Prefix("a/"), new WatchOptions { FromRevision = 5 }))
            {
                delivered.Add(e.Revision);
            }
        });

        Assert.Equal(StatehouseErrorCode.Compacted, error.Code);
        Assert.Equal(50, error.CompactRevision);
        Assert.Equal([5L, 6L], delivered);
        Assert.Equal(7, _server.Watch.Requests.Last().FromRevision);
    }

    [Fact]
    public async Task WatchAsync_ThrowsCompacted_WhenTheResponseCarriesACompactRevision()
    {
        _server.Watch.Handler = async (connection, request, stream, context) =>
            await stream.WriteAsync(new WatchResponse { Header = new ResponseHeader { Revision = 60 }, CompactRevision = 40 });
        await using var client = _server.CreateClient();

        var error = await Assert.ThrowsAsync<StatehouseException>(async () =>
        {
            await foreach (var e in client.WatchAsync("k", new WatchOptions { FromRevision = 2 }))
            {
            }
        });

        Assert.Equal(StatehouseErrorCode.Compacted, error.Code);
        Assert.Equal(40, error.CompactRevision);
    }

    [Fact]
    public async Task WatchAsync_GivesUp_AfterTheReconnectBound()
    {
        _server.Watch.Handler = (connection, request, stream, context) => throw Faults.Error(StatehouseErrorCode.Unavailable);
        await using var client = _server.CreateClient(o => o.WatchMaxReconnectAttempts = 2);

        var error = await Assert.ThrowsAsync<StatehouseException>(async () =>
        {
            await foreach (var e in client.WatchAsync("k", new WatchOptions { FromRevision = 1 }))
            {
            }
        });

        Assert.Equal(StatehouseErrorCode.Unavailable, error.Code);
        Assert.Equal(3, _server.Watch.Requests.Count);
    }

    [Fact]
    public async Task WatchAsync_DoesNotReconnect_OnNonTransientErrors()
    {
        _server.Watch.Handler = (connection, request, stream, context) => throw Faults.Error(StatehouseErrorCode.PermissionDenied);
        await using var client = _server.CreateClient();

        var error = await Assert.ThrowsAsync<StatehouseException>(async () =>
        {
            await foreach (var e in client.WatchAsync("k", new WatchOptions { FromRevision = 1 }))
            {
            }
        });

        Assert.Equal(StatehouseErrorCode.PermissionDenied, error.Code);
        Assert.Single(_server.Watch.Requests);
    }

    [Fact]
    public async Task WatchAsync_MapsEventTypesAndPreviousValues()
    {
        _server.Watch.Handler = async (connection, request, stream, context) =>
        {
            var response = new WatchResponse { Header = new ResponseHeader { Revision = 3 } };
            response.Events.Add(new Event
            {
                Type = Event.Types.EventType.Delete,
                Kv = new KeyValue { Key = ByteString.CopyFromUtf8("k"), ModRevision = 3 },
                PrevKv = new KeyValue { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFromUtf8("old"), ModRevision = 2 },
            });
            await stream.WriteAsync(response);
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };
        await using var client = _server.CreateClient();

        var events = await CollectUntilAsync(client, KeyRange.Single("k"), new WatchOptions { FromRevision = 1, PrevKv = true }, lastRevision: 3);

        var e = Assert.Single(events);
        Assert.Equal(WatchEventType.Delete, e.Type);
        Assert.Equal("old", e.Previous!.ValueAsString());
        var request = Assert.Single(_server.Watch.Requests);
        Assert.True(request.PrevKv);
        Assert.False(request.Prefix);
        Assert.Equal("k", request.Key.ToStringUtf8());
    }

    private static async Task<List<WatchEvent>> CollectUntilAsync(StateClient client, KeyRange range, WatchOptions? options, long lastRevision)
    {
        var events = new List<WatchEvent>();
        using var cts = new CancellationTokenSource(TestTimeout);
        await foreach (var e in client.WatchAsync(range, options, cts.Token))
        {
            events.Add(e);
            if (e.Revision >= lastRevision && events.Count(x => x.Revision == e.Revision) == ExpectedCount(e.Revision))
            {
                break;
            }
        }

        return events;
    }

    private static int ExpectedCount(long revision) => revision == 8 ? 2 : 1;

    private static IEnumerable<(long Revision, string Key)> ExpectedEvents() =>
        History.SelectMany(r => r.Events).Select(e => (e.Kv.ModRevision, e.Kv.Key.ToStringUtf8()));

    /// <summary>Sends up to <paramref name="perConnection"/> revisions from the request's from_revision, then breaks; hangs at the end of history.</summary>
    private static async Task ServeHistoryAsync(
        WatchRequest request, IServerStreamWriter<WatchResponse> stream, ServerCallContext context, int perConnection, Func<Task> breakWith)
    {
        var pending = History.Where(r => r.Events[0].Kv.ModRevision >= request.FromRevision).ToList();
        foreach (var response in pending.Take(perConnection))
        {
            await stream.WriteAsync(response);
        }

        if (pending.Count > perConnection)
        {
            await breakWith();
            return;
        }

        await Task.Delay(Timeout.Infinite, context.CancellationToken);
    }

    private static WatchResponse Revision(long revision)
    {
        var response = new WatchResponse { Header = new ResponseHeader { Revision = revision } };
        foreach (var key in revision == 8 ? new[] { "a/8a", "a/8b" } : [$"a/{revision}"])
        {
            response.Events.Add(new Event
            {
                Type = Event.Types.EventType.Put,
                Kv = new KeyValue { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("v"), ModRevision = revision, CreateRevision = revision, Version = 1 },
            });
        }

        return response;
    }
}
