using System.Diagnostics;
using Statehouse.Storage;

namespace Statehouse.Bench;

/// <summary>
/// The durable log alone: appends of N records of B bytes, each Append ending in one fdatasync, with segments
/// preallocated or not. Prints appends/s, records/s and append latency (≈ the fdatasync) p50/p99/max.
/// </summary>
internal static class WalCommand
{
    public static Task<int> RunAsync(Args a)
    {
        var appends = a.Int("appends", 5000);
        var recordBytes = a.Int("value-bytes", 100);
        var data = a.OptionalStr("data");
        var batchSizes = a.Str("batches", "1,64").Split(',').Select(int.Parse).ToArray();
        a.RejectUnknown();

        foreach (var preallocate in new[] { true, false })
        {
            foreach (var batchSize in batchSizes)
            {
                var dir = Path.Combine(data ?? Path.GetTempPath(), $"statehouse-walbench-{Guid.NewGuid():N}");
                try
                {
                    Run(dir, appends, batchSize, recordBytes, preallocate);
                }
                finally
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }

        return Task.FromResult(0);
    }

    private static void Run(string dir, int appends, int batchSize, int recordBytes, bool preallocate)
    {
        using var log = WriteAheadLog.Open(new WalOptions { Directory = dir, PreallocateSegments = preallocate });
        var payload = new byte[recordBytes];
        Random.Shared.NextBytes(payload);
        var batch = new LogRecord[batchSize];
        var latency = new LatencyHistogram();
        var total = Stopwatch.StartNew();
        for (var n = 0; n < appends; n++)
        {
            for (var i = 0; i < batchSize; i++)
            {
                batch[i] = new LogRecord(log.LastIndex + 1 + i, 1, payload);
            }

            var start = Stopwatch.GetTimestamp();
            log.Append(batch);
            latency.Record(LatencyHistogram.TicksToNs(Stopwatch.GetTimestamp() - start));
        }

        total.Stop();
        var seconds = total.Elapsed.TotalSeconds;
        Console.WriteLine(
            $"wal batch={batchSize} preallocate={preallocate}: {appends / seconds:F0} appends/s, {appends * batchSize / seconds:F0} records/s, " +
            $"append (write + fdatasync) p50 {latency.PercentileMs(0.5) * 1000:F0} us p99 {latency.PercentileMs(0.99) * 1000:F0} us max {latency.MaxNs / 1000:F0} us");
    }
}
