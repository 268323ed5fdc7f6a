using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse del KEY | --prefix P | --from A --to B</c>: deletes keys; prints how many.</summary>
internal static class DeleteCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var key = new Argument<string?>("KEY") { Description = "The key to delete.", Arity = ArgumentArity.ZeroOrOne };
        var prefix = new Option<string?>("--prefix") { Description = "Delete every key that starts with P (not empty).", HelpName = "P" };
        var from = new Option<string?>("--from") { Description = "Delete the keys in [A, B): the first key.", HelpName = "A" };
        var to = new Option<string?>("--to") { Description = "Delete the keys in [A, B): the end, excluded.", HelpName = "B" };
        var ifModRevision = new Option<long?>("--if-mod-revision") { Description = "Only delete KEY if its mod revision is N.", HelpName = "N" }.AtLeast(0);
        var command = new Command("del", "Delete a key, a prefix or a range of keys and print how many were deleted.")
        {
            key, prefix, from, to, ifModRevision,
        };
        command.Validators.Add(result =>
        {
            var selections = (result.Given(key) ? 1 : 0) + (result.Given(prefix) ? 1 : 0) + (result.Given(from) ? 1 : 0);
            if (selections != 1)
            {
                result.AddError("Say what to delete: KEY, --prefix P, or --from A --to B (exactly one).");
            }

            if (result.Given(key) && string.IsNullOrEmpty(result.GetValue(key)))
            {
                result.AddError("KEY must not be empty.");
            }

            if (result.Given(prefix) && string.IsNullOrEmpty(result.GetValue(prefix)))
            {
                result.AddError("--prefix must not be empty (it would delete the whole keyspace).");
            }

            if (result.Given(from) != result.Given(to))
            {
                result.AddError("--from and --to go together: del deletes the keys in [A, B).");
            }

            if (result.Given(ifModRevision) && !result.Given(key))
            {
                result.AddError("--if-mod-revision applies to a single KEY.");
            }
        });

        ClientCommand.Configure(command, context, globals, async run =>
        {
            var range = ToRange(run.Get(key), run.Get(prefix), run.Get(from), run.Get(to));
            var options = new DeleteOptions
            {
                Precondition = run.Get(ifModRevision) is { } revision ? Precondition.IfModRevision(revision) : Precondition.None,
            };
            var result = await run.Client.DeleteAsync(range, options, run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(new DeleteJson(result.Revision, result.Deleted));
            }
            else
            {
                run.Output.Line(result.Deleted.ToString(CultureInfo.InvariantCulture));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static KeyRange ToRange(string? key, string? prefix, string? from, string? to) =>
        key is not null ? KeyRange.Single(key)
        : prefix is not null ? KeyRange.Prefix(prefix)
        : KeyRange.Between(from ?? string.Empty, to ?? string.Empty);
}
