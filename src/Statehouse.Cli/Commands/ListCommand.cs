using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse list</c>: a table (or JSON) of the keys of a prefix or a range.</summary>
internal static class ListCommand
{
    /// <summary>How many characters of a value the table shows.</summary>
    public const int ValuePreviewChars = 40;

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var prefix = new Option<string?>("--prefix") { Description = "Only keys that start with P.", HelpName = "P" };
        var from = new Option<string?>("--from") { Description = "Keys in [A, B): the first key.", HelpName = "A" };
        var to = new Option<string?>("--to") { Description = "Keys in [A, B): the end, excluded (default: the end of the keyspace).", HelpName = "B" };
        var limit = new Option<long?>("--limit") { Description = "At most N keys (per page with --all).", HelpName = "N" }.AtLeast(1);
        var keysOnly = new Option<bool>("--keys-only") { Description = "Keys and metadata, no values." };
        var count = new Option<bool>("--count") { Description = "Only print how many keys match." };
        var all = new Option<bool>("--all") { Description = "Follow continuation tokens until every matching key is read." };
        var consistency = new ReadConsistencyOptions();
        var command = new Command("list", "List keys with a value preview, mod revision, version and lease.")
        {
            prefix, from, to, limit, keysOnly, count, all,
        };
        consistency.AddTo(command);
        command.Validators.Add(result =>
        {
            Validation.AtMostOne(result, prefix, from);
            if (result.Given(to) && !result.Given(from))
            {
                result.AddError("--to needs --from.");
            }

            Validation.AtMostOne(result, count, all);
            Validation.AtMostOne(result, count, keysOnly);
        });

        ClientCommand.Configure(command, context, globals, async run =>
        {
            var range = ToRange(run.Get(prefix), run.Get(from), run.Get(to));
            var (level, maxStaleness, minRevision) = consistency.Read(run);
            var options = new RangeOptions
            {
                Limit = run.Get(limit) ?? 0,
                KeysOnly = run.Get(keysOnly),
                CountOnly = run.Get(count),
                Consistency = level,
                MaxStaleness = maxStaleness,
                MinRevision = minRevision,
            };
            if (options.CountOnly)
            {
                var counted = await run.Client.RangeAsync(range, options, run.CancellationToken).ConfigureAwait(false);
                PrintCount(run.Output, counted);
                return ExitCodes.Success;
            }

            var page = run.Get(all)
                ? await ReadAllAsync(run, range, options).ConfigureAwait(false)
                : await run.Client.RangeAsync(range, options, run.CancellationToken).ConfigureAwait(false);
            Print(run.Output, page, options.KeysOnly);
            if (page.More && !run.Output.IsJson)
            {
                run.Context.Error.WriteLine($"note: more keys follow ({page.Entries.Count} shown); use --all to read them all, --count to count them");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static KeyRange ToRange(string? prefix, string? from, string? to) =>
        prefix is not null ? KeyRange.Prefix(prefix)
        : from is not null ? KeyRange.Between(from, to ?? string.Empty)
        : KeyRange.All;

    /// <summary>Reads every page, at the revision of the first; shows progress on the console unless the output is JSON.</summary>
    internal static async Task<RangePage> ReadAllAsync(ClientInvocation run, KeyRange range, RangeOptions options)
    {
        // The spinner goes to stdout: only on a terminal, never into a pipe or a JSON document.
        if (run.Output.IsJson || !run.Output.Console.Profile.Capabilities.Interactive)
        {
            return await FollowAsync(run.Client, range, options, _ => { }, run.CancellationToken).ConfigureAwait(false);
        }

        return await run.Output.Console.Status().StartAsync("Reading keys…", status => FollowAsync(
            run.Client,
            range,
            options,
            progress => status.Status(string.Create(CultureInfo.InvariantCulture, $"Reading keys… {progress.Read} of {Math.Max(progress.Read, progress.Total)}")),
            run.CancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Follows continuation tokens to the end and returns one page holding every entry.</summary>
    internal static async Task<RangePage> FollowAsync(
        ICliClient client,
        KeyRange range,
        RangeOptions options,
        Action<(long Read, long Total)> progress,
        CancellationToken cancellationToken)
    {
        var entries = new List<KeyValueEntry>();
        var page = await client.RangeAsync(range, options, cancellationToken).ConfigureAwait(false);
        var first = page;
        entries.AddRange(page.Entries);
        progress((entries.Count, page.Count));

        // A page that claims more but gives no token (or no entries) would loop forever.
        while (page.More && page.Continuation is not null && page.Entries.Count > 0)
        {
            page = await client.RangeAsync(range, options with { Continuation = page.Continuation }, cancellationToken).ConfigureAwait(false);
            entries.AddRange(page.Entries);
            progress((entries.Count, first.Count));
        }

        // Every page is at the first page's revision, so the entries read are exactly the keys that match.
        return new RangePage(entries, entries.Count, More: false, Continuation: null, first.Revision) { ServedBy = first.ServedBy };
    }

    internal static void PrintCount(CliOutput output, RangePage page)
    {
        if (output.IsJson)
        {
            output.Json(new ListJson(page.Revision, page.Count, More: false, Continuation: null, Items: null, CliJson.OrNull(page.ServedBy)));
            return;
        }

        output.Line(page.Count.ToString(CultureInfo.InvariantCulture));
    }

    internal static void Print(CliOutput output, RangePage page, bool keysOnly)
    {
        if (output.IsJson)
        {
            output.Json(new ListJson(page.Revision, page.Count, page.More, page.Continuation, page.Entries.Select(e => CliJson.Kv(e, !keysOnly)).ToArray(), CliJson.OrNull(page.ServedBy)));
            return;
        }

        var table = keysOnly
            ? CliOutput.Table("KEY", "MOD REV", "VERSION", "LEASE")
            : CliOutput.Table("KEY", "VALUE", "MOD REV", "VERSION", "LEASE");
        foreach (var entry in page.Entries)
        {
            var key = Utf8Text.OneLine(Utf8Text.Display(entry.Key.Span));
            var metadata = new[]
            {
                entry.ModRevision.ToString(CultureInfo.InvariantCulture),
                entry.Version.ToString(CultureInfo.InvariantCulture),
                entry.Lease == 0 ? "-" : entry.Lease.ToString(CultureInfo.InvariantCulture),
            };
            CliOutput.AddRow(table, keysOnly
                ? [key, .. metadata]
                : [key, Utf8Text.Preview(Utf8Text.Display(entry.Value.Span), ValuePreviewChars), .. metadata]);
        }

        var servedBy = page.ServedBy.Length == 0 ? string.Empty : $", served by {Markup.Escape(page.ServedBy)}";
        table.Caption(new TableTitle(string.Create(CultureInfo.InvariantCulture, $"{page.Entries.Count} keys{(page.More ? " (more follow)" : "")} at revision {page.Revision}{servedBy}")));
        output.Render(table);
    }
}
