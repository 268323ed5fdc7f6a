namespace Statehouse.Storage.Tests;

/// <summary>
/// The WAL manifest: a log that holds less than it is known to have reached is refused, never silently shortened;
/// crashes (including torn writes of the manifest itself) never make a sound log look shortened.
/// </summary>
public sealed class WalManifestTests
{
    private const int PayloadBytes = 100;

    /// <summary>A log of 30 records in segments of 10 (1..10, 11..20, 21..30), closed cleanly.</summary>
    private static (WalOptions Options, LogRecord[] Records) ThreeSegments(string directory, int highWaterIntervalMs = 0)
    {
        WalOptions options = WalTestKit.Options(directory, segmentSizeBytes: 16 + (10 * (24 + PayloadBytes)), highWaterIntervalMs: highWaterIntervalMs);
        LogRecord[] records = WalTestKit.Batch(1, 30, 1, PayloadBytes);
        using var log = WriteAheadLog.Open(options);
        for (int i = 0; i < 30; i += 5)
        {
            log.Append(records[i..(i + 5)]);
        }

        Assert.Equal(3, log.SegmentCount);
        return (options, records);
    }

    [Fact]
    public void Open_ThrowsDataLoss_WhenNewestSegmentIsDeleted()
    {
        using var temp = new TempDirectory();
        (WalOptions options, _) = ThreeSegments(temp.Path);
        string newest = WalTestKit.SegmentPath(temp.Path, 21);
        File.Delete(newest);

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));

        Assert.Equal(30, loss.ExpectedLastIndex);
        Assert.Equal(20, loss.FoundLastIndex);
        Assert.Contains(newest, loss.Files);
        Assert.Contains("wal-00000000000000000021.seg", loss.Message, StringComparison.Ordinal);
        Assert.Contains("records 21..30 are missing", loss.Message, StringComparison.Ordinal);
        Assert.Contains("re-seed", loss.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ThrowsDataLoss_WhenNewestSegmentIsTruncatedToZeroBytes()
    {
        using var temp = new TempDirectory();
        (WalOptions options, _) = ThreeSegments(temp.Path);
        string newest = WalTestKit.SegmentPath(temp.Path, 21);
        File.WriteAllBytes(newest, []);

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));

        Assert.Equal(20, loss.FoundLastIndex);
        Assert.Contains("no complete header", loss.Message, StringComparison.Ordinal);

        // Refusing deletes nothing: before this fix the empty file was removed as "a crash while creating it".
        Assert.True(File.Exists(newest));
    }

    [Fact]
    public void Open_ThrowsDataLoss_WhenFirstSegmentIsDeleted()
    {
        using var temp = new TempDirectory();
        (WalOptions options, _) = ThreeSegments(temp.Path);
        File.Delete(WalTestKit.SegmentPath(temp.Path, 1));

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));

        Assert.Equal(1, loss.ExpectedFirstIndex);
        Assert.Equal(11, loss.FoundFirstIndex);
        Assert.Contains("wal-00000000000000000001.seg", loss.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9, false)]
    [InlineData(10, true)]
    [InlineData(15, true)]
    public void Open_AllowsMissingFirstSegment_OnlyWhenASnapshotCoversIt(long coveredThroughIndex, bool opens)
    {
        using var temp = new TempDirectory();
        (WalOptions options, LogRecord[] records) = ThreeSegments(temp.Path);
        File.Delete(WalTestKit.SegmentPath(temp.Path, 1));
        WalOptions covered = new()
        {
            Directory = options.Directory,
            SegmentSizeBytes = options.SegmentSizeBytes,
            HighWaterCheckpointIntervalMs = 0,
            CoveredThroughIndex = coveredThroughIndex,
        };

        if (!opens)
        {
            Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(covered));
            return;
        }

        using var log = WriteAheadLog.Open(covered);
        WalTestKit.AssertHolds(log, records[10..]);
    }

    [Fact]
    public void Open_ThrowsDataLoss_WhenEverySegmentIsDeleted()
    {
        using var temp = new TempDirectory();
        (WalOptions options, _) = ThreeSegments(temp.Path);
        foreach (string file in Directory.GetFiles(temp.Path, "wal-*.seg"))
        {
            File.Delete(file);
        }

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));
        Assert.Equal(0, loss.FoundLastIndex);
        Assert.Empty(Directory.GetFiles(temp.Path, "wal-*.seg"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(23)]
    [InlineData(124)]
    [InlineData(125)]
    [InlineData(500)]
    public void Open_ThrowsDataLoss_WhenNewestSegmentLosesItsLastBytes(int cutBytes)
    {
        using var temp = new TempDirectory();
        (WalOptions options, _) = ThreeSegments(temp.Path);
        string newest = WalTestKit.SegmentPath(temp.Path, 21);
        byte[] bytes = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, bytes[..^cutBytes]);

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));
        Assert.True(loss.FoundLastIndex < 30);
        Assert.Contains(newest, loss.Files);
    }

    [Fact]
    public void Open_KeepsValidPrefix_WhenDataLossIsAccepted()
    {
        using var temp = new TempDirectory();
        (WalOptions options, LogRecord[] records) = ThreeSegments(temp.Path);
        File.Delete(WalTestKit.SegmentPath(temp.Path, 21));
        WalOptions accepting = new()
        {
            Directory = options.Directory,
            SegmentSizeBytes = options.SegmentSizeBytes,
            HighWaterCheckpointIntervalMs = 0,
            AcceptDataLoss = true,
        };

        using (var log = WriteAheadLog.Open(accepting))
        {
            WalTestKit.AssertHolds(log, records[..20]);
            Assert.True(log.LastRecovery.DataLossAccepted);
            Assert.Equal(20, log.RecordedHighWaterIndex);
        }

        // The manifest now describes the shortened log: the next ordinary open is clean.
        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records[..20]);
        Assert.False(reopened.LastRecovery.DataLossAccepted);
    }

    [Fact]
    public void Open_CutsAtCorruptionAndSetsLaterSegmentsAside_WhenDataLossIsAccepted()
    {
        using var temp = new TempDirectory();
        (WalOptions options, LogRecord[] records) = ThreeSegments(temp.Path);
        string middle = WalTestKit.SegmentPath(temp.Path, 11);
        byte[] bytes = File.ReadAllBytes(middle);
        bytes[WalTestKit.FrameOffset(11, 15, PayloadBytes) + 30] ^= 0x10;
        File.WriteAllBytes(middle, bytes);
        Assert.Throws<WalCorruptedException>(() => WriteAheadLog.Open(options));

        WalOptions accepting = new() { Directory = options.Directory, SegmentSizeBytes = options.SegmentSizeBytes, AcceptDataLoss = true };
        using var log = WriteAheadLog.Open(accepting);

        WalTestKit.AssertHolds(log, records[..14]);
        Assert.Equal(1, log.LastRecovery.SetAsideSegmentCount);
        Assert.True(File.Exists(WalTestKit.SegmentPath(temp.Path, 21) + WriteAheadLog.LostSuffix));
        log.Append(WalTestKit.Batch(15, 3, 2, PayloadBytes));
        Assert.Equal(17, log.LastIndex);
    }

    [Fact]
    public void Open_CreatesManifest_WhenLogPredatesManifests()
    {
        using var temp = new TempDirectory();
        (WalOptions options, LogRecord[] records) = ThreeSegments(temp.Path);
        File.Delete(WalTestKit.ManifestPath(temp.Path));

        using (var log = WriteAheadLog.Open(options))
        {
            WalTestKit.AssertHolds(log, records);
            Assert.False(log.LastRecovery.ManifestFound);
            Assert.Equal(30, log.RecordedHighWaterIndex);
        }

        File.Delete(WalTestKit.SegmentPath(temp.Path, 21));
        Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));
    }

    [Fact]
    public void Open_UsesOlderSlot_WhenNewestSlotIsCorrupt()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, highWaterIntervalMs: 60_000);
        LogRecord[] records = WalTestKit.Batch(1, 10, 1, PayloadBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records[..5]);
            log.Checkpoint();
            log.Append(records[5..]);
        }

        // The clean close wrote the slot recording 10; damage it, and the previous slot (5) decides.
        byte[] manifest = File.ReadAllBytes(WalTestKit.ManifestPath(temp.Path));
        int newestSlot = FindSlotWithHighWater(manifest, 10);
        manifest[newestSlot + 33] ^= 1;
        File.WriteAllBytes(WalTestKit.ManifestPath(temp.Path), manifest);

        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records);
        Assert.True(reopened.LastRecovery.ManifestFound);
    }

    [Fact]
    public void Open_ThrowsDataLoss_WhenBothSlotsAreCorrupt()
    {
        using var temp = new TempDirectory();
        (WalOptions options, _) = ThreeSegments(temp.Path);
        string path = WalTestKit.ManifestPath(temp.Path);
        byte[] manifest = File.ReadAllBytes(path);
        manifest[20] ^= 1;
        manifest[4096 + 20] ^= 1;
        File.WriteAllBytes(path, manifest);

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));
        Assert.Contains(path, loss.Files);
        Assert.Contains("manifest", loss.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordedHighWater_LagsAppendUntilCheckpoint_WhenIntervalIsLong()
    {
        using var temp = new TempDirectory();
        var fileSystem = new FaultyFileSystem();
        using var log = WriteAheadLog.Open(WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1 << 20, highWaterIntervalMs: 60_000));
        int flushes = fileSystem.FlushCount;

        log.Append(WalTestKit.Batch(1, 3, 1, PayloadBytes));

        // Off the append path: one fdatasync (the segment), and the manifest still at the old end.
        Assert.Equal(flushes + 1, fileSystem.FlushCount);
        Assert.Equal(0, log.RecordedHighWaterIndex);
        log.Checkpoint();
        Assert.Equal(3, log.RecordedHighWaterIndex);
        Assert.Equal(flushes + 2, fileSystem.FlushCount);
    }

    [Fact]
    public void BackgroundCheckpoint_RecordsLastIndex_SoonAfterAppends()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, highWaterIntervalMs: 20));
        for (int i = 0; i < 20; i++)
        {
            log.Append(WalTestKit.Batch(log.LastIndex + 1, 2, 1, PayloadBytes));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (log.RecordedHighWaterIndex != 40 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.Equal(40, log.RecordedHighWaterIndex);
    }

    [Fact]
    public void Open_NeverRefusesSoundLog_WhenCrashTearsAnyManifestWrite()
    {
        // Every write of the manifest in a workload (creation, appends, truncations, reset, close), torn at every
        // sector-relevant length, under every crash mode: the reopened log holds every acknowledged record.
        var keeps = new[] { 0, 1, 8, 17, 33, 59, 63 };
        int manifestWrites = CountManifestWrites();
        Assert.True(manifestWrites >= 8, $"the workload writes the manifest {manifestWrites} times");
        for (int target = 0; target < manifestWrites; target++)
        {
            foreach (int keep in keeps)
            {
                foreach (CrashMode mode in Enum.GetValues<CrashMode>())
                {
                    var fileSystem = new FaultyFileSystem();
                    var acknowledged = new List<LogRecord>();
                    int seen = 0;
                    var options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 600);
                    fileSystem.TearNextWrite(path => path.EndsWith("wal.manifest", StringComparison.Ordinal) && seen++ == target, keep);
                    try
                    {
                        RunWorkload(options, acknowledged);
                    }
                    catch (Exception exception) when (exception is SimulatedCrashException or WalFailedException)
                    {
                    }

                    fileSystem.Restart(mode, seed: target * 31 + keep);
                    string context = $"manifest write {target}, keep {keep}, {mode}";
                    WriteAheadLog reopened;
                    try
                    {
                        reopened = WriteAheadLog.Open(options);
                    }
                    catch (WalDataLossException exception)
                    {
                        throw new InvalidOperationException($"{context}: a sound log was refused: {exception.Message}", exception);
                    }

                    using (reopened)
                    {
                        foreach (LogRecord record in acknowledged.Where(r => r.Index >= reopened.FirstIndex))
                        {
                            Assert.True(record.Index <= reopened.LastIndex, $"{context}: acknowledged {record.Index} lost (log ends {reopened.LastIndex})");
                        }
                    }
                }
            }
        }
    }

    private static int CountManifestWrites()
    {
        var fileSystem = new FaultyFileSystem();
        int count = 0;
        fileSystem.TearNextWrite(path => path.EndsWith("wal.manifest", StringComparison.Ordinal) && count++ < 0, 0);
        RunWorkload(WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 600), []);
        return count;
    }

    /// <summary>Appends, rolls, truncates both ends, resets and closes; acknowledged records are what survives each step.</summary>
    private static void RunWorkload(WalOptions options, List<LogRecord> acknowledged)
    {
        using var log = WriteAheadLog.Open(options);
        for (int i = 0; i < 4; i++)
        {
            LogRecord[] batch = WalTestKit.Batch(log.LastIndex + 1, 3, 1, 60);
            log.Append(batch);
            acknowledged.AddRange(batch);
        }

        log.TruncateSuffix(10);
        acknowledged.RemoveAll(r => r.Index >= 10);
        log.TruncatePrefix(6);
        LogRecord[] more = WalTestKit.Batch(10, 4, 2, 60);
        log.Append(more);
        acknowledged.AddRange(more);
        log.ResetAfterSnapshot(20, 3);
        acknowledged.Clear();
        LogRecord[] after = WalTestKit.Batch(21, 2, 3, 60);
        log.Append(after);
        acknowledged.AddRange(after);
    }

    private static int FindSlotWithHighWater(byte[] manifest, long highWater)
    {
        foreach (int offset in new[] { 0, 4096 })
        {
            if (BitConverter.ToInt64(manifest, offset + 32) == highWater)
            {
                return offset;
            }
        }

        throw new InvalidOperationException($"no slot records {highWater}");
    }
}
