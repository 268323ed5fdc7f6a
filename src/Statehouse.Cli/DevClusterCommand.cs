using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Statehouse.Cli;

/// <summary>
/// <c>statehouse dev-cluster</c>: a Raft cluster of N nodes on 127.0.0.1, each a child process of this CLI, until Ctrl+C.
/// </summary>
internal sealed class DevClusterCommand : Command
{
    public const string CommandName = "dev-cluster";

    /// <summary>
    /// How long the process may take to end after Ctrl+C or SIGTERM: the nodes' grace period, the kill of stragglers,
    /// and a margin. Other commands get 2 s.
    /// </summary>
    public static readonly TimeSpan TerminationTimeout = (DevClusterSupervisor.DefaultStopGrace * 2) + TimeSpan.FromSeconds(2);

    private DevClusterCommand()
        : base(CommandName, "Run a local Raft cluster for development: N nodes on 127.0.0.1, each a child process, until Ctrl+C.")
    {
    }

    public static void Add(RootCommand root, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(context);
        var nodes = new Option<int>("--nodes")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"How many nodes, {DevClusterPlan.MinNodes} to {DevClusterPlan.MaxNodes}."),
            HelpName = "N",
            DefaultValueFactory = _ => DevClusterPlan.DefaultNodes,
        };
        nodes.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1
                && int.TryParse(result.Tokens[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                && n is < DevClusterPlan.MinNodes or > DevClusterPlan.MaxNodes)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--nodes must be between {DevClusterPlan.MinNodes} and {DevClusterPlan.MaxNodes}."));
            }
        });
        var data = new Option<string>("--data")
        {
            Description = "Folder of the nodes' data (DIR/n1, DIR/n2, ...) and logs (DIR/n1.log, ...); kept between runs.",
            HelpName = "DIR",
            DefaultValueFactory = _ => DevClusterPlan.DefaultDataDirectory,
        };
        var basePort = new Option<int>("--base-port")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Node I listens on P+{DevClusterPlan.PortStride}*(I-1) (HTTP), +1 (gRPC), +2 (Raft)."),
            HelpName = "P",
            DefaultValueFactory = _ => DevClusterPlan.DefaultBasePort,
        };
        var command = new DevClusterCommand { nodes, data, basePort };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = Path.GetFullPath(parse.GetValue(data)!);
            var plan = DevClusterPlan.Plan(parse.GetValue(nodes), directory, parse.GetValue(basePort));
            var (fileName, leadingArgs) = DevClusterPlan.ChildCommand(Environment.ProcessPath, Assembly.GetEntryAssembly()?.Location);
            var supervisor = new DevClusterSupervisor(context.Out, context.Error);
            return await supervisor.RunAsync(
                plan,
                node => StartInfo(fileName, leadingArgs, node),
                started => PrintStarted(new CliOutput(context, json: false), directory, started),
                cancellationToken).ConfigureAwait(false);
        });
        root.Subcommands.Add(command);
    }

    /// <summary>The process that runs one node: this CLI again, with <c>serve</c> and the node's flags.</summary>
    internal static ProcessStartInfo StartInfo(string fileName, IReadOnlyList<string> leadingArgs, DevNode node)
    {
        var info = new ProcessStartInfo(fileName);
        foreach (var arg in leadingArgs.Concat(node.ServeArgs))
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    internal static void PrintStarted(CliOutput output, string directory, IReadOnlyList<(DevNode Node, int Pid)> started)
    {
        var table = CliOutput.Table("ID", "HTTP", "GRPC", "RAFT", "PID");
        foreach (var (node, pid) in started)
        {
            CliOutput.AddRow(table, node.Id, node.HttpAddress, node.GrpcAddress, node.RaftAddress, pid.ToString(CultureInfo.InvariantCulture));
        }

        var endpoints = DevClusterPlan.EndpointList(started.Select(s => s.Node));
        output.Line(string.Create(CultureInfo.InvariantCulture, $"dev cluster of {started.Count} nodes; data and logs (nI.log) in {directory}"));
        output.Render(table);
        output.Line($"client endpoints: {endpoints}");
        output.Line($"  export {GlobalOptions.EndpointVariable}={endpoints}");
        output.Line("  statehouse cluster status");
        output.Line("Ctrl+C stops the cluster.");
    }
}
