using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse watch [KEY | --prefix P]</c>: streams changes, one per line, until N events or Ctrl+C.</summary>
internal static class WatchCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var key = new Argument<string?>("KEY") { Description = "The key to watch.", Arity = ArgumentArity.ZeroOrOne };
        var prefix = new Option<string?>("--prefix") { Description = "Watch every key that starts with P.", HelpName = "P" };
        var fromRevision = new Option<long?>("--from-revision") { Description = "Deliver changes from revision N on (default: from now).", HelpName = "N" }.AtLeast(1);
        var prev = new Option<bool>("--prev") { Description = "Include each key's previous value." };
        var count = new Option<long?>("--count") { Description = "Stop after N events.", HelpName = "N" }.AtLeast(1);
        var command = new Command("watch", "Print changes as they happen: 'REV TYPE KEY VALUE' per line (JSON lines with --json). Without KEY or --prefix, the whole keyspace.")
        {
            key, prefix, fromRevision, prev, count,
        };
        command.Validators.Add(result =>
        {
            Validation.AtMostOne(result, key, prefix);
            if (result.Given(key) && string.IsNullOrEmpty(result.GetValue(key)))
            {
                result.AddError("KEY must not be empty.");
            }
        });

        ClientCommand.Configure(
            command,
            context,
            globals,
            async run =>
            {
                var range = run.Get(key) is { } single ? KeyRange.Single(single) : KeyRange.Prefix(run.Get(prefix) ?? string.Empty);
                var options = new WatchOptions { FromRevision = run.Get(fromRevision) ?? 0, PrevKv = run.Get(prev) };
                var limit = run.Get(count);
                long seen = 0;
                await foreach (var change in run.Client.WatchAsync(range, options, run.CancellationToken).ConfigureAwait(false))
                {
                    Print(run.Output, change, options.PrevKv);
                    if (++seen >= limit)
                    {
                        break;
                    }
                }

                return ExitCodes.Success;
            },
            streaming: true);
        return command;
    }

    /// <summary>Writes one event: <c>REV TYPE KEY VALUE</c> (control characters escaped), or one JSON line.</summary>
    internal static void Print(CliOutput output, WatchEvent change, bool previous)
    {
        if (output.IsJson)
        {
            var isDelete = change.Type != WatchEventType.Put;
            output.Json(new WatchEventJson(
                change.Revision,
                CliJson.EventType(change.Type),
                CliJson.Kv(change.Entry, includeValue: !isDelete),
                previous && change.Previous is { } before ? CliJson.Kv(before) : null));
            return;
        }

        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{change.Revision} {CliJson.EventType(change.Type).ToUpperInvariant()} {Utf8Text.OneLine(Utf8Text.Display(change.Entry.Key.Span))}");
        if (change.Type == WatchEventType.Put)
        {
            line += " " + Utf8Text.OneLine(Utf8Text.Display(change.Entry.Value.Span));
        }

        if (previous && change.Previous is { } prior)
        {
            line += " (prev: " + Utf8Text.OneLine(Utf8Text.Display(prior.Value.Span)) + ")";
        }

        output.Line(line);
    }
}
