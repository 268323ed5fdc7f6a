namespace Statehouse.Storage.Tests;

public sealed class RaftMetadataStoreTests
{
    [Fact]
    public void Load_ReturnsDefaults_WhenNothingWasSaved()
    {
        using var temp = new TempDirectory();
        Assert.Equal(new RaftMetadata(0, null), new RaftMetadataStore(temp.Combine("missing")).Load());
    }

    [Theory]
    [InlineData(1L, null)]
    [InlineData(7L, "node-2")]
    [InlineData(long.MaxValue, "nœud-ü-3")]
    public void Save_RoundTripsThroughNewInstance_WhenLoaded(long term, string? votedFor)
    {
        using var temp = new TempDirectory();
        new RaftMetadataStore(temp.Path).Save(new RaftMetadata(term, votedFor));
        Assert.Equal(new RaftMetadata(term, votedFor), new RaftMetadataStore(temp.Path).Load());
    }

    [Fact]
    public void Save_Throws_WhenTermDecreasesOrVoteChangesWithinTerm()
    {
        using var temp = new TempDirectory();
        var store = new RaftMetadataStore(temp.Path);
        store.Save(new RaftMetadata(5, null));
        store.Save(new RaftMetadata(5, "a"));

        Assert.Throws<ArgumentException>(() => store.Save(new RaftMetadata(4, "a")));
        Assert.Throws<ArgumentException>(() => new RaftMetadataStore(temp.Path).Save(new RaftMetadata(5, "b")));
        Assert.Throws<ArgumentException>(() => store.Save(new RaftMetadata(6, new string('x', 1025))));
        store.Save(new RaftMetadata(6, "b"));
        Assert.Equal(new RaftMetadata(6, "b"), new RaftMetadataStore(temp.Path).Load());
    }

    [Fact]
    public void Load_ThrowsCorrupted_WhenFileIsDamaged()
    {
        using var temp = new TempDirectory();
        new RaftMetadataStore(temp.Path).Save(new RaftMetadata(3, "n1"));
        string path = temp.Combine(RaftMetadataStore.FileName);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[17] ^= 0x02;
        File.WriteAllBytes(path, bytes);

        Assert.Throws<StorageCorruptedException>(() => new RaftMetadataStore(temp.Path).Load());
    }

    [Theory]
    [InlineData(0)] // crash creating the temp file
    [InlineData(2)] // crash at its fdatasync
    [InlineData(3)] // crash at the rename
    [InlineData(4)] // crash at the directory fsync: the rename is not durable yet
    public void Save_LeavesOldOrNewValue_WhenPowerFailsMidway(int mutationsBeforeCrash)
    {
        var fileSystem = new FaultyFileSystem();
        var store = new RaftMetadataStore("/mem/data", fileSystem);
        store.Save(new RaftMetadata(1, "a"));

        fileSystem.CrashAfter(mutationsBeforeCrash);
        Assert.Throws<SimulatedCrashException>(() => store.Save(new RaftMetadata(2, "b")));
        fileSystem.Restart(CrashMode.LoseUnsynced);

        Assert.Equal(new RaftMetadata(1, "a"), new RaftMetadataStore("/mem/data", fileSystem).Load());
    }
}
