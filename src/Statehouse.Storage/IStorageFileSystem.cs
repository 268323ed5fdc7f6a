namespace Statehouse.Storage;

/// <summary>
/// The seam between the storage formats and the operating system, so tests can inject torn writes, failed
/// fsyncs and lost unsynced data. <see cref="PhysicalFileSystem"/> is the real one.
/// </summary>
/// <remarks>
/// Creating, deleting and renaming a file changes its directory, which is durable only after
/// <see cref="SyncDirectory"/>; a file's contents are durable only after <see cref="IStorageFile.Flush"/>.
/// </remarks>
public interface IStorageFileSystem
{
    /// <summary>Creates the directory and its parents if missing, and makes a newly created one durable.</summary>
    void CreateDirectory(string directoryPath);

    /// <summary>Names (not paths) of the regular files in a directory, in ordinal order.</summary>
    IReadOnlyList<string> ListFiles(string directoryPath);

    /// <summary>Whether a regular file exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>Opens or creates a file; see <see cref="StorageOpenMode"/>.</summary>
    IStorageFile OpenFile(string path, StorageOpenMode mode);

    /// <summary>Deletes a file; a missing file is not an error.</summary>
    void DeleteFile(string path);

    /// <summary>Renames a file, atomically replacing <paramref name="destinationPath"/> if it exists.</summary>
    void RenameFile(string sourcePath, string destinationPath);

    /// <summary>Makes the directory's entries (creations, deletions, renames) durable (fsync of the directory).</summary>
    void SyncDirectory(string directoryPath);

    /// <summary>
    /// Takes an exclusive lock on the directory for this process (a lock file inside it), so two processes never
    /// write the same log. Throws <see cref="IOException"/> when another holder has it; dispose to release.
    /// </summary>
    IDisposable LockDirectory(string directoryPath);
}
