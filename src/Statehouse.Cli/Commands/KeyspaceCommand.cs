using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse keyspace create|list</c>.</summary>
internal static class KeyspaceCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var keyspace = new Command("keyspace", "Create and list keyspaces (named key sets with their own limits).");
        keyspace.Subcommands.Add(CreateKeyspace(context, globals));
        keyspace.Subcommands.Add(List(context, globals));
        return keyspace;
    }

    private static Command CreateKeyspace(CliContext context, GlobalOptions globals)
    {
        var name = new Argument<string>("NAME") { Description = "The keyspace's name." }.NotEmpty();
        var maxKeyBytes = new Option<int?>("--max-key-bytes") { Description = "Largest key (default: the node's).", HelpName = "N" }.AtLeast(1);
        var maxValueBytes = new Option<int?>("--max-value-bytes") { Description = "Largest value (default: the node's).", HelpName = "N" }.AtLeast(1);
        var maxKeys = new Option<long?>("--max-keys") { Description = "Most keys (default: unlimited).", HelpName = "N" }.AtLeast(1);
        var command = new Command("create", "Create a keyspace.") { name, maxKeyBytes, maxValueBytes, maxKeys };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var definition = new KeyspaceDefinition(run.Get(name)!)
            {
                MaxKeyBytes = run.Get(maxKeyBytes) ?? 0,
                MaxValueBytes = run.Get(maxValueBytes) ?? 0,
                MaxKeys = run.Get(maxKeys) ?? 0,
            };
            var created = await run.Client.CreateKeyspaceAsync(definition, run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(ToJson(created));
            }
            else
            {
                run.Output.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"created keyspace {created.Name} (max key {Limit(created.MaxKeyBytes, "B")}, max value {Limit(created.MaxValueBytes, "B")}, max keys {Limit(created.MaxKeys, string.Empty)})"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context, GlobalOptions globals)
    {
        var command = new Command("list", "List the keyspaces with their usage and limits.");
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var keyspaces = await run.Client.ListKeyspacesAsync(run.CancellationToken).ConfigureAwait(false);
            Print(run.Output, keyspaces);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static void Print(CliOutput output, IReadOnlyList<KeyspaceDescription> keyspaces)
    {
        if (output.IsJson)
        {
            output.Json(new KeyspaceListJson(keyspaces.Select(k => ToJson(k.Definition) with { Keys = k.Keys, Bytes = k.Bytes }).ToArray()));
            return;
        }

        var table = CliOutput.Table("NAME", "KEYS", "BYTES", "MAX KEY BYTES", "MAX VALUE BYTES", "MAX KEYS");
        foreach (var keyspace in keyspaces)
        {
            var d = keyspace.Definition;
            CliOutput.AddRow(
                table,
                d.Name,
                keyspace.Keys.ToString(CultureInfo.InvariantCulture),
                keyspace.Bytes.ToString(CultureInfo.InvariantCulture),
                Limit(d.MaxKeyBytes, string.Empty),
                Limit(d.MaxValueBytes, string.Empty),
                Limit(d.MaxKeys, string.Empty));
        }

        output.Render(table);
    }

    private static KeyspaceJson ToJson(KeyspaceDefinition d) => new(d.Name, d.MaxKeyBytes, d.MaxValueBytes, d.MaxKeys);

    /// <summary>0 means "the node's default" (sizes) or "unlimited" (key count).</summary>
    private static string Limit(long value, string unit) =>
        value == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{value}{(unit.Length > 0 ? " " + unit : string.Empty)}");
}
