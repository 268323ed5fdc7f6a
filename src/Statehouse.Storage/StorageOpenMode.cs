namespace Statehouse.Storage;

/// <summary>How <see cref="IStorageFileSystem.OpenFile"/> opens a file.</summary>
public enum StorageOpenMode
{
    /// <summary>Open an existing file for reading only.</summary>
    ReadExisting,

    /// <summary>Open an existing file for reading and writing.</summary>
    WriteExisting,

    /// <summary>Create a new empty file for reading and writing; fail if the name exists.</summary>
    CreateNew,
}
