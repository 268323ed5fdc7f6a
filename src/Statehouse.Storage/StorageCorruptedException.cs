namespace Statehouse.Storage;

/// <summary>
/// A storage file holds bytes that fail verification (bad checksum, bad magic, impossible length or index) at a
/// place where a torn write cannot explain them, so data that may have been acknowledged is damaged.
/// </summary>
/// <remarks>The node must not start on such a file: an operator decides (restore from peers or a backup).</remarks>
public class StorageCorruptedException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> at byte <paramref name="offset"/>.</summary>
    public StorageCorruptedException(string path, long offset, string reason)
        : base($"Corrupt storage file '{path}' at offset {offset}: {reason}")
    {
        Path = path;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The damaged file.</summary>
    public string Path { get; }

    /// <summary>Byte offset in <see cref="Path"/> where verification failed.</summary>
    public long Offset { get; }

    /// <summary>What failed, in words.</summary>
    public string Reason { get; }
}
