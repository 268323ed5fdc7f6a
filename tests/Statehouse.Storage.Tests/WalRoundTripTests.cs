namespace Statehouse.Storage.Tests;

public sealed class WalRoundTripTests
{
    [Fact]
    public void Open_CreatesEmptyLog_WhenDirectoryIsMissing()
    {
        using var temp = new TempDirectory();
        string directory = temp.Combine("data/wal");
        using var log = WriteAheadLog.Open(WalTestKit.Options(directory));

        Assert.Equal(1, log.FirstIndex);
        Assert.Equal(0, log.LastIndex);
        Assert.Equal(0, log.LastTerm);
        Assert.Equal(16, log.SizeBytes);
        Assert.True(File.Exists(WalTestKit.SegmentPath(directory, 1)));
        Assert.Empty(log.Read(1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Append_RoundTripsByteExact_WhenBatchesSpanSegmentsAndLogIsReopened(bool preallocate)
    {
        using var temp = new TempDirectory();
        var expected = new List<LogRecord>();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 700, preallocate);
        using (var log = WriteAheadLog.Open(options))
        {
            long term = 1;
            for (int batch = 0; batch < 40; batch++)
            {
                term += batch % 7 == 0 ? 1 : 0;
                LogRecord[] records = Enumerable.Range(0, 1 + (batch % 5))
                    .Select(i => new LogRecord(log.LastIndex + 1 + i, term, WalTestKit.Payload(log.LastIndex + 1 + i, (batch * 37 + i * 11) % 150)))
                    .ToArray();
                log.Append(records);
                expected.AddRange(records);
                Assert.Equal(expected[^1].Index, log.LastIndex);
            }

            Assert.True(log.SegmentCount >= 5, $"only {log.SegmentCount} segments");
            WalTestKit.AssertHolds(log, expected, "before reopen");
        }

        using (var reopened = WriteAheadLog.Open(options))
        {
            Assert.False(reopened.LastRecovery.TailTruncated);
            Assert.Equal(expected.Count, reopened.LastRecovery.RecordCount);
            WalTestKit.AssertHolds(reopened, expected, "after reopen");
        }

        // Sealed segments end at their last frame; none exceeds the segment size.
        foreach (string path in Directory.GetFiles(temp.Path, "wal-*.seg").Order().SkipLast(1))
        {
            Assert.InRange(new FileInfo(path).Length, 16 + 24, 700);
        }
    }

    [Fact]
    public void Read_ReturnsExactRange_WhenRangeStartsMidSegment()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, segmentSizeBytes: 8192));
        LogRecord[] records = WalTestKit.Batch(1, 500, 3, 20);
        log.Append(records);

