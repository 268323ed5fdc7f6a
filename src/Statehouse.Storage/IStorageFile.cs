namespace Statehouse.Storage;

/// <summary>An open file as the storage layer sees it: positional reads and writes plus a durability barrier.</summary>
/// <remarks>
/// Implementations must not allocate per <see cref="Write"/> or <see cref="Read"/>. A handle is used by one
/// thread at a time.
/// </remarks>
public interface IStorageFile : IDisposable
{
    /// <summary>Full path of the file.</summary>
    string Path { get; }

    /// <summary>Current length in bytes (including preallocated space).</summary>
    long Length { get; }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offsetBytes"/>, extending the file if needed.</summary>
    void Write(long offsetBytes, ReadOnlySpan<byte> data);

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offsetBytes"/>; returns the count (0 at end).</summary>
    int Read(long offsetBytes, Span<byte> buffer);

    /// <summary>
    /// Makes every completed <see cref="Write"/> and <see cref="SetLength"/> durable (fdatasync: data plus the
    /// metadata needed to read it back, such as the size). Throws <see cref="IOException"/> on failure, after which
    /// the state of the file on disk is unknown.
    /// </summary>
    void Flush();

    /// <summary>Sets the length; bytes past the old length read as zero.</summary>
    void SetLength(long lengthBytes);

    /// <summary>
    /// Best effort: reserves space up to <paramref name="lengthBytes"/> and extends the length to it, so later
    /// writes need no size change; never shrinks. Bytes past the old length read as zero.
    /// </summary>
    void Preallocate(long lengthBytes);
}
