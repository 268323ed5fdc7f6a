namespace Statehouse.Cli;

/// <summary>
/// Bad input found after parsing (a malformed transaction file, an unreadable value file): reported like a parse
/// error, with exit code <see cref="ExitCodes.Usage"/>.
/// </summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
