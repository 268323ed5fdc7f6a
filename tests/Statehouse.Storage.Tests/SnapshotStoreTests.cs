namespace Statehouse.Storage.Tests;

public sealed class SnapshotStoreTests
{
    [Fact]
    public void Commit_IsLatestAfterReopen_WhenBodyIsWritten()
    {
        using var temp = new TempDirectory();
        byte[] body = WalTestKit.Payload(42, 300_000);
        SnapshotInfo committed;
        SnapshotStore store = Open(temp.Path);
        Assert.Null(store.Latest);
        using (SnapshotWriter writer = store.BeginWrite(100, 3))
        {
            writer.Body.Write(body, 0, 1000);
            writer.Body.Write(body.AsSpan(1000));
            committed = writer.Commit();
        }

        Assert.Equal(committed, store.Latest);
        SnapshotStore reopened = Open(temp.Path);
        Assert.Equal(new SnapshotInfo(100, 3, committed.Path, body.Length), reopened.Latest);
        Assert.Equal(body, ReadBody(reopened, reopened.Latest!));
        Assert.Equal(Path.Combine(temp.Path, "snapshots", $"snap-{100:D20}-{3:D20}.snap"), committed.Path);
    }

    [Fact]
    public async Task OpenRead_ReturnsSeekableBody_WhenWrittenAsynchronously()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        byte[] body = WalTestKit.Payload(7, 5000);
        using (SnapshotWriter writer = store.BeginWrite(5, 1))
        {
            await writer.Body.WriteAsync(body);
            writer.Commit();
        }

