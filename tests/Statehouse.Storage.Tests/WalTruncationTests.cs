namespace Statehouse.Storage.Tests;

public sealed class WalTruncationTests
{
    private const int PayloadBytes = 100;

    // 16 + 7 * 124 = 884 <= 1000 < 1008: seven records per segment, so segments start at 1, 8, 15, 22, ...
    private const long SegmentSizeBytes = 1000;

    [Fact]
    public void TruncatePrefix_DeletesOnlyWholeSegments_WhenThroughIndexIsInsideSegment()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        LogRecord[] records = WalTestKit.Batch(1, 30, 1, PayloadBytes);
        log.Append(records);
        Assert.Equal(5, log.SegmentCount);

        log.TruncatePrefix(17);

        Assert.Equal(15, log.FirstIndex);
        Assert.Equal(30, log.LastIndex);
        Assert.False(File.Exists(WalTestKit.SegmentPath(temp.Path, 1)));
        Assert.False(File.Exists(WalTestKit.SegmentPath(temp.Path, 8)));
        Assert.True(File.Exists(WalTestKit.SegmentPath(temp.Path, 15)));
        WalTestKit.AssertHolds(log, records[14..]);
    }

    [Fact]
    public void TruncatePrefix_DeletesSegment_WhenThroughIndexIsItsLastRecord()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        log.Append(WalTestKit.Batch(1, 30, 1, PayloadBytes));

        log.TruncatePrefix(14);

        Assert.Equal(15, log.FirstIndex);
        log.TruncatePrefix(13);
        Assert.Equal(15, log.FirstIndex);
    }

    [Fact]
    public void TruncatePrefix_KeepsActiveSegment_WhenThroughIndexIsBeyondLastIndex()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, SegmentSizeBytes);
        LogRecord[] records = WalTestKit.Batch(1, 30, 1, PayloadBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records);
            log.TruncatePrefix(1000);

            Assert.Equal(1, log.SegmentCount);
            Assert.Equal(29, log.FirstIndex);
            Assert.Equal(30, log.LastIndex);
            log.Append(WalTestKit.Batch(31, 1, 2, PayloadBytes));
        }

        using var reopened = WriteAheadLog.Open(options);
        Assert.Equal(29, reopened.FirstIndex);
        Assert.Equal(31, reopened.LastIndex);
        Assert.Equal(2, reopened.LastTerm);
    }

    [Theory]
    [InlineData(20L)] // inside a segment
    [InlineData(15L)] // first record of a segment: that segment stays, empty
    [InlineData(3L)] // inside the first segment: later segments go
    [InlineData(1L)] // everything: an empty log that continues at 1
    [InlineData(30L)] // only the last record
    public void TruncateSuffix_ThenAppend_ContinuesAcrossReopen(long fromIndex)
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, SegmentSizeBytes);
        var records = new List<LogRecord>();
        for (int batch = 0; batch < 6; batch++)
        {
            records.AddRange(WalTestKit.Batch(records.Count + 1, 5, 1 + batch, PayloadBytes));
        }

        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records);
            log.TruncateSuffix(fromIndex);
            records.RemoveAll(record => record.Index >= fromIndex);
            WalTestKit.AssertHolds(log, records, "after truncation");
            Assert.Equal(fromIndex - 1, log.LastIndex);
        }

        using (var log = WriteAheadLog.Open(options))
        {
            WalTestKit.AssertHolds(log, records, "after reopen");
            Assert.Equal(fromIndex - 1, log.LastIndex);

            // New records at the truncated indexes, with a different size than the ones they replace.
            LogRecord[] replacement = WalTestKit.Batch(fromIndex, 12, 9, 33);
            log.Append(replacement);
            records.AddRange(replacement);
        }

        using (var log = WriteAheadLog.Open(options))
        {
            Assert.False(log.LastRecovery.TailTruncated);
            WalTestKit.AssertHolds(log, records, "after append and reopen");
        }
    }

    [Theory]
    [InlineData(65L)] // first record after the first sparse-index checkpoint
    [InlineData(129L)] // exactly on a checkpoint
    [InlineData(200L)]
    [InlineData(2L)]
    public void TruncateSuffix_FindsFrameAndTerm_WhenSegmentHoldsManyCheckpoints(long fromIndex)
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path);
        LogRecord[] records = Enumerable.Range(1, 300)
            .Select(i => new LogRecord(i, i / 10, WalTestKit.Payload(i, i % 50)))
            .ToArray();
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records);
            log.TruncateSuffix(fromIndex);
            Assert.Equal(records[fromIndex - 2].Term, log.LastTerm);
            WalTestKit.AssertHolds(log, records[..(int)(fromIndex - 1)]);
            log.Append(records[(int)(fromIndex - 1)..]);
        }

        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records);
        Assert.Equal(150, reopened.Read(150, 150).Single().Index);
    }

    [Fact]
    public void TruncateSuffix_DoesNothing_WhenFromIndexIsPastLastIndex()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        LogRecord[] records = WalTestKit.Batch(1, 5, 1, PayloadBytes);
        log.Append(records);

        log.TruncateSuffix(6);
        log.TruncateSuffix(100);

        WalTestKit.AssertHolds(log, records);
    }

    [Fact]
    public void TruncateSuffix_Throws_WhenFromIndexIsBelowFirstIndex()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        log.Append(WalTestKit.Batch(1, 30, 1, PayloadBytes));
        log.TruncatePrefix(10);

        Assert.Throws<ArgumentOutOfRangeException>(() => log.TruncateSuffix(7));
        Assert.False(log.IsFailed);
        log.TruncateSuffix(8);
        Assert.Equal(7, log.LastIndex);
        Assert.Equal(8, log.FirstIndex);
        Assert.Equal(0, log.LastTerm);
    }

    [Fact]
    public void TruncateSuffix_RestoresLastTerm_WhenCutCrossesTermBoundary()
    {
        using var temp = new TempDirectory();
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, SegmentSizeBytes));
        log.Append(WalTestKit.Batch(1, 7, 1, PayloadBytes));
        log.Append(WalTestKit.Batch(8, 5, 4, PayloadBytes));

        log.TruncateSuffix(8);
        Assert.Equal(7, log.LastIndex);
        Assert.Equal(1, log.LastTerm);

        // Terms below the last one are allowed again once the higher-term records are gone.
        log.Append(WalTestKit.Batch(8, 1, 2, PayloadBytes));
        Assert.Equal(2, log.LastTerm);
    }
}
