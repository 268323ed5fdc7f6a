namespace Statehouse.Storage.Tests;

/// <summary>A handle of <see cref="FaultyFileSystem"/>; invalid after a restart.</summary>
internal sealed class FaultyFile(FaultyFileSystem fileSystem, MemoryInode inode, string path, int generation, bool writable)
    : IStorageFile
{
    public MemoryInode Inode { get; } = inode;

    public int Generation { get; } = generation;

    public bool Writable { get; } = writable;

    public bool IsDisposed { get; private set; }

    public string Path { get; } = path;

    public long Length => fileSystem.Length(this);

    public void Write(long offsetBytes, ReadOnlySpan<byte> data) => fileSystem.Write(this, offsetBytes, data);

    public int Read(long offsetBytes, Span<byte> buffer) => fileSystem.Read(this, offsetBytes, buffer);

    public void Flush() => fileSystem.Flush(this);

    public void SetLength(long lengthBytes) => fileSystem.SetLength(this, lengthBytes, growOnly: false);

    public void Preallocate(long lengthBytes) => fileSystem.SetLength(this, lengthBytes, growOnly: true);

    public void Dispose() => IsDisposed = true;
}
