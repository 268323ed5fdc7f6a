using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse put KEY [VALUE]</c>: writes a value; prints the revision.</summary>
internal static class PutCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var key = new Argument<string>("KEY") { Description = "The key (UTF-8 text)." }.NotEmpty();
        var value = new Argument<string?>("VALUE") { Description = "The value (UTF-8 text); '-' reads it from stdin.", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Read the value from this file ('-' for stdin), byte for byte.", HelpName = "PATH" };
        var ttl = new Option<long?>("--ttl") { Description = "Expire the key after this many seconds (a lease of its own).", HelpName = "SECONDS" }.AtLeast(1);
        var lease = new Option<long?>("--lease") { Description = "Attach the key to this lease.", HelpName = "ID" }.AtLeast(1);
        var ifAbsent = new Option<bool>("--if-absent") { Description = "Only create: fail with PreconditionFailed if the key exists." };
        var ifModRevision = new Option<long?>("--if-mod-revision") { Description = "Compare-and-set: only if the key's mod revision is N (0: absent).", HelpName = "N" }.AtLeast(0);
        var ifVersion = new Option<long?>("--if-version") { Description = "Only if the key's version is N (0: absent).", HelpName = "N" }.AtLeast(0);
        var prev = new Option<bool>("--prev") { Description = "Also print the previous value." };

        var command = new Command("put", "Write a value under a key and print the revision of the write.")
        {
            key, value, file, ttl, lease, ifAbsent, ifModRevision, ifVersion, prev,
        };
        command.Validators.Add(result =>
        {
            // Without KEY the parser reports the missing argument; a second message about VALUE would only confuse.
            if (result.Given(key) && result.Given(value) == result.Given(file))
            {
                result.AddError("Give the value as VALUE, as '-' (stdin) or with --file PATH, exactly one of them.");
            }

            Validation.AtMostOne(result, ifAbsent, ifModRevision, ifVersion);
            Validation.AtMostOne(result, ttl, lease);
        });

        ClientCommand.Configure(command, context, globals, async run =>
        {
            var path = run.Get(file) ?? (run.Get(value) == InputFiles.StandardInput ? InputFiles.StandardInput : null);
            var bytes = path is null
                ? Utf8Text.GetBytes(run.Get(value)!)
                : await InputFiles.ReadAllBytesAsync(run.Context, path, run.CancellationToken).ConfigureAwait(false);
            var options = new PutOptions
            {
                Precondition = ToPrecondition(run.Get(ifAbsent), run.Get(ifModRevision), run.Get(ifVersion)),
                Lease = run.Get(lease) ?? 0,
                Ttl = run.Get(ttl) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                ReturnPrevious = run.Get(prev),
            };
            var result = await run.Client.PutAsync(run.Get(key)!, bytes, options, run.CancellationToken).ConfigureAwait(false);
            Print(run.Output, result, run.Get(prev));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static Precondition ToPrecondition(bool ifAbsent, long? ifModRevision, long? ifVersion) =>
        ifAbsent ? Precondition.IfAbsent
        : ifModRevision is { } revision ? Precondition.IfModRevision(revision)
        : ifVersion is { } version ? Precondition.IfVersion(version)
        : Precondition.None;

    internal static void Print(CliOutput output, PutResult result, bool previous)
    {
        if (output.IsJson)
        {
            output.Json(new PutJson(result.Revision, result.Lease, result.Previous is null ? null : CliJson.Kv(result.Previous)));
            return;
        }

        output.Line(result.Revision.ToString(CultureInfo.InvariantCulture));
        if (previous && result.Previous is { } entry)
        {
            output.Line(Utf8Text.Display(entry.Value.Span));
        }
    }
}
