namespace Statehouse.Storage;

/// <summary>The real file system: <see cref="RandomAccess"/> for data, libc for fdatasync and directory fsync.</summary>
public sealed class PhysicalFileSystem : IStorageFileSystem
{
    /// <summary>Name of the lock file that <see cref="LockDirectory"/> creates inside a locked directory.</summary>
    public const string LockFileName = ".lock";

    /// <summary>The shared instance (the type has no state).</summary>
    public static PhysicalFileSystem Instance { get; } = new();

    /// <inheritdoc/>
    public void CreateDirectory(string directoryPath)
    {
        string fullPath = Path.GetFullPath(directoryPath);
        if (Directory.Exists(fullPath))
        {
            return;
        }

        string? parent = Path.GetDirectoryName(fullPath);
        if (parent is not null)
        {
            CreateDirectory(parent);
        }

        Directory.CreateDirectory(fullPath);
        if (parent is not null)
        {
            NativeMethods.SyncDirectory(parent);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ListFiles(string directoryPath)
    {
        var names = new List<string>();
        foreach (string path in Directory.EnumerateFiles(directoryPath))
        {
            names.Add(Path.GetFileName(path));
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <inheritdoc/>
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc/>
    public IStorageFile OpenFile(string path, StorageOpenMode mode)
    {
        var handle = mode switch
        {
            StorageOpenMode.ReadExisting => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete),
            StorageOpenMode.WriteExisting => File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete),
            StorageOpenMode.CreateNew => File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown open mode."),
        };
        return new PhysicalFile(handle, path);
    }

    /// <inheritdoc/>
    public void DeleteFile(string path) => File.Delete(path);

    /// <inheritdoc/>
    public void RenameFile(string sourcePath, string destinationPath) => File.Move(sourcePath, destinationPath, overwrite: true);

    /// <inheritdoc/>
    public void SyncDirectory(string directoryPath) => NativeMethods.SyncDirectory(directoryPath);

    /// <inheritdoc/>
    public IDisposable LockDirectory(string directoryPath)
    {
        // FileShare.None makes .NET take flock(LOCK_EX | LOCK_NB) on Unix, so a second holder fails fast.
        string path = Path.Combine(directoryPath, LockFileName);
        return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }
}
