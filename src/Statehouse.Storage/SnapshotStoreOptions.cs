namespace Statehouse.Storage;

/// <summary>Settings of a <see cref="SnapshotStore"/>.</summary>
public sealed class SnapshotStoreOptions
{
    /// <summary>The node's data directory; snapshots live in its <c>snapshots/</c> subdirectory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Committed snapshots kept after a commit, newest first (2 by default, at least 1).</summary>
    public int KeepCount { get; init; } = 2;

    /// <summary>Largest body one snapshot may have (64 GiB by default); writing more throws.</summary>
    public long MaxSnapshotBytes { get; init; } = 64L << 30;

    /// <summary>Size of the write buffer behind <see cref="SnapshotWriter.Body"/> (256 KiB by default).</summary>
    public int WriteBufferBytes { get; init; } = 256 << 10;

    /// <summary>The file system seam; the real one unless a test injects faults.</summary>
    public IStorageFileSystem FileSystem { get; init; } = PhysicalFileSystem.Instance;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory, nameof(DataDirectory));
        ArgumentNullException.ThrowIfNull(FileSystem, nameof(FileSystem));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepCount, 1, nameof(KeepCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(KeepCount, 1000, nameof(KeepCount));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxSnapshotBytes, nameof(MaxSnapshotBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteBufferBytes, 4096, nameof(WriteBufferBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WriteBufferBytes, 64 << 20, nameof(WriteBufferBytes));
    }
}
