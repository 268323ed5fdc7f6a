using System.Text;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class KvCommandTests
{
    [Fact]
    public async Task Put_SendsKeyValueAndOptions_AndPrintsRevision()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("put", "cart/1", "héllo", "--ttl", "30", "--if-mod-revision", "7"));

        var (_, args) = cli.Client.Single("Put");
        Assert.Equal("cart/1", args[0]);
        Assert.Equal(Encoding.UTF8.GetBytes("héllo"), (byte[])args[1]!);
        var options = (PutOptions)args[2]!;
        Assert.Equal(Precondition.IfModRevision(7), options.Precondition);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Ttl);
        Assert.Equal(0, options.Lease);
        Assert.False(options.ReturnPrevious);
        Assert.Equal("10\n", cli.Stdout);
    }

    [Theory]
    [InlineData("--if-absent", null, PreconditionKind.IfAbsent, 0)]
    [InlineData("--if-version", "0", PreconditionKind.IfVersion, 0)]
    [InlineData("--if-version", "3", PreconditionKind.IfVersion, 3)]
    [InlineData("--if-mod-revision", "9", PreconditionKind.IfModRevision, 9)]
    public async Task Put_MapsPreconditionOptions(string option, string? value, PreconditionKind kind, long expected)
    {
        var cli = new CliHarness();
        string[] args = value is null ? ["put", "k", "v", option] : ["put", "k", "v", option, value];

        Assert.Equal(0, await cli.RunAsync(args));

        var options = (PutOptions)cli.Client.Single("Put").Args[2]!;
        Assert.Equal(kind, options.Precondition.Kind);
        Assert.Equal(expected, options.Precondition.Value);
    }

    [Fact]
    public async Task Put_AttachesLease_AndPrintsPreviousValue_WithPrev()
    {
        var cli = new CliHarness(c => c.Put = (k, _, _) => new PutResult(21, FakeClient.Entry(k, "old", 20), 0));

        Assert.Equal(0, await cli.RunAsync("put", "k", "new", "--lease", "5", "--prev"));

        var options = (PutOptions)cli.Client.Single("Put").Args[2]!;
        Assert.Equal(5, options.Lease);
        Assert.True(options.ReturnPrevious);
        Assert.Equal(["21", "old"], cli.StdoutLines());
    }

    [Fact]
    public async Task Put_ReadsValueFromFile_ByteForByte()
    {
        var path = Path.GetTempFileName();
        byte[] bytes = [0xff, 0x00, 0x41, 0x0a];
        await File.WriteAllBytesAsync(path, bytes);
        try
        {
            var cli = new CliHarness();

            Assert.Equal(0, await cli.RunAsync("put", "bin", "--file", path));

            Assert.Equal(bytes, (byte[])cli.Client.Single("Put").Args[1]!);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Put_ReadsValueFromStdin_WhenValueIsDash()
    {
        var cli = new CliHarness { Stdin = Encoding.UTF8.GetBytes("from stdin\n") };

        Assert.Equal(0, await cli.RunAsync("put", "k", "-"));

        Assert.Equal("from stdin\n", Encoding.UTF8.GetString((byte[])cli.Client.Single("Put").Args[1]!));
    }

    [Fact]
    public async Task Put_PrintsJson_WithJson()
    {
        var cli = new CliHarness(c => c.Put = (_, _, _) => new PutResult(10, null, 99));

        Assert.Equal(0, await cli.RunAsync("put", "k", "v", "--ttl", "5", "--json"));

        Assert.Equal("{\"revision\":10,\"lease\":99}\n", cli.Stdout);
    }

    [Theory]
    [InlineData(new[] { "put", "k" }, "exactly one of them")]
    [InlineData(new[] { "put", "k", "v", "--file", "f" }, "exactly one of them")]
    [InlineData(new[] { "put", "k", "v", "--if-absent", "--if-version", "1" }, "--if-absent, --if-version cannot be used together")]
    [InlineData(new[] { "put", "k", "v", "--if-mod-revision", "1", "--if-version", "1" }, "cannot be used together")]
    [InlineData(new[] { "put", "k", "v", "--ttl", "5", "--lease", "3" }, "--ttl, --lease cannot be used together")]
    [InlineData(new[] { "put", "k", "v", "--ttl", "0" }, "--ttl must be at least 1")]
    [InlineData(new[] { "put", "k", "v", "--if-mod-revision", "-1" }, "--if-mod-revision must be at least 0")]
    [InlineData(new[] { "put", "k", "v", "--lease", "x" }, "Cannot parse argument 'x'")]
    [InlineData(new[] { "put", "", "v" }, "KEY must not be empty")]
    [InlineData(new[] { "put", "k", "v", "extra" }, "Unrecognized command or argument 'extra'")]
    [InlineData(new[] { "get" }, "Required argument missing")]
    [InlineData(new[] { "get", "k", "--revision", "0" }, "--revision must be at least 1")]
    [InlineData(new[] { "incr", "k", "--by", "lots" }, "Cannot parse argument 'lots'")]
    public async Task BadInput_ExitsWithUsage_AndSaysWhy(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
        Assert.Empty(cli.Clients);
    }

    [Fact]
    public async Task Put_ExitsWithUsage_WhenFileCannotBeRead()
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("put", "k", "--file", "/nonexistent/dir/value.bin"));

        Assert.Contains("cannot read '/nonexistent/dir/value.bin'", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_PrintsRawValue_WithoutDecoration()
    {
        byte[] value = [0xff, 0xfe, 0x00, 0x01];
        var cli = new CliHarness(c => c.Get = (k, _) => new GetResult(new KeyValueEntry(Encoding.UTF8.GetBytes(k), value, 1, 2, 1, 0), 3));

        Assert.Equal(0, await cli.RunAsync("get", "bin"));

        Assert.Equal(value, cli.StdoutBytes);
    }

    [Fact]
    public async Task Get_PassesRevision()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("get", "k", "--revision", "4"));

        var (_, args) = cli.Client.Single("Get");
        Assert.Equal("k", args[0]);
        Assert.Equal(new ReadOptions { Revision = 4 }, args[1]);
        Assert.Equal("value", cli.Stdout);
    }

    [Fact]
    public async Task Get_ExitsWithNotFoundCode_WhenKeyIsMissing()
    {
        var cli = new CliHarness(c => c.Get = (_, _) => new GetResult(null, 8));

        Assert.Equal(3, await cli.RunAsync("get", "missing", "--keyspace", "carts"));

        Assert.Equal("error: NotFound: key 'missing' not found in keyspace 'carts'\n", cli.Stderr);
        Assert.Equal(string.Empty, cli.Stdout);
    }

    [Fact]
    public async Task Get_AddsMetadataTable_WithMeta()
    {
        var cli = new CliHarness(c => c.Get = (k, _) => new GetResult(FakeClient.Entry(k, "v", 5, lease: 77), 9));

        Assert.Equal(0, await cli.RunAsync("get", "k", "--meta"));

        var lines = cli.StdoutLines();
        Assert.Equal("v", lines[0]);
        Assert.Contains(lines, l => l.Contains("mod revision", StringComparison.Ordinal) && l.Contains('5', StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("create revision", StringComparison.Ordinal) && l.Contains('4', StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("lease", StringComparison.Ordinal) && l.Contains("77", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("read at revision", StringComparison.Ordinal) && l.Contains('9', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_PrintsEntryJson_FlaggingBase64_WhenValueIsNotUtf8()
    {
        var cli = new CliHarness(c => c.Get = (k, _) => new GetResult(new KeyValueEntry(Encoding.UTF8.GetBytes(k), new byte[] { 0xff, 0x00 }, 1, 2, 1, 0), 3));

        Assert.Equal(0, await cli.RunAsync("get", "bin", "--json"));

        Assert.Equal(
            "{\"revision\":3,\"kv\":{\"key\":\"bin\",\"keyEncoding\":\"utf8\",\"value\":\"/wA=\",\"valueEncoding\":\"base64\",\"createRevision\":1,\"modRevision\":2,\"version\":1,\"lease\":0}}\n",
            cli.Stdout);
    }

    [Theory]
    [InlineData(new[] { "del", "k" }, KeyRangeKind.Single, "k", "")]
    [InlineData(new[] { "del", "--prefix", "cart/" }, KeyRangeKind.Prefix, "cart/", "")]
    [InlineData(new[] { "del", "--from", "a", "--to", "m" }, KeyRangeKind.Between, "a", "m")]
    public async Task Del_SelectsKeyPrefixOrRange_AndPrintsCount(string[] args, KeyRangeKind kind, string key, string end)
    {
        var cli = new CliHarness(c => c.Delete = (_, _) => new DeleteResult(3, [], 11));

        Assert.Equal(0, await cli.RunAsync(args));

        var range = (KeyRange)cli.Client.Single("Delete").Args[0]!;
        Assert.Equal(kind, range.Kind);
        Assert.Equal(key, Encoding.UTF8.GetString(range.Key.Span));
        Assert.Equal(end, Encoding.UTF8.GetString(range.End.Span));
        Assert.Equal("3\n", cli.Stdout);
    }

    [Fact]
    public async Task Del_PassesPrecondition_AndPrintsJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("del", "k", "--if-mod-revision", "4", "--json"));

        Assert.Equal(Precondition.IfModRevision(4), ((DeleteOptions)cli.Client.Single("Delete").Args[1]!).Precondition);
        Assert.Equal("{\"revision\":11,\"deleted\":1}\n", cli.Stdout);
    }

    [Theory]
    [InlineData(new[] { "del" }, "exactly one")]
    [InlineData(new[] { "del", "k", "--prefix", "p" }, "exactly one")]
    [InlineData(new[] { "del", "--prefix", "p", "--from", "a", "--to", "b" }, "exactly one")]
    [InlineData(new[] { "del", "--prefix", "" }, "--prefix must not be empty")]
    [InlineData(new[] { "del", "--from", "a" }, "--from and --to go together")]
    [InlineData(new[] { "del", "--prefix", "p", "--to", "b" }, "--from and --to go together")]
    [InlineData(new[] { "del", "--prefix", "p", "--if-mod-revision", "3" }, "--if-mod-revision applies to a single KEY")]
    public async Task Del_ExitsWithUsage_OnBadSelection(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "incr", "n" }, 1L)]
    [InlineData(new[] { "incr", "n", "--by", "5" }, 5L)]
    [InlineData(new[] { "incr", "n", "--by", "-5" }, -5L)]
    public async Task Incr_SendsDelta_AndPrintsNewValue(string[] args, long delta)
    {
        var cli = new CliHarness(c => c.Increment = (_, d) => new IncrementResult(100 + d, 13));

        Assert.Equal(0, await cli.RunAsync(args));

        Assert.Equal(["n", delta], cli.Client.Single("Increment").Args);
        Assert.Equal($"{100 + delta}\n", cli.Stdout);
    }

    [Fact]
    public async Task Incr_PrintsJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("incr", "n", "--by", "2", "--json"));

        Assert.Equal("{\"value\":2,\"revision\":13}\n", cli.Stdout);
    }
}
