using Spectre.Console;

namespace Statehouse.Cli;

/// <summary>
/// Everything a command touches outside itself: the console, the standard streams, the environment, the clock and
/// how to make a client. Tests build one over string writers and a fake client.
/// </summary>
internal sealed class CliContext
{
    /// <summary>The console width when stdout is a file or a pipe: wide enough that tables do not wrap.</summary>
    public const int RedirectedWidth = 1000;

    /// <summary>Tables and progress displays; writes to the same place as <see cref="Out"/>.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Standard output as text: plain results and JSON documents.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard output as bytes, for raw values; <see cref="Out"/> is flushed before it is written.</summary>
    public required Stream RawOut { get; init; }

    /// <summary>Standard error: errors and hints.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Opens standard input (a value or a transaction given as <c>-</c>).</summary>
    public required Func<Stream> OpenStandardInput { get; init; }

    /// <summary>Makes the client a command talks to.</summary>
    public required Func<ClientSettings, ICliClient> ClientFactory { get; init; }

    /// <summary>Reads an environment variable (<c>STATEHOUSE_ENDPOINT</c>).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The clock of keep-alive intervals.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Whether Ctrl+C cancels the running command (off in tests, which own no console).</summary>
    public bool HandleCtrlC { get; init; } = true;

    /// <summary>The context of the real process: the terminal, stdin/stdout/stderr and <see cref="StateClientAdapter"/>.</summary>
    public static CliContext CreateDefault()
    {
        var console = AnsiConsole.Console;
        if (System.Console.IsOutputRedirected)
        {
            // Into a file or a pipe, a table is wrapped at Spectre's guess of 80 columns; nothing reads it at that width.
            console.Profile.Width = RedirectedWidth;
        }

        return new CliContext
        {
            Console = console,
            Out = System.Console.Out,
            RawOut = System.Console.OpenStandardOutput(),
            Error = System.Console.Error,
            OpenStandardInput = System.Console.OpenStandardInput,
            ClientFactory = settings => new StateClientAdapter(settings),
        };
    }
}
