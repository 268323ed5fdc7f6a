using System.CommandLine;
using Statehouse.Cli.Commands;

namespace Statehouse.Cli;

/// <summary>Registers every command that talks to a node (all but <c>serve</c>).</summary>
internal static class ClientCommands
{
    public const string RootDescription = "Statehouse: a durable, consistent state store for stateless .NET services.";

    public static void Add(RootCommand root, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(context);
        var globals = new GlobalOptions(context.GetEnvironmentVariable);
        Command[] commands =
        [
            PutCommand.Create(context, globals),
            GetCommand.Create(context, globals),
            DeleteCommand.Create(context, globals),
            ListCommand.Create(context, globals),
            IncrementCommand.Create(context, globals),
            WatchCommand.Create(context, globals),
            TxnCommand.Create(context, globals),
            LeaseCommand.Create(context, globals),
            KeyspaceCommand.Create(context, globals),
            MaintenanceCommands.Status(context, globals),
            MaintenanceCommands.Snapshot(context, globals),
            MaintenanceCommands.Compact(context, globals),
            ClusterCommand.Create(context, globals),
        ];
        foreach (var command in commands)
        {
            // Recursive, so that 'lease grant' and 'snapshot save' take them too.
            globals.AddTo(command);
            root.Subcommands.Add(command);
        }
    }

    /// <summary>The whole command tree: <c>serve</c>, <c>dev-cluster</c> and the client commands.</summary>
    public static RootCommand CreateRoot(CliContext context)
    {
        var root = new RootCommand(RootDescription);
        ServeCommand.Add(root);
        DevClusterCommand.Add(root, context);
        Add(root, context);
        return root;
    }
}
