namespace Statehouse.Storage.Tests;

/// <summary>A crash in the middle of an append: the log must come back ending at the last whole record.</summary>
public sealed class WalTornTailTests
{
    private const int PayloadBytes = 100;
    private const int FrameBytes = 24 + PayloadBytes;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Open_EndsAtLastWholeRecord_WhenLastFrameIsTornAtEveryByte(bool preallocate)
    {
        for (int cut = 0; cut < FrameBytes; cut++)
        {
            var fileSystem = new FaultyFileSystem();
            WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1 << 16, preallocate);
            var acknowledged = WalTestKit.Batch(1, 5, 1, PayloadBytes).ToList();
            using (var log = WriteAheadLog.Open(options))
            {
                log.Append(acknowledged);
                fileSystem.CrashAfter(0, tearKeepBytes: cut);
                Assert.Throws<WalFailedException>(() => log.Append(WalTestKit.Batch(6, 1, 1, PayloadBytes)));
            }

            fileSystem.Restart(CrashMode.KeepUnsynced);
            AssertRecoversAndContinues(options, acknowledged, expectTailTruncated: cut > 0, $"cut {cut}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Open_DropsUnfinishedSegment_WhenFirstWriteOfNewSegmentIsTornAtEveryByte(bool preallocate)
    {
        // 7 frames fill a 1000-byte segment (16 + 7 * 124 = 884), so the 8th record creates segment 8.
        for (int cut = 0; cut < 16 + FrameBytes; cut++)
        {
            var fileSystem = new FaultyFileSystem();
            WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1000, preallocate);
            var acknowledged = WalTestKit.Batch(1, 7, 1, PayloadBytes).ToList();
            string newSegment = WalTestKit.SegmentPath(WalTestKit.MemoryDirectory, 8);
            using (var log = WriteAheadLog.Open(options))
            {
                log.Append(acknowledged);
                fileSystem.TearNextWrite(path => path == newSegment, cut);
                Assert.Throws<WalFailedException>(() => log.Append(WalTestKit.Batch(8, 1, 1, PayloadBytes)));
            }

            fileSystem.Restart(CrashMode.KeepUnsynced);
            AssertRecoversAndContinues(options, acknowledged, expectTailTruncated: cut > 16, $"cut {cut}", log =>
            {
                Assert.Equal(cut < 16 ? 1 : 0, log.LastRecovery.DiscardedSegmentCount);
                Assert.Equal(cut < 16 ? 1 : 2, log.SegmentCount);
            });
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    public void Open_DeletesEmptyLastSegment_WhenCrashLeftItZeroFilled(int zeroBytes)
    {
        var fileSystem = new FaultyFileSystem();
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1000);
        var acknowledged = WalTestKit.Batch(1, 3, 1, PayloadBytes).ToList();
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(acknowledged);
        }

        string orphan = WalTestKit.SegmentPath(WalTestKit.MemoryDirectory, 4);
        using (IStorageFile file = fileSystem.OpenFile(orphan, StorageOpenMode.CreateNew))
        {
            file.SetLength(zeroBytes);
            file.Flush();
        }

        fileSystem.SyncDirectory(WalTestKit.MemoryDirectory);
        AssertRecoversAndContinues(options, acknowledged, expectTailTruncated: false, "orphan", log =>
        {
            Assert.Equal(1, log.LastRecovery.DiscardedSegmentCount);
            Assert.False(fileSystem.FileExists(orphan));
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Open_EndsAtLastWholeRecord_WhenSegmentOnDiskIsCutInsideLastFrame(bool preallocate)
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 1 << 16, preallocate);
        LogRecord[] records = WalTestKit.Batch(1, 6, 2, PayloadBytes);
        byte[] recordedManifest;
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(records[..5]);
            log.Append(records[5..]);
        }

        recordedManifest = File.ReadAllBytes(WalTestKit.ManifestPath(temp.Path));
        using (var log = WriteAheadLog.Open(options))
        {
            log.TruncateSuffix(6);
            WalTestKit.AppendUnrecorded(log, temp.Path, () => log.Append(records[5..]));
        }

        byte[] unrecordedManifest = File.ReadAllBytes(WalTestKit.ManifestPath(temp.Path));
        string segment = WalTestKit.SegmentPath(temp.Path, 1);
        byte[] original = File.ReadAllBytes(segment);
        long lastFrame = WalTestKit.FrameOffset(1, 6, PayloadBytes);
        for (int cut = 0; cut < FrameBytes; cut++)
        {
            // Without preallocation a torn append leaves a short file; with it, zeros where the bytes did not land.
            byte[] torn = preallocate ? (byte[])original.Clone() : original[..(int)(lastFrame + cut)];
            if (preallocate)
            {
                Array.Clear(torn, (int)lastFrame + cut, torn.Length - (int)lastFrame - cut);
            }

            File.WriteAllBytes(segment, torn);

            // Record 6 was acknowledged (the manifest's high-water covers it): its loss is refused, not cut.
            File.WriteAllBytes(WalTestKit.ManifestPath(temp.Path), recordedManifest);
            var loss = Assert.Throws<WalDataLossException>(() => WriteAheadLog.Open(options));
            Assert.Equal(6, loss.ExpectedLastIndex);
            Assert.Equal(5, loss.FoundLastIndex);
            Assert.Contains(Path.GetFileName(segment), loss.Message, StringComparison.Ordinal);
            Assert.Equal(torn, File.ReadAllBytes(segment));

            // The same bytes after a crash before the checkpoint covered record 6: a torn, unacknowledged append.
            File.WriteAllBytes(WalTestKit.ManifestPath(temp.Path), unrecordedManifest);
            using var log = WriteAheadLog.Open(options);
            WalTestKit.AssertHolds(log, records[..5], $"cut {cut}");
            Assert.Equal(cut > 0, log.LastRecovery.TailTruncated);
            if (cut > 0)
            {
                Assert.Equal(lastFrame, log.LastRecovery.TailOffsetBytes);
                Assert.Equal(segment, log.LastRecovery.TailSegmentPath);
            }
        }
    }

    private static void AssertRecoversAndContinues(WalOptions options, List<LogRecord> acknowledged, bool expectTailTruncated,
        string context, Action<WriteAheadLog>? inspect = null)
    {
        LogRecord[] more = WalTestKit.Batch(acknowledged[^1].Index + 1, 3, 2, 7);
        using (var log = WriteAheadLog.Open(options))
        {
            WalTestKit.AssertHolds(log, acknowledged, context);
            Assert.True(expectTailTruncated == log.LastRecovery.TailTruncated, $"{context}: TailTruncated {log.LastRecovery.TailTruncated}");
            inspect?.Invoke(log);

            // Appending over the cut must leave no stale bytes that a later recovery could trip over.
            log.Append(more);
        }

        using (var log = WriteAheadLog.Open(options))
        {
            Assert.False(log.LastRecovery.TailTruncated, context);
            WalTestKit.AssertHolds(log, [.. acknowledged, .. more], context);
        }
    }
}
