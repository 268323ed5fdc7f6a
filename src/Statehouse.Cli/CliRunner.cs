using System.CommandLine;
using Statehouse.Client;
using CoreException = Statehouse.Core.StatehouseException;

namespace Statehouse.Cli;

/// <summary>
/// Parses and runs a command line, and turns every failure into an exit code and one message on stderr:
/// <c>error: CODE: message</c>, or <c>{"code":..,"message":..}</c> with <c>--json</c>.
/// </summary>
/// <remarks>
/// Exit codes: 0 success, 1 unexpected failure, 2 usage (parse errors, malformed input files), 20 damaged data folder
/// (<c>serve</c> refused to start), 130 interrupted, and
/// for Statehouse errors the server's table (<see cref="Statehouse.Server.ErrorMapping.ToExitCode"/>).
/// </remarks>
internal sealed class CliRunner
{
    /// <summary>The code printed for usage errors, which have no Statehouse error code.</summary>
    public const string UsageCode = "Usage";

    private readonly RootCommand _root;
    private readonly CliContext _context;

    public CliRunner(RootCommand root, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(context);
        _root = root;
        _context = context;
    }

    /// <summary>Runs a command line to its exit code.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);

        // Decided from the raw tokens: a command line with parse errors has no trustworthy option values.
        var json = args.Contains("--json", StringComparer.Ordinal);
        var parse = _root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            WriteError(json, UsageCode, parse.Errors.Select(e => e.Message).ToArray(), $"see: {CommandPath(parse.CommandResult.Command)} --help");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = _context.Out,
            Error = _context.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = _context.HandleCtrlC ? TerminationTimeout(parse.CommandResult.Command) : null,
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Report(ex, json);
        }
    }

    /// <summary>Writes the error for an exception and returns its exit code.</summary>
    public int Report(Exception exception, bool json)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case CliUsageException usage:
                WriteError(json, UsageCode, usage.Message, null);
                return ExitCodes.Usage;
            case NodeUnreachableException unreachable:
                WriteError(json, nameof(StatehouseErrorCode.Unavailable), unreachable.Message, unreachable.Hint);
                return ExitCodes.For(StatehouseErrorCode.Unavailable);
            case StatehouseException error:
                WriteError(json, error.Code.ToString(), WithoutCodePrefix(error.Message, error.Code.ToString()), NodeUnreachableException.WrongProtocolHint(error));
                return ExitCodes.For(error.Code);
            case CoreException error:
                WriteError(json, error.Code.ToString(), WithoutCodePrefix(error.Message, error.Code.ToString()), null);
                return ExitCodes.For(error.Code);
            case Statehouse.Storage.WalDataLossException loss:
                WriteError(json, "DataLoss", loss.Message, null);
                return ExitCodes.StorageDamaged;
            case Statehouse.Storage.StorageCorruptedException corrupt:
                WriteError(json, "StorageCorrupted", corrupt.Message, Statehouse.Storage.WalDataLossException.Advice);
                return ExitCodes.StorageDamaged;
            case OperationCanceledException:
                WriteError(json, "Interrupted", "the command was cancelled", null);
                return ExitCodes.Interrupted;
            default:
                WriteError(json, "Internal", $"{exception.GetType().Name}: {exception.Message}", null);
                return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// How long a command may take to end after Ctrl+C or SIGTERM before the process exits anyway: long enough for
    /// <c>dev-cluster</c> to stop its nodes, 2 s for everything else.
    /// </summary>
    internal static TimeSpan TerminationTimeout(Command command) =>
        command is DevClusterCommand ? DevClusterCommand.TerminationTimeout : TimeSpan.FromSeconds(2);

    /// <summary>The client puts the code in front of messages that come from the wire; the CLI prints it once.</summary>
    internal static string WithoutCodePrefix(string message, string code) =>
        message.StartsWith(code + ": ", StringComparison.Ordinal) ? message[(code.Length + 2)..] : message;

    /// <summary><c>statehouse lease grant</c> for the <c>grant</c> command.</summary>
    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command current; symbol = current.Parents.FirstOrDefault())
        {
            names.Add(current is RootCommand ? "statehouse" : current.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private void WriteError(bool json, string code, string message, string? hint) => WriteError(json, code, [message], hint);

    private void WriteError(bool json, string code, IReadOnlyList<string> messages, string? hint)
    {
        if (json)
        {
            _context.Error.WriteLine(CliJson.Serialize(new ErrorJson(code, string.Join(" ", messages), hint)));
            return;
        }

        foreach (var message in messages)
        {
            _context.Error.WriteLine($"error: {code}: {message}");
        }

        if (hint is not null)
        {
            _context.Error.WriteLine($"hint: {hint}");
        }
    }
}
