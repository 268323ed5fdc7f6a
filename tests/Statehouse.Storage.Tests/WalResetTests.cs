namespace Statehouse.Storage.Tests;

public sealed class WalResetTests
{
    private const int PayloadBytes = 100;

    // 7 records of 124 bytes per 1000-byte segment: segments start at 1, 8, 15, 22, 29.
    private const long SegmentSizeBytes = 1000;

    [Theory]
    [InlineData(0, 10L)] // empty log
    [InlineData(5, 10L)] // shorter than the snapshot
    [InlineData(30, 12L)] // longer: snapshot inside a segment
    [InlineData(30, 14L)] // longer: base segment name collides with segment 15
    [InlineData(30, 30L)] // snapshot at LastIndex
    [InlineData(30, 0L)] // everything from index 1 on
    public void ResetAfterSnapshot_ThenAppend_ContinuesAcrossReopen(int recordCount, long snapshotIndex)
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, SegmentSizeBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, recordCount, 2, PayloadBytes));
            log.ResetAfterSnapshot(snapshotIndex, 7);
            AssertReset(log, snapshotIndex, 7);
            Assert.Equal(1, log.SegmentCount);
        }

        LogRecord[] appended = WalTestKit.Batch(snapshotIndex + 1, 20, 8, PayloadBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            AssertReset(log, snapshotIndex, 7);
            log.Append(appended);
        }

        Assert.True(File.Exists(WalTestKit.SegmentPath(temp.Path, snapshotIndex + 1)));
        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, appended);
        Assert.True(reopened.SegmentCount > 1);
    }

    [Fact]
    public void ResetAfterSnapshot_KeepsLastTerm_WhenReopenedEmptyOrTruncatedBackToBase()
    {
        var fileSystem = new FaultyFileSystem();
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: SegmentSizeBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, 3, 1, PayloadBytes));
            log.ResetAfterSnapshot(100, 5);
        }

        fileSystem.Restart(CrashMode.LoseUnsynced);
        using (var log = WriteAheadLog.Open(options))
        {
            AssertReset(log, 100, 5);
            log.Append(WalTestKit.Batch(101, 20, 6, PayloadBytes));
            log.TruncateSuffix(101);
            AssertReset(log, 100, 5);
        }

        fileSystem.Restart(CrashMode.LoseUnsynced);
        using var reopened = WriteAheadLog.Open(options);
        AssertReset(reopened, 100, 5);
    }

    [Fact]
    public void ResetAfterSnapshot_CanBeRepeated_WhenSnapshotIndexIsTheSame()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, SegmentSizeBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.ResetAfterSnapshot(50, 3);
            log.Append(WalTestKit.Batch(51, 10, 3, PayloadBytes));
            log.ResetAfterSnapshot(50, 4);
            AssertReset(log, 50, 4);
            log.ResetAfterSnapshot(60, 9);
            AssertReset(log, 60, 9);
        }

        using var reopened = WriteAheadLog.Open(options);
        AssertReset(reopened, 60, 9);
        Assert.Equal(0, reopened.LastRecovery.SupersededSegmentCount);
    }

    [Fact]
    public void Append_Throws_WhenIndexDoesNotFollowSnapshot()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        log.Append(WalTestKit.Batch(1, 10, 1, PayloadBytes));
        log.ResetAfterSnapshot(40, 3);

        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(11, 1, 3, PayloadBytes)));
        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(42, 1, 3, PayloadBytes)));
        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(41, 1, 2, PayloadBytes))); // term below the snapshot's
        Assert.False(log.IsFailed);
        log.Append(WalTestKit.Batch(41, 1, 3, PayloadBytes));
        Assert.Equal(41, log.LastIndex);
    }

    [Fact]
    public void ResetAfterSnapshot_Throws_WhenSnapshotIsBelowFirstIndex()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        log.ResetAfterSnapshot(40, 3);

        Assert.Throws<ArgumentOutOfRangeException>(() => log.ResetAfterSnapshot(39, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.ResetAfterSnapshot(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.ResetAfterSnapshot(45, -1));
        Assert.False(log.IsFailed);
        AssertReset(log, 40, 3);
    }

    [Fact]
    public void Truncations_Work_AfterReset()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, SegmentSizeBytes);
        LogRecord[] records = WalTestKit.Batch(21, 30, 4, PayloadBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, 5, 1, PayloadBytes));
            log.ResetAfterSnapshot(20, 4);
            log.Append(records);
            Assert.Equal(5, log.SegmentCount); // base segment 21..27 (32-byte header), then 28, 35, 42, 49

            log.TruncatePrefix(30);
            Assert.Equal(28, log.FirstIndex);
            log.TruncateSuffix(45);
            WalTestKit.AssertHolds(log, records[7..24]);
            Assert.Throws<ArgumentOutOfRangeException>(() => log.TruncateSuffix(27));
        }

        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records[7..24]);
    }

    [Fact]
    public void ResetAfterSnapshot_PoisonsLog_WhenFdatasyncFails()
    {
        var fileSystem = new FaultyFileSystem();
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: SegmentSizeBytes);
        LogRecord[] records = WalTestKit.Batch(1, 10, 1, PayloadBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records);
            fileSystem.FailFlushAfter(0);
            Assert.Throws<WalFailedException>(() => log.ResetAfterSnapshot(5, 2));
            Assert.True(log.IsFailed);
            Assert.Throws<WalFailedException>(() => log.Append(WalTestKit.Batch(6, 1, 2, PayloadBytes)));
        }

        fileSystem.Restart(CrashMode.KeepUnsynced);
        using var reopened = WriteAheadLog.Open(options);
        Assert.True(reopened.LastIndex >= 5);
    }

    [Fact]
    public void Open_Throws_WhenSegmentsHaveGapWithoutBaseSegment()
    {
        var fileSystem = new FaultyFileSystem();
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: SegmentSizeBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, 30, 1, PayloadBytes));
        }

        fileSystem.DeleteFile(WalTestKit.SegmentPath(WalTestKit.MemoryDirectory, 15));
        Assert.Throws<WalCorruptedException>(() => WriteAheadLog.Open(options));
    }

    public static TheoryData<int, long, long, bool> CrashCases => new()
    {
        { 30, 12, 3, true }, // longer log, segments after the base are deleted first
        { 30, 14, 3, false }, // base name collides with segment 15
        { 5, 40, 3, true }, // shorter log
        { 0, 0, 0, false }, // empty new log: base replaces segment 1
        { 30, 0, 3, true }, // base replaces the first segment, 4 later ones go first
    };

    [Theory]
    [MemberData(nameof(CrashCases))]
    public void Open_FindsOldOrResetLog_WhenCrashHitsAnyStepOfReset(int recordCount, long snapshotIndex, long termBefore, bool preallocate)
    {
        LogRecord[] records = WalTestKit.Batch(1, recordCount, termBefore, PayloadBytes);
        const long snapshotTerm = 9;
        int resets = 0;
        int olds = 0;
        int superseded = 0;
        for (int crashAfter = 0; ; crashAfter++)
        {
            foreach (CrashMode mode in Enum.GetValues<CrashMode>())
            {
                var fileSystem = new FaultyFileSystem();
                WalOptions options = WalTestKit.MemoryOptions(fileSystem, SegmentSizeBytes, preallocate);
                using (var log = WriteAheadLog.Open(options))
                {
                    log.Append(records);
                    fileSystem.CrashAfter(crashAfter);
                    try
                    {
                        log.ResetAfterSnapshot(snapshotIndex, snapshotTerm);
                    }
                    catch (WalFailedException exception) when (exception.InnerException is SimulatedCrashException)
                    {
                    }
                }

                bool crashed = fileSystem.IsCrashed;
                fileSystem.Restart(mode, seed: crashAfter);
                string context = $"crash after {crashAfter} ({mode})";
                using (var log = WriteAheadLog.Open(options))
                {
                    superseded += log.LastRecovery.SupersededSegmentCount;
                    long floor = Math.Min(snapshotIndex, records.Length);
                    Assert.True(log.LastIndex >= floor, $"{context}: LastIndex {log.LastIndex} < {floor}");
                    if (log.FirstIndex == snapshotIndex + 1 && log.LastIndex == snapshotIndex && log.SegmentCount == 1
                        && log.LastTerm == snapshotTerm)
                    {
                        resets++;
                    }
                    else
                    {
                        // The old log, or (crash in step 1) a prefix of it that still reaches the snapshot.
                        olds++;
                        long kept = log.LastIndex - log.FirstIndex + 1;
                        WalTestKit.AssertHolds(log, records[..(int)kept], context);
                        Assert.True(kept == records.Length || kept >= snapshotIndex, context);
                    }

                    // A retried reset always completes, and the log continues after the snapshot.
                    log.ResetAfterSnapshot(snapshotIndex, snapshotTerm);
                    log.Append(WalTestKit.Batch(snapshotIndex + 1, 3, snapshotTerm, PayloadBytes));
                }

                fileSystem.Restart(mode);
                using (var log = WriteAheadLog.Open(options))
                {
                    Assert.Equal(snapshotIndex + 1, log.FirstIndex);
                    Assert.Equal(snapshotIndex + 3, log.LastIndex);
                    Assert.Equal(snapshotTerm, log.LastTerm);
                }

                if (!crashed && mode == CrashMode.ReorderUnsynced)
                {
                    Assert.True(crashAfter > 3, "the reset should take several file-system steps");
                    Assert.True(resets > 0, "some crash points should land after the rename");
                    Assert.True(olds > 0, "some crash points should land before the rename");
                    Assert.True(superseded > 0 || recordCount == 0 || snapshotIndex == 0, "some crashes should leave superseded segments");
                    return;
                }
            }
        }
    }

    private static void AssertReset(WriteAheadLog log, long snapshotIndex, long snapshotTerm)
    {
        Assert.Equal(snapshotIndex + 1, log.FirstIndex);
        Assert.Equal(snapshotIndex, log.LastIndex);
        Assert.Equal(snapshotTerm, log.LastTerm);
        Assert.Empty(log.Read(snapshotIndex + 1));
    }
}
