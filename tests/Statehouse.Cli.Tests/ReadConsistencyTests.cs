using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class ReadConsistencyTests
{
    [Fact]
    public async Task Get_LeavesConsistencyToTheClient_ByDefault()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("get", "k"));

        Assert.Equal(new ReadOptions(), cli.Client.Single("Get").Args[1]);
    }

    [Theory]
    [InlineData(new[] { "--consistency", "linearizable" }, ReadConsistency.Linearizable, null, 0L)]
    [InlineData(new[] { "--consistency", "session" }, ReadConsistency.Session, null, 0L)]
    [InlineData(new[] { "--consistency", "session", "--min-revision", "7" }, ReadConsistency.Session, null, 7L)]
    [InlineData(new[] { "--consistency", "bounded", "--max-staleness-ms", "250" }, ReadConsistency.Bounded, 250.0, 0L)]
    [InlineData(new[] { "--consistency", "bounded", "--min-revision", "3" }, ReadConsistency.Bounded, null, 3L)]
    [InlineData(new[] { "--consistency", "eventual", "--min-revision", "9" }, ReadConsistency.Eventual, null, 9L)]
    public async Task Get_MapsTheConsistencyOptions(string[] flags, ReadConsistency consistency, double? maxStalenessMs, long minRevision)
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync(["get", "k", .. flags]));

        var options = (ReadOptions)cli.Client.Single("Get").Args[1]!;
        Assert.Equal(consistency, options.Consistency);
        Assert.Equal(maxStalenessMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, options.MaxStaleness);
        Assert.Equal(minRevision, options.MinRevision);
    }

    [Fact]
    public async Task List_MapsTheConsistencyOptions_OnEveryPage()
    {
        var cli = new CliHarness(c => c.Range = (_, options) => options.Continuation is null
            ? new RangePage([FakeClient.Entry("a", "1", 2)], 2, true, "p2", 9)
            : new RangePage([FakeClient.Entry("b", "2", 3)], 2, false, null, 9));

        Assert.Equal(0, await cli.RunAsync("list", "--all", "--consistency", "bounded", "--max-staleness-ms", "1500"));

        var pages = cli.Client.Calls.Where(c => c.Name == "Range").Select(c => (RangeOptions)c.Args[1]!).ToArray();
        Assert.Equal(2, pages.Length);
        Assert.All(pages, o => Assert.Equal((ReadConsistency.Bounded, TimeSpan.FromMilliseconds(1500)), (o.Consistency!.Value, o.MaxStaleness!.Value)));
    }

    [Fact]
    public async Task List_WithCount_TakesTheConsistencyToo()
    {
        var cli = new CliHarness(c => c.Range = (_, _) => new RangePage([], 4, false, null, 9));

        Assert.Equal(0, await cli.RunAsync("list", "--count", "--consistency", "eventual"));

        Assert.Equal(ReadConsistency.Eventual, ((RangeOptions)cli.Client.Single("Range").Args[1]!).Consistency);
    }

    [Theory]
    [InlineData(new[] { "get", "k", "--consistency", "strong" }, "strong")]
    [InlineData(new[] { "get", "k", "--max-staleness-ms", "100" }, "--max-staleness-ms needs --consistency bounded")]
    [InlineData(new[] { "get", "k", "--consistency", "session", "--max-staleness-ms", "100" }, "--max-staleness-ms needs --consistency bounded")]
    [InlineData(new[] { "get", "k", "--min-revision", "5" }, "--min-revision needs --consistency session, bounded or eventual")]
    [InlineData(new[] { "get", "k", "--consistency", "linearizable", "--min-revision", "5" }, "--min-revision needs")]
    [InlineData(new[] { "get", "k", "--consistency", "bounded", "--max-staleness-ms", "0" }, "--max-staleness-ms must be at least 1")]
    [InlineData(new[] { "get", "k", "--consistency", "session", "--min-revision", "0" }, "--min-revision must be at least 1")]
    [InlineData(new[] { "list", "--consistency", "fast" }, "fast")]
    [InlineData(new[] { "list", "--max-staleness-ms", "10" }, "--max-staleness-ms needs --consistency bounded")]
    public async Task BadConsistencyOptions_ExitWithUsage_BeforeAnyCall(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
        Assert.Empty(cli.Clients);
    }

    [Fact]
    public async Task Get_WithMeta_SaysWhichNodeServedTheRead()
    {
        var cli = new CliHarness(c => c.Get = (k, _) => new GetResult(FakeClient.Entry(k, "v", 5), 9) { ServedBy = "n2" });

        Assert.Equal(0, await cli.RunAsync("get", "k", "--meta", "--consistency", "eventual"));

        Assert.Contains(cli.StdoutLines(), l => l.Contains("served by", StringComparison.Ordinal) && l.Contains("n2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_Json_CarriesServedBy_WhenTheServerSaidIt()
    {
        var cli = new CliHarness(c => c.Get = (k, _) => new GetResult(FakeClient.Entry(k, "v", 5), 9) { ServedBy = "n3" });

        Assert.Equal(0, await cli.RunAsync("get", "k", "--json"));

        Assert.EndsWith(",\"servedBy\":\"n3\"}\n", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_CaptionAndJson_SayWhichNodeServedThePage()
    {
        var page = new RangePage([FakeClient.Entry("a", "1", 2)], 1, false, null, 9) { ServedBy = "n2" };
        var table = new CliHarness(c => c.Range = (_, _) => page);
        var json = new CliHarness(c => c.Range = (_, _) => page);

        Assert.Equal(0, await table.RunAsync("list"));
        Assert.Equal(0, await json.RunAsync("list", "--json"));

        Assert.Contains("1 keys at revision 9, served by n2", table.Stdout, StringComparison.Ordinal);
        Assert.EndsWith(",\"servedBy\":\"n2\"}\n", json.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linearizable", ReadConsistency.Linearizable)]
    [InlineData("SESSION", ReadConsistency.Session)]
    [InlineData("bounded", ReadConsistency.Bounded)]
    [InlineData("eventual", ReadConsistency.Eventual)]
    public void Parse_MapsEveryName(string name, ReadConsistency expected)
    {
        Assert.Equal(expected, ReadConsistencyOptions.Parse(name));
    }
}
