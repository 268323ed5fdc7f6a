using System.CommandLine;
using System.Globalization;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse incr KEY [--by N]</c>: adds to a counter; prints the new value.</summary>
internal static class IncrementCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var key = new Argument<string>("KEY") { Description = "The counter's key (a missing key counts as 0)." }.NotEmpty();
        var by = new Option<long>("--by") { Description = "What to add; may be negative.", HelpName = "N", DefaultValueFactory = _ => 1 };
        var command = new Command("incr", "Add to a counter and print its new value.") { key, by };

        ClientCommand.Configure(command, context, globals, async run =>
        {
            var result = await run.Client.IncrementAsync(run.Get(key)!, run.Get(by), run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(new IncrementJson(result.Value, result.Revision));
            }
            else
            {
                run.Output.Line(result.Value.ToString(CultureInfo.InvariantCulture));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
