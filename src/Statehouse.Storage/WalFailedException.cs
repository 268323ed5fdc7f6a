namespace Statehouse.Storage;

/// <summary>
/// The log hit an I/O failure while changing the disk (typically a failed fdatasync) and is poisoned: what is on
/// disk is unknown, so every later call throws this. The process must restart and recover from disk.
/// </summary>
/// <remarks>
/// After a failed fsync the kernel may have dropped the dirty pages and marked them clean, so a retry can report
/// success without writing anything (PostgreSQL "fsyncgate", 2018). Retrying is therefore never correct.
/// </remarks>
public sealed class WalFailedException : IOException
{
    /// <summary>Creates the exception; <paramref name="innerException"/> is the first failure.</summary>
    public WalFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
