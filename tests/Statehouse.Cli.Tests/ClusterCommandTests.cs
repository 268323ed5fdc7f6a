using System.Text.RegularExpressions;
using Statehouse.Cli.Commands;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class ClusterCommandTests
{
    [Fact]
    public async Task Members_PrintsATableOfEveryMember()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "members"));

        cli.Client.Single("GetCluster");
        var lines = cli.StdoutLines();
        Assert.Contains(lines, l => l.Contains("ID", StringComparison.Ordinal) && l.Contains("ROLE", StringComparison.Ordinal)
            && l.Contains("RAFT", StringComparison.Ordinal) && l.Contains("HTTP", StringComparison.Ordinal) && l.Contains("GRPC", StringComparison.Ordinal)
            && l.Contains("AVAILABLE", StringComparison.Ordinal) && l.Contains("APPLIED", StringComparison.Ordinal)
            && l.Contains("LAG", StringComparison.Ordinal) && l.Contains("REVISION", StringComparison.Ordinal));
        Assert.Matches(@"n1\s+leader\s+127\.0\.0\.1:7072\s+127\.0\.0\.1:7070\s+127\.0\.0\.1:7071\s+yes\s+120\s+0\s+118", Row(lines, "n1"));
        Assert.Matches(@"n2\s+follower\s+127\.0\.0\.1:7082\s+127\.0\.0\.1:7080\s+127\.0\.0\.1:7081\s+yes\s+115\s+5\s+113", Row(lines, "n2"));
        Assert.Matches(@"n3\s+unknown\s+127\.0\.0\.1:7092\s+-\s+-\s+no\s+0\s+\?\s+0", Row(lines, "n3"));
        Assert.Contains("3 members, leader n1, term 3, as seen by n2", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Members_PrintsTheHttpApisShape_WithJson()
    {
        var cli = new CliHarness(c => c.Cluster = FakeClient.ThreeNodes() with { Members = [FakeClient.ThreeNodes().Members[0]] });

        Assert.Equal(0, await cli.RunAsync("cluster", "members", "--json"));

        Assert.Equal(
            "{\"clustered\":true,\"self\":\"n2\",\"leader\":\"n1\",\"term\":3,\"members\":[{\"id\":\"n1\",\"raftAddress\":\"127.0.0.1:7072\","
            + "\"httpAddress\":\"127.0.0.1:7070\",\"grpcAddress\":\"127.0.0.1:7071\",\"role\":\"leader\",\"available\":true,\"appliedIndex\":120,"
            + "\"commitIndex\":120,\"lag\":0,\"revision\":118,\"term\":3}]}\n",
            cli.Stdout);
    }

    [Fact]
    public async Task Status_SummarizesLeaderTermHealthAndLag()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "status"));

        var lines = cli.StdoutLines();
        Assert.Matches(@"leader\s+n1", Assert.Single(lines, l => l.Contains("leader", StringComparison.Ordinal)));
        Assert.Matches(@"term\s+3", Assert.Single(lines, l => l.Contains("term", StringComparison.Ordinal)));
        Assert.Matches(@"members\s+3", Assert.Single(lines, l => l.Contains("members", StringComparison.Ordinal)));
        Assert.Matches(@"healthy\s+2 of 3", Assert.Single(lines, l => l.Contains("healthy", StringComparison.Ordinal)));
        Assert.Matches(@"max lag\s+5 \(1 unknown\)", Assert.Single(lines, l => l.Contains("max lag", StringComparison.Ordinal)));
        Assert.Equal(string.Empty, cli.Stderr);
    }

    [Fact]
    public async Task Status_PrintsJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "status", "--json"));

        Assert.Equal("{\"leader\":\"n1\",\"term\":3,\"members\":3,\"healthy\":2,\"maxLag\":5,\"clustered\":true,\"self\":\"n2\"}\n", cli.Stdout);
    }

    [Fact]
    public async Task Status_ExitsUnavailable_WhenThereIsNoLeader()
    {
        var cli = new CliHarness(c => c.Cluster = FakeClient.ThreeNodes() with { LeaderId = null });

        Assert.Equal(6, await cli.RunAsync("cluster", "status"));

        Assert.Matches(@"leader\s+none", Assert.Single(cli.StdoutLines(), l => l.Contains("leader", StringComparison.Ordinal)));
        Assert.StartsWith("error: Unavailable: the cluster has no leader in term 3", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfASingleNode_NamesItAsLeader()
    {
        var single = new ClusterInfo
        {
            Clustered = false,
            Self = "n1",
            Members = [new ClusterMemberInfo { Id = "n1", RaftAddress = string.Empty, Role = "leader", Available = true }],
        };
        var cli = new CliHarness(c => c.Cluster = single);

        Assert.Equal(0, await cli.RunAsync("cluster", "status"));

        Assert.Matches(@"leader\s+n1", Assert.Single(cli.StdoutLines(), l => l.Contains("leader", StringComparison.Ordinal)));
        Assert.Contains("no (a single node)", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_SendsTheRaftAddress_AndPrintsTheNewMembership()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "add", "127.0.0.1:7102"));

        Assert.Equal(["127.0.0.1:7102"], cli.Client.Single("AddMember").Args);
        Assert.Equal("added 127.0.0.1:7102", cli.StdoutLines()[0]);
        Assert.Contains("3 members", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_SendsTheMember_AndPrintsTheNewMembership()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "remove", "n3"));

        Assert.Equal(["n3"], cli.Client.Single("RemoveMember").Args);
        Assert.Equal("removed n3", cli.StdoutLines()[0]);
    }

    [Fact]
    public async Task Remove_PrintsOnlyJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "remove", "127.0.0.1:7092", "--json"));

        Assert.StartsWith("{\"clustered\":true,", Assert.Single(cli.StdoutLines()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "cluster", "add", "nohost" }, "RAFTADDR 'nohost' is not HOST:PORT")]
    [InlineData(new[] { "cluster", "add", "127.0.0.1:0" }, "is not HOST:PORT")]
    [InlineData(new[] { "cluster", "add", "127.0.0.1:99999" }, "is not HOST:PORT")]
    [InlineData(new[] { "cluster", "add" }, "Required argument missing")]
    [InlineData(new[] { "cluster", "remove", "" }, "MEMBER must not be empty")]
    [InlineData(new[] { "cluster" }, "Required command was not provided")]
    public async Task BadInput_ExitsWithUsage(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
        Assert.Empty(cli.Clients);
    }

    [Fact]
    public async Task ClusterCommands_TakeTheGlobalOptions()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("cluster", "members", "--endpoint", "http://n2:7081"));

        Assert.Equal([new Uri("http://n2:7081")], cli.Client.Settings.Endpoints);
    }

    [Fact]
    public void Summarize_HasNoMaxLag_WhenNoMemberAnswered()
    {
        var info = FakeClient.ThreeNodes() with
        {
            Members = [new ClusterMemberInfo { Id = "n1", RaftAddress = "a:1", Role = "unknown", Lag = -1 }],
        };

        var summary = ClusterCommand.Summarize(info);

        Assert.Equal(new ClusterCommand.ClusterSummary("n1", 0, null, 1), summary);
    }

    private static string Row(string[] lines, string id) => Assert.Single(lines, l => Regex.IsMatch(l, $@"^\s*{id}\s"));
}