        foreach ((long from, long to) in new[] { (1L, 1L), (63L, 66L), (64L, 200L), (129L, 129L), (450L, 500L), (300L, long.MaxValue), (501L, 600L) })
        {
            var read = log.Read(from, to).ToList();
            long last = Math.Min(to, 500);
            Assert.Equal(Math.Max(0, last - from + 1), read.Count);
            for (int i = 0; i < read.Count; i++)
            {
                WalTestKit.AssertSame(records[from - 1 + i], read[i], $"range {from}..{to}");
            }
        }
    }

    [Fact]
    public void Read_Throws_WhenRangeIsOutsideLog()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path));
        log.Append(WalTestKit.Batch(1, 3, 1, 10));

        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(3, 1));
    }

    [Fact]
    public void Read_Throws_WhenLogChangesDuringEnumeration()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path));
        log.Append(WalTestKit.Batch(1, 3, 1, 10));

        using IEnumerator<LogRecord> enumerator = log.Read(1).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        log.Append(WalTestKit.Batch(4, 1, 1, 10));
        Assert.Throws<InvalidOperationException>(() => enumerator.MoveNext());
    }

    [Fact]
    public void Append_Throws_WhenBatchDoesNotContinueLog()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(new WalOptions { Directory = temp.Path, MaxRecordBytes = 100 });
        log.Append(WalTestKit.Batch(1, 2, 5, 10));

        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(4, 1, 5, 10)));
        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(2, 1, 5, 10)));
        Assert.Throws<ArgumentException>(() => log.Append([new LogRecord(3, 5, new byte[1]), new LogRecord(5, 5, new byte[1])]));
        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(3, 1, 4, 10)));
        Assert.Throws<ArgumentException>(() => log.Append(WalTestKit.Batch(3, 1, 5, 101)));

        // Rejected input does not poison the log.
        Assert.False(log.IsFailed);
        log.Append(WalTestKit.Batch(3, 1, 6, 100));
        Assert.Equal(3, log.LastIndex);
        Assert.Equal(6, log.LastTerm);
    }

    [Fact]
    public void Append_AcceptsEmptyPayloadsAndEmptyBatches_WhenReopened()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path);
        LogRecord[] records = [new(1, 1, Array.Empty<byte>()), new(2, 1, new byte[] { 0 }), new(3, 2, Array.Empty<byte>())];
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append([]);
            log.Append(records);
        }

        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records);
    }

    [Fact]
    public void Append_PutsOversizedRecordInItsOwnSegment_WhenRecordExceedsSegmentSize()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 256);
        var records = new List<LogRecord>();
        using (var log = WriteAheadLog.Open(options))
        {
            foreach (int size in new[] { 10, 1000, 10, 2000, 3000 })
            {
                var record = new LogRecord(log.LastIndex + 1, 1, WalTestKit.Payload(log.LastIndex + 1, size));
                log.Append([record]);
                records.Add(record);
            }

            Assert.Equal(5, log.SegmentCount);
        }

        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records);
    }

    [Fact]
    public void Open_Throws_WhenDirectoryIsLockedByAnotherInstance()
    {
        using var temp = new TempDirectory();
        using var first = WriteAheadLog.Open(WalTestKit.Options(temp.Path));
        Assert.ThrowsAny<IOException>(() => WriteAheadLog.Open(WalTestKit.Options(temp.Path)));
    }

    [Fact]
    public void Append_WritesOnceAndSyncsOnce_WhenBatchFitsActiveSegment()
    {
        var fileSystem = new FaultyFileSystem();
        using var log = WriteAheadLog.Open(WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1 << 20, highWaterIntervalMs: 60_000));
        (int writes, int flushes, int directorySyncs) = (fileSystem.WriteCount, fileSystem.FlushCount, fileSystem.DirectorySyncCount);

        log.Append(WalTestKit.Batch(1, 64, 1, 100));

        Assert.Equal(writes + 1, fileSystem.WriteCount);
        Assert.Equal(flushes + 1, fileSystem.FlushCount);
        Assert.Equal(directorySyncs, fileSystem.DirectorySyncCount);
    }

    [Fact]
    public void Append_SyncsOldSegmentNewSegmentAndDirectory_WhenBatchRolls()
    {
        var fileSystem = new FaultyFileSystem();
        using var log = WriteAheadLog.Open(WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1000, highWaterIntervalMs: 60_000));
        log.Append(WalTestKit.Batch(1, 5, 1, 100));
        (int writes, int flushes, int directorySyncs) = (fileSystem.WriteCount, fileSystem.FlushCount, fileSystem.DirectorySyncCount);

        log.Append(WalTestKit.Batch(6, 4, 1, 100));

        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(writes + 2, fileSystem.WriteCount);
        Assert.Equal(flushes + 2, fileSystem.FlushCount);
        Assert.Equal(directorySyncs + 1, fileSystem.DirectorySyncCount);
    }

    [Fact]
    public void Open_IgnoresUnknownFiles_WhenDirectoryHoldsThem()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("notes.txt"), "hello");
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path));
        log.Append(WalTestKit.Batch(1, 1, 1, 5));
        Assert.Equal(1, log.LastIndex);
    }
}
