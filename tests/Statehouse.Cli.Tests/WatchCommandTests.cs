using System.Text;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class WatchCommandTests
{
    private static readonly List<WatchEvent> Events =
    [
        new(WatchEventType.Put, FakeClient.Entry("k", "v1", 5), null),
        new(WatchEventType.Put, FakeClient.Entry("k", "two\nlines", 6), FakeClient.Entry("k", "v1", 5)),
        new(WatchEventType.Delete, new KeyValueEntry(Encoding.UTF8.GetBytes("k"), ReadOnlyMemory<byte>.Empty, 0, 7, 0, 0), null),
        new(WatchEventType.Expire, new KeyValueEntry(Encoding.UTF8.GetBytes("s"), ReadOnlyMemory<byte>.Empty, 0, 8, 0, 0), null),
    ];

    [Fact]
    public async Task Watch_PrintsOneLinePerEvent_AndStopsAfterCount()
    {
        var cli = new CliHarness(c => c.Events = Events);

        Assert.Equal(0, await cli.RunAsync("watch", "k", "--count", "4"));

        Assert.Equal(["5 PUT k v1", @"6 PUT k two\nlines", "7 DELETE k", "8 EXPIRE s"], cli.StdoutLines());
    }

    [Fact]
    public async Task Watch_StopsAfterCount_BeforeTheStreamEnds()
    {
        var cli = new CliHarness(c => c.Events = Events);

        Assert.Equal(0, await cli.RunAsync("watch", "--count", "1"));

        Assert.Equal(["5 PUT k v1"], cli.StdoutLines());
    }

    [Fact]
    public async Task Watch_PassesRangeAndOptions()
    {
        var cli = new CliHarness(c => c.Events = Events);

        Assert.Equal(0, await cli.RunAsync("watch", "--prefix", "cart/", "--from-revision", "3", "--prev", "--count", "2"));

        var (_, args) = cli.Client.Single("Watch");
        var range = (KeyRange)args[0]!;
        var options = (WatchOptions)args[1]!;
        Assert.Equal((KeyRangeKind.Prefix, "cart/"), (range.Kind, Encoding.UTF8.GetString(range.Key.Span)));
        Assert.Equal((3L, true), (options.FromRevision, options.PrevKv));
        Assert.Equal(@"6 PUT k two\nlines (prev: v1)", cli.StdoutLines()[1]);
    }

    [Fact]
    public async Task Watch_WatchesWholeKeyspace_WithoutKeyOrPrefix()
    {
        var cli = new CliHarness(c => c.Events = Events);

        Assert.Equal(0, await cli.RunAsync("watch", "--count", "1"));

        var range = (KeyRange)cli.Client.Single("Watch").Args[0]!;
        Assert.Equal((KeyRangeKind.Prefix, 0), (range.Kind, range.Key.Length));
    }

    [Fact]
    public async Task Watch_PrintsJsonLines_WithJson()
    {
        var cli = new CliHarness(c => c.Events = Events);

        Assert.Equal(0, await cli.RunAsync("watch", "k", "--json", "--prev", "--count", "3"));

        var lines = cli.StdoutLines();
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("{\"revision\":5,\"type\":\"put\",\"kv\":{\"key\":\"k\",\"keyEncoding\":\"utf8\",\"value\":\"v1\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"prevKv\":{\"key\":\"k\",\"keyEncoding\":\"utf8\",\"value\":\"v1\"", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("{\"revision\":7,\"type\":\"delete\",\"kv\":{\"key\":\"k\",\"keyEncoding\":\"utf8\",\"createRevision\"", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_ExitsWithSuccess_WhenCancelled()
    {
        var cli = new CliHarness(c => c.Events = Events[..1]);
        using var cancel = new CancellationTokenSource();

        var run = cli.RunAsync(cancel.Token, "watch", "k");
        while (!cli.Stdout.Contains("5 PUT", StringComparison.Ordinal))
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();

        Assert.Equal(0, await run);
        Assert.Equal(["5 PUT k v1"], cli.StdoutLines());
    }

    [Theory]
    [InlineData(new[] { "watch", "k", "--prefix", "p" }, "KEY, --prefix cannot be used together")]
    [InlineData(new[] { "watch", "--count", "0" }, "--count must be at least 1")]
    [InlineData(new[] { "watch", "--from-revision", "0" }, "--from-revision must be at least 1")]
    public async Task Watch_ExitsWithUsage_OnBadOptions(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }
}
