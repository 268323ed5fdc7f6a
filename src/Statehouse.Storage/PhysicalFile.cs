using Microsoft.Win32.SafeHandles;

namespace Statehouse.Storage;

/// <summary>An <see cref="IStorageFile"/> over a <see cref="SafeFileHandle"/> (pread/pwrite, fdatasync).</summary>
internal sealed class PhysicalFile(SafeFileHandle handle, string path) : IStorageFile
{
    private readonly SafeFileHandle _handle = handle;

    /// <inheritdoc/>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public long Length => RandomAccess.GetLength(_handle);

    /// <inheritdoc/>
    public void Write(long offsetBytes, ReadOnlySpan<byte> data) => RandomAccess.Write(_handle, data, offsetBytes);

    /// <inheritdoc/>
    public int Read(long offsetBytes, Span<byte> buffer) => RandomAccess.Read(_handle, buffer, offsetBytes);

    /// <inheritdoc/>
    public void Flush() => NativeMethods.FDataSync(_handle, Path);

    /// <inheritdoc/>
    public void SetLength(long lengthBytes) => RandomAccess.SetLength(_handle, lengthBytes);

    /// <inheritdoc/>
    public void Preallocate(long lengthBytes)
    {
        if (lengthBytes <= Length)
        {
            return;
        }

        if (!NativeMethods.TryFallocate(_handle, lengthBytes))
        {
            // A sparse extension still spares fdatasync the size update, though not the block allocation.
            RandomAccess.SetLength(_handle, lengthBytes);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
