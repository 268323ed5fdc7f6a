namespace Statehouse.Storage.Tests;

/// <summary>Damage that is not a torn append must stop the node; damage confined to the tail must not.</summary>
public sealed class WalCorruptionTests
{
    private const int PayloadBytes = 100;

    [Fact]
    public void Open_TruncatesTail_WhenLastRecordHasBitFlip()
    {
        using var temp = new TempDirectory();
        WalOptions options = CreateLog(temp.Path, out LogRecord[] records, recordLastAppend: false);
        long lastFrame = WalTestKit.FrameOffset(1, 10, PayloadBytes);
        FlipBit(WalTestKit.SegmentPath(temp.Path, 1), lastFrame + 24 + 50);

        using var log = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(log, records[..9]);
        Assert.True(log.LastRecovery.TailTruncated);
        Assert.Equal(lastFrame, log.LastRecovery.TailOffsetBytes);
        Assert.Contains("checksum", log.LastRecovery.TailReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ThrowsDataLoss_WhenAcknowledgedLastRecordHasBitFlip()
    {
        using var temp = new TempDirectory();
        WalOptions options = CreateLog(temp.Path, out _);
        long lastFrame = WalTestKit.FrameOffset(1, 10, PayloadBytes);
        string segment = WalTestKit.SegmentPath(temp.Path, 1);
        FlipBit(segment, lastFrame + 24 + 50);
        byte[] damaged = File.ReadAllBytes(segment);

        var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));
        Assert.Equal(10, loss.ExpectedLastIndex);
        Assert.Equal(9, loss.FoundLastIndex);
        Assert.Contains(segment, loss.Files);
        Assert.Contains("--accept-wal-loss", loss.Message, StringComparison.Ordinal);

        // Refusing changes nothing on disk: the evidence stays for the operator.
        Assert.Equal(damaged, File.ReadAllBytes(segment));
    }

    [Theory]
    [InlineData(24 + 10)] // payload
    [InlineData(9)] // index field
    [InlineData(5)] // crc field
    [InlineData(1)] // length field
    public void Open_ThrowsCorrupted_WhenEarlierRecordHasBitFlip(int byteInFrame)
    {
        using var temp = new TempDirectory();
        WalOptions options = CreateLog(temp.Path, out _);
        long frame = WalTestKit.FrameOffset(1, 5, PayloadBytes);
        string segment = WalTestKit.SegmentPath(temp.Path, 1);
        FlipBit(segment, frame + byteInFrame);

        var exception = Assert.Throws<WalCorruptedException>(() => WriteAheadLog.Open(options));
        Assert.Equal(segment, exception.SegmentPath);
        Assert.Equal(frame, exception.Offset);
    }

    [Fact]
    public void Open_ThrowsCorrupted_WhenNonLastSegmentHasBitFlipInItsLastRecord()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 1000);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, 10, 1, PayloadBytes));
            Assert.Equal(2, log.SegmentCount);
        }

        FlipBit(WalTestKit.SegmentPath(temp.Path, 1), WalTestKit.FrameOffset(1, 7, PayloadBytes) + 30);
        var exception = Assert.Throws<WalCorruptedException>(() => WriteAheadLog.Open(options));
        Assert.Equal(WalTestKit.SegmentPath(temp.Path, 1), exception.SegmentPath);
    }

    [Fact]
    public void Open_ThrowsCorrupted_WhenMiddleSegmentIsMissing()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 1000);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, 20, 1, PayloadBytes));
            Assert.Equal(3, log.SegmentCount);
        }

        File.Delete(WalTestKit.SegmentPath(temp.Path, 8));
        var exception = Assert.Throws<WalCorruptedException>(() => WriteAheadLog.Open(options));
        Assert.Contains("gap", exception.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)] // first (non-last) segment: never excusable
    [InlineData(8)] // last segment, but the damage is not the zero-filled pattern of a torn creation
    public void Open_ThrowsCorrupted_WhenSegmentHeaderIsDamaged(long segmentFirstIndex)
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 1000);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(WalTestKit.Batch(1, 10, 1, PayloadBytes));
        }

        FlipBit(WalTestKit.SegmentPath(temp.Path, segmentFirstIndex), 3);
        var exception = Assert.Throws<WalCorruptedException>(() => WriteAheadLog.Open(options));
        Assert.Equal(0, exception.Offset);
    }

    [Fact]
    public void Read_ThrowsCorrupted_WhenRecordRotsAfterOpen()
    {
        using var temp = new TempDirectory();
        WalOptions options = CreateLog(temp.Path, out _);
        using var log = WriteAheadLog.Open(options);
        FlipBit(WalTestKit.SegmentPath(temp.Path, 1), WalTestKit.FrameOffset(1, 3, PayloadBytes) + 40);

        Assert.Throws<WalCorruptedException>(() => log.Read(1).ToList());
    }

    [Fact]
    public void Open_TruncatesTail_WhenNeverWrittenSectorPrecedesLaterFramesOfLastAppend()
    {
        // Power loss with out-of-order writeback: a sector in the middle of the last append never reached the disk
        // while later sectors did. The zero sector proves that append never completed, so nothing after it was acknowledged.
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path);
        LogRecord[] records = WalTestKit.Batch(1, 23, 1, PayloadBytes);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records[..3]);
            WalTestKit.AppendUnrecorded(log, temp.Path, () => log.Append(records[3..]));
        }

        string segment = WalTestKit.SegmentPath(temp.Path, 1);
        byte[] bytes = File.ReadAllBytes(segment);
        Array.Clear(bytes, 1024, 512);
        File.WriteAllBytes(segment, bytes);

        // Frame 9 starts at 16 + 8 * 124 = 1008 and is the first that overlaps the lost sector.
        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, records[..8]);
        Assert.Equal(1008, reopened.LastRecovery.TailOffsetBytes);
        Assert.Contains("never-written", reopened.LastRecovery.TailReason, StringComparison.Ordinal);
    }

    private static WalOptions CreateLog(string directory, out LogRecord[] records, bool recordLastAppend = true)
    {
        WalOptions options = WalTestKit.Options(directory);
        records = WalTestKit.Batch(1, 10, 1, PayloadBytes);
        LogRecord[] last = records[7..];
        using var log = WriteAheadLog.Open(options);
        log.Append(records[..4]);
        log.Append(records[4..7]);
        if (recordLastAppend)
        {
            log.Append(last);
        }
        else
        {
            WalTestKit.AppendUnrecorded(log, directory, () => log.Append(last));
        }

        return options;
    }

    private static void FlipBit(string path, long offset)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var one = new byte[1];
        RandomAccess.Read(handle, one, offset);
        one[0] ^= 0x40;
        RandomAccess.Write(handle, one, offset);
    }
}
