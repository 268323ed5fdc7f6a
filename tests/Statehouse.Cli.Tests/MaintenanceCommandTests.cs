using Statehouse.Cli.Commands;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class MaintenanceCommandTests
{
    [Fact]
    public async Task KeyspaceCreate_SendsLimits_AndPrintsWhatTheServerConfigured()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("keyspace", "create", "carts", "--max-value-bytes", "65536", "--max-keys", "100"));

        var definition = (KeyspaceDefinition)cli.Client.Single("CreateKeyspace").Args[0]!;
        Assert.Equal(new KeyspaceDefinition("carts") { MaxValueBytes = 65536, MaxKeys = 100 }, definition);
        Assert.Equal("created keyspace carts (max key 1024 B, max value 65536 B, max keys 100)\n", cli.Stdout);
    }

    [Theory]
    [InlineData(new[] { "keyspace", "create" }, "Required argument missing")]
    [InlineData(new[] { "keyspace", "create", "" }, "NAME must not be empty")]
    [InlineData(new[] { "keyspace", "create", "k", "--max-keys", "0" }, "--max-keys must be at least 1")]
    [InlineData(new[] { "keyspace", "create", "k", "--max-key-bytes", "99999999999" }, "Cannot parse argument")]
    [InlineData(new[] { "compact", "0" }, "REVISION must be at least 1")]
    [InlineData(new[] { "compact", "1", "2" }, "Unrecognized command or argument '2'")]
    public async Task BadInput_ExitsWithUsage(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyspaceList_PrintsTable()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("keyspace", "list"));

        var lines = cli.StdoutLines();
        Assert.Contains(lines, l => l.Contains("NAME", StringComparison.Ordinal) && l.Contains("MAX VALUE BYTES", StringComparison.Ordinal));
        Assert.Matches(@"default\s+3\s+300\s+1024\s+1048576\s+-", Assert.Single(lines, l => l.Contains("default", StringComparison.Ordinal)));
        Assert.Matches(@"carts\s+0\s+0\s+-\s+-\s+50", Assert.Single(lines, l => l.Contains("carts", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task KeyspaceList_PrintsJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("keyspace", "list", "--json"));

        Assert.StartsWith(
            "{\"keyspaces\":[{\"name\":\"default\",\"maxKeyBytes\":1024,\"maxValueBytes\":1048576,\"maxKeys\":0,\"keys\":3,\"bytes\":300}",
            cli.Stdout,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_PrintsEveryFieldInATable()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("status"));

        var text = cli.Stdout;
        foreach (var (field, value) in new[]
        {
            ("revision", "42"), ("compact revision", "7"), ("applied index", "40"), ("commit index", "41"), ("keys", "3"),
            ("bytes", "4096 (4.0 KiB)"), ("leases", "2"), ("uptime", "1h 2m 3s"), ("snapshot index", "30"), ("WAL bytes", "123"),
            ("node", "n1"), ("term", "4"),
        })
        {
            Assert.Matches($@"(?m)^\s*{field}\s+{System.Text.RegularExpressions.Regex.Escape(value)}\s*$", text);
        }
    }

    [Fact]
    public async Task Status_PrintsJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("status", "--json"));

        Assert.Equal(
            "{\"nodeId\":\"n1\",\"version\":\"1.2.3\",\"revision\":42,\"compactRevision\":7,\"appliedIndex\":40,\"commitIndex\":41,\"keys\":3,\"bytes\":4096,"
            + "\"leases\":2,\"uptimeMs\":3723000,\"snapshotIndex\":30,\"walBytes\":123,\"leader\":\"n1\",\"term\":4}\n",
            cli.Stdout);
    }

    [Fact]
    public async Task SnapshotSave_PrintsIndexBytesPathAndDuration()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("snapshot", "save"));

        Assert.Matches(@"(?m)^\s*index\s+40\s*$", cli.Stdout);
        Assert.Matches(@"(?m)^\s*bytes\s+2048 \(2\.0 KiB\)\s*$", cli.Stdout);
        Assert.Matches(@"(?m)^\s*path\s+/data/snap/40\.snap\s*$", cli.Stdout);
        Assert.Matches(@"(?m)^\s*duration\s+12 ms\s*$", cli.Stdout);
        Assert.Equal("path      /data/snap/40.snap", cli.StdoutLines()[3]);
    }

    [Fact]
    public async Task SnapshotSave_PrintsJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("snapshot", "save", "--json"));

        Assert.Equal("{\"index\":40,\"revision\":42,\"bytes\":2048,\"path\":\"/data/snap/40.snap\",\"durationMs\":12}\n", cli.Stdout);
    }

    [Theory]
    [InlineData(new[] { "compact" }, 0L, "compacted up to revision 42\n")]
    [InlineData(new[] { "compact", "30" }, 30L, "compacted up to revision 30\n")]
    public async Task Compact_DefaultsToCurrentRevision(string[] args, long revision, string output)
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync(args));

        Assert.Equal([revision], cli.Client.Single("Compact").Args);
        Assert.Equal(output, cli.Stdout);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1023, "1023")]
    [InlineData(1536, "1536 (1.5 KiB)")]
    [InlineData(5L * 1024 * 1024, "5242880 (5.0 MiB)")]
    public void Size_ShowsExactBytes_AndBinaryPrefixWhenLarge(long bytes, string expected)
    {
        Assert.Equal(expected, MaintenanceCommands.Size(bytes));
    }

    [Theory]
    [InlineData(0, 0, 0, 0, 250, "250 ms")]
    [InlineData(0, 0, 0, 5, 0, "5s")]
    [InlineData(0, 0, 3, 0, 0, "3m 0s")]
    [InlineData(2, 1, 0, 9, 0, "2d 1h 0m 9s")]
    public void Duration_LeavesOutLeadingZeroUnits(int days, int hours, int minutes, int seconds, int ms, string expected)
    {
        Assert.Equal(expected, MaintenanceCommands.Duration(new TimeSpan(days, hours, minutes, seconds, ms)));
    }
}
