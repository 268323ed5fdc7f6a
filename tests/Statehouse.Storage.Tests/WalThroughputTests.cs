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
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, segmentSizeBytes: 16 << 20));
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

    [Theory(Skip = "Measurement, not a test: remove Skip and run with -c Release --logger \"console;verbosity=detailed\" (see docs/internals/storage.md).")]
    [InlineData(1, true)]
    [InlineData(64, true)]
    [InlineData(1, false)]
    [InlineData(64, false)]
    public void Measure_AppendAndFdatasyncLatency_WhenBatchesOf100ByteRecordsAreAppended(int batchSize, bool preallocate)
    {
        using var temp = new TempDirectory();
        var timing = new TimingFileSystem(PhysicalFileSystem.Instance);
        using var log = WriteAheadLog.Open(WalTestKit.Options(temp.Path, preallocate: preallocate, fileSystem: timing));
        timing.FlushLatenciesUs.Clear();
        const int appends = 5000;
        var appendLatenciesUs = new List<double>(appends);
        var batch = new LogRecord[batchSize];
        byte[] payload = WalTestKit.Payload(1, 100);
        var total = Stopwatch.StartNew();
        for (int a = 0; a < appends; a++)
        {
            for (int i = 0; i < batchSize; i++)
            {
                batch[i] = new LogRecord(log.LastIndex + 1 + i, 1, payload);
            }

            long start = Stopwatch.GetTimestamp();
            log.Append(batch);
            appendLatenciesUs.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        total.Stop();
        output.WriteLine($"batch {batchSize}, preallocate {preallocate}: {appends / total.Elapsed.TotalSeconds:F0} appends/s, "
            + $"{appends * batchSize / total.Elapsed.TotalSeconds:F0} records/s; append p50 {Percentile(appendLatenciesUs, 0.5):F0} us "
            + $"p99 {Percentile(appendLatenciesUs, 0.99):F0} us; fdatasync p50 {Percentile(timing.FlushLatenciesUs, 0.5):F0} us "
            + $"p99 {Percentile(timing.FlushLatenciesUs, 0.99):F0} us max {timing.FlushLatenciesUs.Max():F0} us");
    }

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, sorted.Count * fraction)];
    }
}
