using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse txn --file T.json</c>: runs a transaction written as JSON; prints which branch ran and its results.</summary>
internal static class TxnCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var file = new Option<string>("--file")
        {
            Description = "The transaction as JSON ('-' or absent: stdin), in the HTTP API's shape: {\"compare\":[...],\"success\":[...],\"failure\":[...]}.",
            HelpName = "PATH",
            DefaultValueFactory = _ => InputFiles.StandardInput,
        };
        var command = new Command("txn", "Run a transaction: if every compare holds, the success operations, else the failure operations; atomically.") { file };

        ClientCommand.Configure(command, context, globals, async run =>
        {
            var json = await InputFiles.ReadAllBytesAsync(run.Context, run.Get(file)!, run.CancellationToken).ConfigureAwait(false);
            var txn = TxnJsonParser.Apply(json, run.Client.NewTxn());
            var result = await run.Client.CommitAsync(txn, run.CancellationToken).ConfigureAwait(false);
            Print(run.Output, result);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Text: <c>SUCCEEDED</c> or <c>FAILED</c> with the revision, then one line per result of the branch that ran.
    /// JSON: <c>{"succeeded":..,"revision":..,"results":[{"type":"put",..}]}</c>.
    /// </summary>
    internal static void Print(CliOutput output, TxnResult result)
    {
        if (output.IsJson)
        {
            output.Json(new TxnResultJson(result.Succeeded, result.Revision, result.Results.Select(ToJson).ToArray()));
            return;
        }

        output.Line(string.Create(CultureInfo.InvariantCulture, $"{(result.Succeeded ? "SUCCEEDED" : "FAILED")} at revision {result.Revision}"));
        foreach (var line in result.Results.SelectMany(ToLines))
        {
            output.Line(line);
        }
    }

    private static TxnOpResultJson ToJson(TxnOpResult result) => result.Kind switch
    {
        TxnOpKind.Put => new TxnOpResultJson("put", Revision: result.Put?.Revision, Previous: result.Put?.Previous is { } p ? CliJson.Kv(p) : null),
        TxnOpKind.Delete => new TxnOpResultJson("delete", Revision: result.Delete?.Revision, Deleted: result.Delete?.Deleted ?? 0),
        TxnOpKind.Get => new TxnOpResultJson("get", Revision: result.Get?.Revision, Kv: result.Get?.Entry is { } e ? CliJson.Kv(e) : null),
        TxnOpKind.Increment => new TxnOpResultJson("incr", Revision: result.Increment?.Revision, Value: result.Increment?.Value),
        TxnOpKind.Range => new TxnOpResultJson(
            "range",
            Revision: result.Range?.Revision,
            Kvs: (result.Range?.Entries ?? []).Select(e => CliJson.Kv(e)).ToArray(),
            Count: result.Range?.Count,
            More: result.Range?.More),
        _ => new TxnOpResultJson(result.Kind.ToString().ToLowerInvariant()),
    };

    private static IEnumerable<string> ToLines(TxnOpResult result)
    {
        switch (result.Kind)
        {
            case TxnOpKind.Put:
                yield return Invariant($"put revision {result.Put?.Revision}");
                break;
            case TxnOpKind.Delete:
                yield return Invariant($"delete {result.Delete?.Deleted ?? 0}");
                break;
            case TxnOpKind.Get:
                yield return result.Get?.Entry is { } entry
                    ? $"get {Utf8Text.OneLine(Utf8Text.Display(entry.Key.Span))} {Utf8Text.OneLine(Utf8Text.Display(entry.Value.Span))}"
                    : "get (not found)";
                break;
            case TxnOpKind.Increment:
                yield return Invariant($"incr {result.Increment?.Value}");
                break;
            case TxnOpKind.Range:
                var entries = result.Range?.Entries ?? [];
                yield return Invariant($"range {entries.Count} of {result.Range?.Count ?? 0}");
                foreach (var kv in entries)
                {
                    yield return $"  {Utf8Text.OneLine(Utf8Text.Display(kv.Key.Span))} {Utf8Text.OneLine(Utf8Text.Display(kv.Value.Span))}";
                }

                break;
            default:
                yield return result.Kind.ToString().ToLowerInvariant();
                break;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
