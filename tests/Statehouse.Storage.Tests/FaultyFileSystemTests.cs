namespace Statehouse.Storage.Tests;

/// <summary>The fault model itself: if it were wrong, the crash tests would prove nothing.</summary>
public sealed class FaultyFileSystemTests
{
    private const string Directory = "/mem/d";
    private const string FilePath = "/mem/d/f";

    [Fact]
    public void Restart_DropsUnsyncedWritesAndEntries_WhenPowerIsLost()
    {
        var fileSystem = new FaultyFileSystem();
        fileSystem.CreateDirectory(Directory);
        using (IStorageFile file = fileSystem.OpenFile(FilePath, StorageOpenMode.CreateNew))
        {
            file.Write(0, [1, 2, 3]);
            file.Flush();
            file.Write(3, [4]);
        }

        fileSystem.Restart(CrashMode.LoseUnsynced);
        Assert.False(fileSystem.FileExists(FilePath)); // the directory entry was never synced

        using (IStorageFile file = fileSystem.OpenFile(FilePath, StorageOpenMode.CreateNew))
        {
            file.Write(0, [1, 2, 3]);
            file.Flush();
            fileSystem.SyncDirectory(Directory);
            file.Write(3, [4]);
        }

        fileSystem.Restart(CrashMode.LoseUnsynced);
        Assert.Equal([1, 2, 3], fileSystem.GetFileBytes(FilePath));
    }

    [Fact]
    public void Restart_KeepsUnsyncedWrites_WhenOnlyTheProcessCrashed()
    {
        var fileSystem = new FaultyFileSystem();
        fileSystem.CreateDirectory(Directory);
        using (IStorageFile file = fileSystem.OpenFile(FilePath, StorageOpenMode.CreateNew))
        {
            file.Write(0, [1, 2, 3]);
        }

        fileSystem.Restart(CrashMode.KeepUnsynced);
        Assert.Equal([1, 2, 3], fileSystem.GetFileBytes(FilePath));
    }

    [Fact]
    public void Flush_LosesPagesForGood_WhenItFailedOnce()
    {
        var fileSystem = new FaultyFileSystem();
        fileSystem.CreateDirectory(Directory);
        IStorageFile file = fileSystem.OpenFile(FilePath, StorageOpenMode.CreateNew);
        fileSystem.SyncDirectory(Directory);
        file.Write(0, [9, 9]);
        fileSystem.FailFlushAfter(0);
        Assert.Throws<IOException>(file.Flush);

        // fsyncgate: the retry succeeds, the cache still shows the bytes, yet the disk never gets them.
        file.Flush();
        Assert.Equal([9, 9], fileSystem.GetFileBytes(FilePath));
        fileSystem.Restart(CrashMode.KeepUnsynced);
        Assert.Empty(fileSystem.GetFileBytes(FilePath));
    }

    [Fact]
    public void Write_LandsOnlyPrefixThenCrashes_WhenTornWriteIsArmed()
    {
        var fileSystem = new FaultyFileSystem();
        fileSystem.CreateDirectory(Directory);
        IStorageFile file = fileSystem.OpenFile(FilePath, StorageOpenMode.CreateNew);
        fileSystem.CrashAfter(0, tearKeepBytes: 2);

        Assert.Throws<SimulatedCrashException>(() => file.Write(0, [1, 2, 3, 4]));
        Assert.Throws<SimulatedCrashException>(() => fileSystem.ListFiles(Directory));
        fileSystem.Restart(CrashMode.KeepUnsynced);
        Assert.Equal([1, 2], fileSystem.GetFileBytes(FilePath));
    }
}
