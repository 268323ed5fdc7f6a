namespace Statehouse.Cli.Commands;

/// <summary>Reads a value or a transaction from a file or from standard input (<c>-</c>).</summary>
internal static class InputFiles
{
    /// <summary>The name that means standard input.</summary>
    public const string StandardInput = "-";

    /// <summary>Reads all bytes of <paramref name="path"/>, or of standard input for <c>-</c>.</summary>
    /// <exception cref="CliUsageException">The file cannot be read.</exception>
    public static async Task<byte[]> ReadAllBytesAsync(CliContext context, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(path);
        if (path == StandardInput)
        {
            var input = context.OpenStandardInput();
            await using (input.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                await input.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                return buffer.ToArray();
            }
        }

        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliUsageException($"cannot read '{path}': {ex.Message}", ex);
        }
    }
}
