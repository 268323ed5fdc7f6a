using Statehouse.Client;
using Statehouse.Server;
using CoreErrorCode = Statehouse.Core.ErrorCode;

namespace Statehouse.Cli;

/// <summary>
/// The CLI's exit codes. Error codes go through the server's one table (<see cref="ErrorMapping.ToExitCode"/>);
/// only the codes that have no error code behind them are defined here.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected failure (a bug, an I/O error on a local file).</summary>
    public const int Failure = 1;

    /// <summary>The command line or an input file is malformed.</summary>
    public const int Usage = 2;

    /// <summary>
    /// <c>serve</c> refused to start because the data folder is damaged or holds less than it must (lost
    /// acknowledged writes); the message names the files and what to do.
    /// </summary>
    public const int StorageDamaged = 20;

    /// <summary>The user interrupted a command that does not end on Ctrl+C by design (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code for a client error code, looked up by name in the server's table.</summary>
    public static int For(StatehouseErrorCode code) =>
        ToCore(code) is { } core ? ErrorMapping.ToExitCode(core) : Failure;

    /// <summary>The exit code for a server-side (Core) error code.</summary>
    public static int For(CoreErrorCode code) => ErrorMapping.ToExitCode(code);

    /// <summary>
    /// The Core code with the same name as a client code. The client's enum mirrors the wire contract and the Core's
    /// enum the state machine; they share names, not necessarily numbers, so the mapping goes by name.
    /// </summary>
    public static CoreErrorCode? ToCore(StatehouseErrorCode code) =>
        Enum.IsDefined(code) && Enum.TryParse<CoreErrorCode>(code.ToString(), ignoreCase: false, out var core) && Enum.IsDefined(core)
            ? core
            : null;
}
