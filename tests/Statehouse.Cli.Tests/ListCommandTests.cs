using System.Text;
using Statehouse.Cli.Commands;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class ListCommandTests
{
    [Theory]
    [InlineData(new[] { "list" }, KeyRangeKind.Prefix, "", "")]
    [InlineData(new[] { "list", "--prefix", "cart/" }, KeyRangeKind.Prefix, "cart/", "")]
    [InlineData(new[] { "list", "--from", "a" }, KeyRangeKind.Between, "a", "")]
    [InlineData(new[] { "list", "--from", "a", "--to", "m" }, KeyRangeKind.Between, "a", "m")]
    public async Task List_SelectsRange(string[] args, KeyRangeKind kind, string key, string end)
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync(args));

        var range = (KeyRange)cli.Client.Single("Range").Args[0]!;
        Assert.Equal((kind, key, end), (range.Kind, Encoding.UTF8.GetString(range.Key.Span), Encoding.UTF8.GetString(range.End.Span)));
    }

    [Fact]
    public async Task List_PassesLimitAndKeysOnly()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("list", "--limit", "5", "--keys-only"));

        var options = (RangeOptions)cli.Client.Single("Range").Args[1]!;
        Assert.Equal((5L, true, false), (options.Limit, options.KeysOnly, options.CountOnly));
    }

    [Fact]
    public async Task List_PrintsTable_WithPreviewMetadataAndCaption()
    {
        var longValue = new string('x', 100);
        var cli = new CliHarness(c => c.Range = (_, _) => new RangePage(
            [FakeClient.Entry("cart/1", "apple", 5), FakeClient.Entry("cart/2", longValue, 8, lease: 42)], 2, false, null, 9));

        Assert.Equal(0, await cli.RunAsync("list", "--prefix", "cart/"));

        var lines = cli.StdoutLines();
        Assert.Contains(lines, l => l.Contains("KEY", StringComparison.Ordinal) && l.Contains("VALUE", StringComparison.Ordinal)
            && l.Contains("MOD REV", StringComparison.Ordinal) && l.Contains("VERSION", StringComparison.Ordinal) && l.Contains("LEASE", StringComparison.Ordinal));
        var first = Assert.Single(lines, l => l.Contains("cart/1", StringComparison.Ordinal));
        Assert.Matches(@"cart/1\s+apple\s+5\s+2\s+-", first);
        var second = Assert.Single(lines, l => l.Contains("cart/2", StringComparison.Ordinal));
        Assert.Contains(new string('x', ListCommand.ValuePreviewChars - 1) + "…", second, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', ListCommand.ValuePreviewChars), second, StringComparison.Ordinal);
        Assert.Matches(@"\s8\s+2\s+42", second);
        Assert.Contains(lines, l => l.Contains("2 keys at revision 9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_ShowsBase64_ForValuesThatAreNotUtf8()
    {
        var cli = new CliHarness(c => c.Range = (_, _) => new RangePage(
            [new KeyValueEntry(Encoding.UTF8.GetBytes("bin"), new byte[] { 0xff, 0x00 }, 1, 1, 1, 0)], 1, false, null, 1));

        Assert.Equal(0, await cli.RunAsync("list"));

        Assert.Contains("base64:/wA=", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_OmitsValueColumn_WithKeysOnly()
    {
        var cli = new CliHarness(c => c.Range = (_, _) => new RangePage([FakeClient.Entry("k", string.Empty, 3)], 1, false, null, 3));

        Assert.Equal(0, await cli.RunAsync("list", "--keys-only"));

        Assert.DoesNotContain("VALUE", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NotesMoreKeys_OnStderr_WhenPageIsPartial()
    {
        var cli = new CliHarness(c => c.Range = (_, _) => new RangePage([FakeClient.Entry("a", "1", 2)], 10, true, "tok", 9));

        Assert.Equal(0, await cli.RunAsync("list", "--limit", "1"));

        Assert.Contains("more keys follow (1 shown)", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_FollowsContinuationTokens_WithAll()
    {
        var cli = new CliHarness(c => c.Range = (_, options) => options.Continuation switch
        {
            null => new RangePage([FakeClient.Entry("a", "1", 2)], 3, true, "p2", 9),
            "p2" => new RangePage([FakeClient.Entry("b", "2", 3)], 3, true, "p3", 9),
            _ => new RangePage([FakeClient.Entry("c", "3", 4)], 3, false, null, 9),
        });

        Assert.Equal(0, await cli.RunAsync("list", "--all", "--limit", "1"));

        Assert.Equal(3, cli.Client.Calls.Count(c => c.Name == "Range"));
        Assert.Equal([null, "p2", "p3"], cli.Client.Calls.Select(c => ((RangeOptions)c.Args[1]!).Continuation));
        Assert.Contains("3 keys at revision 9", cli.Stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Stderr);
    }

    [Fact]
    public async Task List_PrintsOneJsonDocument_WithAllAndJson()
    {
        var cli = new CliHarness(c => c.Range = (_, options) => options.Continuation is null
            ? new RangePage([FakeClient.Entry("a", "1", 2)], 2, true, "p2", 9)
            : new RangePage([FakeClient.Entry("b", "2", 3)], 2, false, null, 9));

        Assert.Equal(0, await cli.RunAsync("list", "--all", "--json"));

        var line = Assert.Single(cli.StdoutLines());
        Assert.StartsWith("{\"revision\":9,\"count\":2,\"more\":false,\"items\":[{\"key\":\"a\"", line, StringComparison.Ordinal);
        Assert.Contains("{\"key\":\"b\",\"keyEncoding\":\"utf8\",\"value\":\"2\",\"valueEncoding\":\"utf8\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_PrintsCountOnly_WithCount()
    {
        var cli = new CliHarness(c => c.Range = (_, _) => new RangePage([], 17, false, null, 9));

        Assert.Equal(0, await cli.RunAsync("list", "--prefix", "p", "--count"));

        Assert.True(((RangeOptions)cli.Client.Single("Range").Args[1]!).CountOnly);
        Assert.Equal("17\n", cli.Stdout);
    }

    [Theory]
    [InlineData(new[] { "list", "--prefix", "p", "--from", "a" }, "--prefix, --from cannot be used together")]
    [InlineData(new[] { "list", "--to", "b" }, "--to needs --from")]
    [InlineData(new[] { "list", "--count", "--all" }, "--count, --all cannot be used together")]
    [InlineData(new[] { "list", "--count", "--keys-only" }, "--count, --keys-only cannot be used together")]
    [InlineData(new[] { "list", "--limit", "0" }, "--limit must be at least 1")]
    public async Task List_ExitsWithUsage_OnBadOptions(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }
}