        using Stream stream = store.OpenRead(store.Latest!);
        Assert.Equal(body.Length, stream.Length);
        stream.Seek(4000, SeekOrigin.Begin);
        var tail = new byte[2000];
        int read = await stream.ReadAsync(tail);
        Assert.Equal(1000, read);
        Assert.Equal(body.AsSpan(4000).ToArray(), tail.AsSpan(0, read).ToArray());
    }

    [Fact]
    public void Commit_Succeeds_WhenBodyWasDisposedByAWrappingWriter()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        using SnapshotWriter writer = store.BeginWrite(3, 1);
        using (var text = new StreamWriter(writer.Body))
        {
            text.Write("hello");
        }

        SnapshotInfo info = writer.Commit();
        Assert.Equal(5, info.BodyLengthBytes);
        Assert.Equal("hello"u8.ToArray(), ReadBody(store, info));
    }

    [Fact]
    public void Open_FallsBackToPreviousSnapshot_WhenNewestIsCorrupt()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        byte[] older = Commit(store, 10, 1, 2000);
        Commit(store, 20, 2, 2000);
        string newest = store.Latest!.Path;
        byte[] bytes = File.ReadAllBytes(newest);
        bytes[500] ^= 0x01;
        File.WriteAllBytes(newest, bytes);

        SnapshotStore reopened = Open(temp.Path);

        Assert.Equal(10, reopened.Latest!.Index);
        Assert.Equal(older, ReadBody(reopened, reopened.Latest));
        SnapshotRejection rejection = Assert.Single(reopened.Rejected);
        Assert.Equal(newest, rejection.Path);
        Assert.Contains("checksum", rejection.Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(newest + ".corrupt"));
        Assert.False(File.Exists(newest));
    }

    [Fact]
    public void Open_RejectsSnapshot_WhenTrailerIsMissing()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        Commit(store, 10, 1, 100);
        string path = store.Latest!.Path;
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^16]);

        SnapshotStore reopened = Open(temp.Path);

        Assert.Null(reopened.Latest);
        Assert.Contains("trailer", Assert.Single(reopened.Rejected).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_ThrowsAndFallsBack_WhenSnapshotRotsAfterOpen()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        Commit(store, 10, 1, 1000);
        Commit(store, 20, 1, 1000);
        SnapshotInfo newest = store.Latest!;
        byte[] bytes = File.ReadAllBytes(newest.Path);
        bytes[40] ^= 0x10;
        File.WriteAllBytes(newest.Path, bytes);

        Assert.Throws<StorageCorruptedException>(() => store.OpenRead(newest));
        Assert.Equal(10, store.Latest!.Index);
        Assert.Single(store.Rejected);
    }

    [Fact]
    public void Open_DeletesLeftoverTempFiles_WhenACommitWasInterrupted()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        Commit(store, 10, 1, 100);
        string leftover = Path.Combine(store.DirectoryPath, $"snap-{20:D20}-{1:D20}.tmp");
        File.WriteAllBytes(leftover, new byte[77]);

        SnapshotStore reopened = Open(temp.Path);

        Assert.False(File.Exists(leftover));
        Assert.Equal(10, reopened.Latest!.Index);
    }

    [Fact]
    public void Dispose_LeavesNothing_WhenWriterIsNotCommitted()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        using (SnapshotWriter writer = store.BeginWrite(10, 1))
        {
            writer.Body.Write(new byte[100_000]);
        }

        Assert.Empty(Directory.GetFiles(store.DirectoryPath));
        Assert.Null(store.Latest);

        // The store accepts a new writer afterwards.
        Commit(store, 10, 1, 10);
        Assert.Equal(10, store.Latest!.Index);
    }

    [Fact]
    public void Commit_DeletesOlderSnapshots_WhenMoreThanKeepCount()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        foreach (long index in new long[] { 10, 20, 30, 40 })
        {
            Commit(store, index, 1, 50);
        }

        string[] names = Directory.GetFiles(store.DirectoryPath).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal([$"snap-{30:D20}-{1:D20}.snap", $"snap-{40:D20}-{1:D20}.snap"], names);
    }

    [Fact]
    public void BeginWrite_Throws_WhenWriterIsOpenOrIndexIsOlderThanLatest()
    {
        using var temp = new TempDirectory();
        SnapshotStore store = Open(temp.Path);
        Commit(store, 10, 1, 50);

        Assert.Throws<ArgumentOutOfRangeException>(() => store.BeginWrite(9, 1));
        using SnapshotWriter writer = store.BeginWrite(11, 1);
        Assert.Throws<InvalidOperationException>(() => store.BeginWrite(12, 1));
    }

    [Fact]
    public void Commit_LeavesPreviousSnapshot_WhenPowerFailsBeforeRenameIsDurable()
    {
        var fileSystem = new FaultyFileSystem();
        var options = new SnapshotStoreOptions { DataDirectory = "/mem/data", FileSystem = fileSystem };
        SnapshotStore store = SnapshotStore.Open(options);
        Commit(store, 10, 1, 100);

        // 1 write of the body, 1 of the trailer, 1 flush, then the rename crashes.
        SnapshotWriter writer = store.BeginWrite(20, 1);
        writer.Body.Write(new byte[100]);
        fileSystem.CrashAfter(3);
        Assert.Throws<SimulatedCrashException>(() => writer.Commit());
        fileSystem.Restart(CrashMode.LoseUnsynced);

        SnapshotStore reopened = SnapshotStore.Open(options);
        Assert.Equal(10, reopened.Latest!.Index);
        Assert.Empty(reopened.Rejected);
        Assert.Single(fileSystem.ListFiles(reopened.DirectoryPath));
    }

    private static SnapshotStore Open(string dataDirectory) => SnapshotStore.Open(new SnapshotStoreOptions { DataDirectory = dataDirectory });

    private static byte[] Commit(SnapshotStore store, long index, long term, int bodyBytes)
    {
        byte[] body = WalTestKit.Payload(index, bodyBytes);
        using SnapshotWriter writer = store.BeginWrite(index, term);
        writer.Body.Write(body);
        writer.Commit();
        return body;
    }

    private static byte[] ReadBody(SnapshotStore store, SnapshotInfo snapshot)
    {
        using Stream stream = store.OpenRead(snapshot);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
