using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse get KEY</c>: prints the raw value, or fails with NotFound.</summary>
internal static class GetCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var key = new Argument<string>("KEY") { Description = "The key (UTF-8 text)." }.NotEmpty();
        var revision = new Option<long?>("--revision") { Description = "Read the value as of this revision.", HelpName = "N" }.AtLeast(1);
        var meta = new Option<bool>("--meta") { Description = "After the value, print a table of its revisions, version, lease and the node that served it." };
        var consistency = new ReadConsistencyOptions();
        var command = new Command("get", "Print a key's value exactly as stored (no newline added); exit code 3 when the key does not exist.")
        {
            key, revision, meta,
        };
        consistency.AddTo(command);

        ClientCommand.Configure(command, context, globals, async run =>
        {
            var name = run.Get(key)!;
            var (level, maxStaleness, minRevision) = consistency.Read(run);
            var options = new ReadOptions
            {
                Revision = run.Get(revision) ?? 0,
                Consistency = level,
                MaxStaleness = maxStaleness,
                MinRevision = minRevision,
            };
            var result = await run.Client.GetAsync(name, options, run.CancellationToken).ConfigureAwait(false);
            if (!result.Found)
            {
                var at = run.Get(revision) is { } r ? string.Create(CultureInfo.InvariantCulture, $" at revision {r}") : string.Empty;
                throw new StatehouseException(StatehouseErrorCode.NotFound, $"key '{name}' not found in keyspace '{run.Settings.Keyspace}'{at}");
            }

            Print(run.Output, result, run.Get(meta));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static void Print(CliOutput output, GetResult result, bool meta)
    {
        var entry = result.Entry ?? throw new ArgumentException("The result holds no entry.", nameof(result));
        if (output.IsJson)
        {
            output.Json(new GetJson(result.Revision, CliJson.Kv(entry), CliJson.OrNull(result.ServedBy)));
            return;
        }

        output.Raw(entry.Value.Span);
        if (meta)
        {
            output.Line(string.Empty);
            output.Render(FieldTable.Create(
                ("key", Utf8Text.Display(entry.Key.Span)),
                ("create revision", Number(entry.CreateRevision)),
                ("mod revision", Number(entry.ModRevision)),
                ("version", Number(entry.Version)),
                ("lease", entry.Lease == 0 ? "-" : Number(entry.Lease)),
                ("read at revision", Number(result.Revision)),
                ("served by", result.ServedBy.Length == 0 ? "-" : result.ServedBy)));
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
