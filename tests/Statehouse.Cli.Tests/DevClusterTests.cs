using Statehouse.Cli.Tests.Support;

namespace Statehouse.Cli.Tests;

public sealed class DevClusterTests
{
    [Fact]
    public void Plan_GivesEachNodeItsPortsFolderAndServeArguments()
    {
        var plan = DevClusterPlan.Plan(3, "/tmp/dc", 7100);

        Assert.Equal(["n1", "n2", "n3"], plan.Select(n => n.Id));
        Assert.Equal(["127.0.0.1:7100", "127.0.0.1:7110", "127.0.0.1:7120"], plan.Select(n => n.HttpAddress));
        Assert.Equal(["127.0.0.1:7101", "127.0.0.1:7111", "127.0.0.1:7121"], plan.Select(n => n.GrpcAddress));
        Assert.Equal(["127.0.0.1:7102", "127.0.0.1:7112", "127.0.0.1:7122"], plan.Select(n => n.RaftAddress));
        Assert.Equal(Path.Combine("/tmp/dc", "n2"), plan[1].DataDirectory);
        Assert.Equal(Path.Combine("/tmp/dc", "n2.log"), plan[1].LogPath);
        Assert.Equal(
            [
                "serve", "--node-id", "n2", "--data", Path.Combine("/tmp/dc", "n2"),
                "--http", "127.0.0.1:7110", "--grpc", "127.0.0.1:7111", "--raft", "127.0.0.1:7112",
                "--initial-cluster", "n1=127.0.0.1:7102,n2=127.0.0.1:7112,n3=127.0.0.1:7122",
            ],
            plan[1].ServeArgs);
    }

    [Fact]
    public void Plan_OfOneNode_IsAOneMemberCluster()
    {
        var node = Assert.Single(DevClusterPlan.Plan(1, "d", 9000));

        Assert.Equal(["--initial-cluster", "n1=127.0.0.1:9002"], node.ServeArgs.TakeLast(2));
    }

    [Fact]
    public void Plan_ArgumentsPassServesOwnValidation()
    {
        foreach (var node in DevClusterPlan.Plan(7, "d", 7100))
        {
            var args = node.ServeArgs.ToList();
            var options = ServeCommand.ApplyClusterFlags(
                new Statehouse.Server.ServerOptions { NodeId = node.Id, HttpEndpoint = node.HttpAddress, GrpcEndpoint = node.GrpcAddress },
                new ServeClusterFlags { Raft = args[args.IndexOf("--raft") + 1], InitialCluster = args[args.IndexOf("--initial-cluster") + 1] },
                out var warnings);

            Assert.Equal(7, options.InitialCluster.Count);
            Assert.Empty(warnings);
        }
    }

    [Theory]
    [InlineData(0, 7100, "--nodes must be between 1 and 7")]
    [InlineData(8, 7100, "--nodes must be between 1 and 7")]
    [InlineData(3, 0, "--base-port 0 does not leave room")]
    [InlineData(3, 65514, "ports 65514..65536")]
    public void Plan_RejectsOutOfRangeCountsAndPorts(int nodes, int basePort, string message)
    {
        var error = Assert.Throws<CliUsageException>(() => DevClusterPlan.Plan(nodes, "d", basePort));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_FitsTheLastPort_Exactly()
    {
        Assert.Equal("127.0.0.1:65535", DevClusterPlan.Plan(3, "d", 65513)[2].RaftAddress);
    }

    [Theory]
    [InlineData("/usr/share/dotnet/dotnet", "/app/statehouse.dll", "/usr/share/dotnet/dotnet", new[] { "/app/statehouse.dll" })]
    [InlineData("/app/statehouse", "/app/statehouse.dll", "/app/statehouse", new string[0])]
    [InlineData("/app/statehouse", null, "/app/statehouse", new string[0])]
    public void ChildCommand_AddsTheAssembly_OnlyUnderTheDotnetHost(string processPath, string? entry, string fileName, string[] leading)
    {
        var (file, args) = DevClusterPlan.ChildCommand(processPath, entry);

        Assert.Equal(fileName, file);
        Assert.Equal(leading, args);
    }

    [Fact]
    public void ChildCommand_Fails_WithoutAProcessPath_OrAnAssemblyUnderDotnet()
    {
        Assert.Throws<InvalidOperationException>(() => DevClusterPlan.ChildCommand(null, "/app/statehouse.dll"));
        Assert.Throws<InvalidOperationException>(() => DevClusterPlan.ChildCommand("/usr/bin/dotnet", ""));
    }

    [Fact]
    public void StartInfo_PutsTheLeadingArgumentsBeforeServe()
    {
        var node = DevClusterPlan.Plan(2, "d", 7100)[0];

        var info = DevClusterCommand.StartInfo("/usr/bin/dotnet", ["/app/statehouse.dll"], node);

        Assert.Equal("/usr/bin/dotnet", info.FileName);
        Assert.Equal(["/app/statehouse.dll", .. node.ServeArgs], info.ArgumentList);
    }

    [Fact]
    public void EndpointList_IsReadyForStatehouseEndpoint()
    {
        var endpoints = DevClusterPlan.EndpointList(DevClusterPlan.Plan(3, "d", 7100));

        Assert.Equal("http://127.0.0.1:7101,http://127.0.0.1:7111,http://127.0.0.1:7121", endpoints);
        Assert.True(GlobalOptions.TryParseEndpoints([endpoints], out var parsed, out _));
        Assert.Equal(3, parsed.Count);
    }

    [Theory]
    [InlineData(new[] { "dev-cluster", "--nodes", "8" }, "--nodes must be between 1 and 7")]
    [InlineData(new[] { "dev-cluster", "--nodes", "0" }, "--nodes must be between 1 and 7")]
    [InlineData(new[] { "dev-cluster", "--base-port", "65530" }, "does not leave room")]
    public async Task DevCluster_ExitsWithUsage_OnBadArguments(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TerminationTimeout_LetsDevClusterStopItsNodes()
    {
        var root = ClientCommands.CreateRoot(new CliHarness().Context);
        var devCluster = root.Subcommands.Single(c => c.Name == "dev-cluster");
        var get = root.Subcommands.Single(c => c.Name == "get");

        Assert.True(CliRunner.TerminationTimeout(devCluster) > DevClusterSupervisor.DefaultStopGrace * 2);
        Assert.Equal(TimeSpan.FromSeconds(2), CliRunner.TerminationTimeout(get));
    }

    [Fact]
    public void PrintStarted_ShowsEveryNodeAndTheEndpointList()
    {
        var harness = new CliHarness();
        var plan = DevClusterPlan.Plan(2, "/tmp/dc", 7100);

        DevClusterCommand.PrintStarted(new CliOutput(harness.Context, json: false), "/tmp/dc", [(plan[0], 101), (plan[1], 102)]);

        var text = harness.Stdout;
        Assert.Matches(@"n1\s+127\.0\.0\.1:7100\s+127\.0\.0\.1:7101\s+127\.0\.0\.1:7102\s+101", text);
        Assert.Matches(@"n2\s+127\.0\.0\.1:7110\s+127\.0\.0\.1:7111\s+127\.0\.0\.1:7112\s+102", text);
        Assert.Contains("export STATEHOUSE_ENDPOINT=http://127.0.0.1:7101,http://127.0.0.1:7111", text, StringComparison.Ordinal);
    }
}
