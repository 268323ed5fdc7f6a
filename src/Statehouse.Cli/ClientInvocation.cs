using System.CommandLine;

namespace Statehouse.Cli;

/// <summary>One run of a client command: its parse result, client, output and cancellation.</summary>
internal sealed record ClientInvocation(ParseResult Parse, ClientSettings Settings, ICliClient Client, CliOutput Output, CliContext Context, CancellationToken CancellationToken)
{
    /// <summary>The value of an option or argument of the command.</summary>
    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    /// <summary>The value of an option or argument of the command.</summary>
    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>Whether an option was given on the command line (rather than defaulted).</summary>
    public bool Has(Option option) => Parse.GetResult(option) is { Implicit: false };
}
