using Statehouse.Cli.Tests.Support;
using Statehouse.Server;

namespace Statehouse.Cli.Tests;

public sealed class ServeCommandTests
{
    private static readonly ServerOptions Node = new() { NodeId = "n1", HttpEndpoint = "127.0.0.1:7070", GrpcEndpoint = "127.0.0.1:7071" };

    [Fact]
    public void ApplyClusterFlags_KeepsASingleNode_WhenNoFlagIsGiven()
    {
        var options = ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags(), out var warnings);

        Assert.False(options.Clustered);
        Assert.Null(options.RaftEndpoint);
        Assert.Empty(warnings);
        Assert.Equal(Node, options with { InitialCluster = Node.InitialCluster, Join = Node.Join });
    }

    [Fact]
    public void ApplyClusterFlags_MapsEveryFlag()
    {
        var flags = new ServeClusterFlags
        {
            Raft = " 127.0.0.1:7072 ",
            InitialCluster = "n1=127.0.0.1:7072, n2=127.0.0.1:7082 ,n3=node3.local:7092",
            ElectionTimeoutMinMs = 150,
            ElectionTimeoutMaxMs = 300,
            RaftRequestTimeoutMs = 900,
            MaxStalenessMs = 250,
            SessionWaitMs = 0,
        };

        var options = ServeCommand.ApplyClusterFlags(Node, flags, out var warnings);

        Assert.True(options.Clustered);
        Assert.Equal("127.0.0.1:7072", options.RaftEndpoint);
        Assert.Equal(["n1=127.0.0.1:7072", "n2=127.0.0.1:7082", "n3=node3.local:7092"], options.InitialCluster);
        Assert.Empty(options.Join);
        Assert.Equal((150, 300, 900, 250, 0), (options.ElectionTimeoutMinMs, options.ElectionTimeoutMaxMs, options.RaftRequestTimeoutMs, options.DefaultMaxStalenessMs, options.SessionReadWaitMs));
        Assert.Empty(warnings);
    }

    [Fact]
    public void ApplyClusterFlags_NormalizesJoinUrls()
    {
        var flags = new ServeClusterFlags { Raft = "127.0.0.1:7102", Join = "127.0.0.1:7070,http://127.0.0.1:7080/v1/cluster, https://n3:7090,127.0.0.1:7070" };

        var options = ServeCommand.ApplyClusterFlags(Node, flags, out _);

        Assert.Equal(["http://127.0.0.1:7070", "http://127.0.0.1:7080", "https://n3:7090"], options.Join);
        Assert.Empty(options.InitialCluster);
        Assert.True(options.Clustered);
    }

    [Fact]
    public void ApplyClusterFlags_KeepsTheServerDefaults_ForFlagsNotGiven()
    {
        var defaults = new ServerOptions();

        var options = ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { Raft = "127.0.0.1:7072", InitialCluster = "n1=127.0.0.1:7072" }, out _);

        Assert.Equal(
            (defaults.ElectionTimeoutMinMs, defaults.ElectionTimeoutMaxMs, defaults.RaftRequestTimeoutMs, defaults.DefaultMaxStalenessMs, defaults.SessionReadWaitMs),
            (options.ElectionTimeoutMinMs, options.ElectionTimeoutMaxMs, options.RaftRequestTimeoutMs, options.DefaultMaxStalenessMs, options.SessionReadWaitMs));
    }

    [Fact]
    public void ApplyClusterFlags_WarnsThatRaftAloneHasNoEffect()
    {
        var options = ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { Raft = "127.0.0.1:7072" }, out var warnings);

        Assert.False(options.Clustered);
        Assert.Contains("--raft has no effect", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyClusterFlags_AcceptsTwoSpellingsOfTheSameRaftAddress()
    {
        var options = ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { Raft = "localhost:7072", InitialCluster = "n1=127.0.0.1:7072" }, out _);

        Assert.Equal("localhost:7072", options.RaftEndpoint);
    }

    [Fact]
    public void ApplyClusterFlags_AcceptsIpv6Addresses_InBrackets()
    {
        var options = ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { Raft = "[::1]:7072", InitialCluster = "n1=[::1]:7072" }, out _);

        Assert.Equal("[::1]:7072", options.RaftEndpoint);
    }

    [Theory]
    [InlineData("n1=127.0.0.1:7072", null, null, "--raft HOST:PORT is required with --initial-cluster")]
    [InlineData(null, "http://127.0.0.1:7070", null, "--raft HOST:PORT is required with --join")]
    [InlineData("n1=127.0.0.1:7072", "http://127.0.0.1:7070", "127.0.0.1:7072", "cannot be used together")]
    [InlineData("n1=127.0.0.1:7072", null, "127.0.0.1", "--raft '127.0.0.1' is not HOST:PORT")]
    [InlineData("n1=127.0.0.1:7072", null, "127.0.0.1:70000", "is not HOST:PORT")]
    [InlineData("n1=127.0.0.1:7072", null, "127.0.0.1:7071", "already this node's HTTP or gRPC endpoint")]
    [InlineData("127.0.0.1:7072", null, "127.0.0.1:7072", "entry '127.0.0.1:7072' is not id=HOST:PORT")]
    [InlineData("=127.0.0.1:7072", null, "127.0.0.1:7072", "is not id=HOST:PORT")]
    [InlineData("n 1=127.0.0.1:7072", null, "127.0.0.1:7072", "is not id=HOST:PORT")]
    [InlineData("n1=127.0.0.1", null, "127.0.0.1:7072", "'127.0.0.1' is not HOST:PORT")]
    [InlineData("n1=host:port", null, "127.0.0.1:7072", "'host:port' is not HOST:PORT")]
    [InlineData("n1=127.0.0.1:7072,n1=127.0.0.1:7082", null, "127.0.0.1:7072", "names member 'n1' twice")]
    [InlineData("n1=127.0.0.1:7072,n2=127.0.0.1:7072", null, "127.0.0.1:7072", "gives the Raft address 127.0.0.1:7072 to two members")]
    [InlineData("n2=127.0.0.1:7082,n3=127.0.0.1:7092", null, "127.0.0.1:7072", "must list this node (--node-id n1)")]
    [InlineData(" , ", null, "127.0.0.1:7072", "--initial-cluster needs at least one id=HOST:PORT")]
    [InlineData("n1=127.0.0.1:7082,n2=127.0.0.1:7072", null, "127.0.0.1:7072", "lists this node as n1=127.0.0.1:7082, but --raft is 127.0.0.1:7072")]
    [InlineData(null, ",", "127.0.0.1:7072", "--join needs at least one URL")]
    [InlineData(null, "ftp://127.0.0.1:21", "127.0.0.1:7072", "--join 'ftp://127.0.0.1:21' is not an http:// or https:// URL")]
    public void ApplyClusterFlags_RejectsBadMembershipFlags(string? initialCluster, string? join, string? raft, string message)
    {
        var flags = new ServeClusterFlags { InitialCluster = initialCluster, Join = join, Raft = raft };

        var error = Assert.Throws<CliUsageException>(() => ServeCommand.ApplyClusterFlags(Node, flags, out _));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(49, 1000, "--election-timeout-min-ms must be at least 50, not 49")]
    [InlineData(500, 500, "--election-timeout-min-ms (500) must be less than --election-timeout-max-ms (500)")]
    [InlineData(1200, null, "--election-timeout-min-ms (1200) must be less than --election-timeout-max-ms (1000)")]
    [InlineData(null, 400, "--election-timeout-min-ms (500) must be less than --election-timeout-max-ms (400)")]
    public void ApplyClusterFlags_RejectsBadElectionTimeouts(int? min, int? max, string message)
    {
        var flags = new ServeClusterFlags { Raft = "127.0.0.1:7072", InitialCluster = "n1=127.0.0.1:7072", ElectionTimeoutMinMs = min, ElectionTimeoutMaxMs = max };

        var error = Assert.Throws<CliUsageException>(() => ServeCommand.ApplyClusterFlags(Node, flags, out _));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyClusterFlags_RejectsNonPositiveTimeouts()
    {
        Assert.Throws<CliUsageException>(() => ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { RaftRequestTimeoutMs = 0 }, out _));
        Assert.Throws<CliUsageException>(() => ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { MaxStalenessMs = 0 }, out _));
        Assert.Throws<CliUsageException>(() => ServeCommand.ApplyClusterFlags(Node, new ServeClusterFlags { SessionWaitMs = -1 }, out _));
    }

    [Theory]
    [InlineData(new[] { "serve", "--initial-cluster", "n1=127.0.0.1:7072" }, "--raft HOST:PORT is required")]
    [InlineData(new[] { "serve", "--raft", "127.0.0.1:7072", "--initial-cluster", "n1:7072" }, "is not id=HOST:PORT")]
    [InlineData(new[] { "serve", "--raft", "127.0.0.1:7072", "--join", "http://127.0.0.1:7070", "--election-timeout-min-ms", "20" }, "must be at least 50")]
    [InlineData(new[] { "serve", "--raft-request-timeout-ms", "0" }, "--raft-request-timeout-ms must be at least 1")]
    [InlineData(new[] { "serve", "--session-wait-ms", "-1" }, "--session-wait-ms must be at least 0")]
    [InlineData(new[] { "serve", "--max-staleness-ms", "soon" }, "soon")]
    public async Task Serve_ExitsWithUsage_OnBadClusterFlags_BeforeStarting(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.StartsWith("error: Usage: ", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Help_ListsTheClusterFlags()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("serve", "--help"));

        foreach (var flag in new[] { "--raft", "--initial-cluster", "--join", "--election-timeout-min-ms", "--election-timeout-max-ms", "--raft-request-timeout-ms", "--max-staleness-ms", "--session-wait-ms" })
        {
            Assert.Contains(flag, cli.Stdout, StringComparison.Ordinal);
        }
    }
}
