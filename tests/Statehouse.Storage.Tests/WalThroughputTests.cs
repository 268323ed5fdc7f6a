using System.Diagnostics;
using Xunit.Abstractions;

namespace Statehouse.Storage.Tests;

public sealed class WalThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public void Append_ReadsBackEveryRecord_WhenManyBatchesAreWritten()
    {
        using var temp = new TempDirectory();
        WalOptions options = WalTestKit.Options(temp.Path, segmentSizeBytes: 256 << 10, syncMode: WalSyncMode.None);
        const int batches = 300;
        const int batchSize = 64;
        using (var log = WriteAheadLog.Open(options))
        {
            var batch = new LogRecord[batchSize];
            byte[] payload = WalTestKit.Payload(1, 100);
            for (int b = 0; b < batches; b++)
            {
                for (int i = 0; i < batchSize; i++)
                {
                    batch[i] = new LogRecord(log.LastIndex + 1 + i, 1 + (b / 100), payload);
                }

                log.Append(batch);
            }
        }

        using var reopened = WriteAheadLog.Open(options);
        Assert.Equal(batches * batchSize, reopened.LastIndex);
        Assert.True(reopened.SegmentCount > 1);
        long expectedIndex = 1;
        foreach (LogRecord record in reopened.Read(1))
        {
            Assert.Equal(expectedIndex++, record.Index);
            Assert.Equal(100, record.Payload.Length);
        }

        Assert.Equal(batches * batchSize + 1, expectedIndex);
    }

    [Fact]
    public void Append_AllocatesNothing_WhenBatchFitsActiveSegment()
    {
        using var temp = new TempDirectory();
        // The production default: the manifest is written by a timer, off the append path.
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, segmentSizeBytes: 16 << 20, highWaterIntervalMs: 20));
        var batch = new LogRecord[64];
        byte[] payload = WalTestKit.Payload(1, 100);
        void AppendOnce()
        {
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = new LogRecord(log.LastIndex + 1 + i, 1, payload);
            }

            log.Append(batch);
        }

        // Each append of 64 records adds one sparse-index entry; after 300 appends the index list has capacity 512,
        // so the next 150 appends must not allocate at all.
        for (int warmup = 0; warmup < 300; warmup++)
        {
            AppendOnce();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int a = 0; a < 150; a++)
        {
            AppendOnce();
        }

        long allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated {allocatedBytes} bytes over 150 appends");
        Assert.Equal(0, allocatedBytes);
    }
}
