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

        // The manifest's high-water checkpoint interval: 60000 ≈ never during a run (the log without it), 20 the
        // default (background timer), 0 a manifest write inside every append.
        var highWaterIntervals = a.Str("high-water-ms", "20").Split(',').Select(int.Parse).ToArray();
        var preallocateModes = a.Str("preallocate", "both") switch
        {
            "true" => new[] { true },
            "false" => new[] { false },
            _ => new[] { true, false },
        };
        a.RejectUnknown();

        foreach (var preallocate in preallocateModes)
        {
            foreach (var batchSize in batchSizes)
            {
                foreach (var highWaterMs in highWaterIntervals)
                {
                    var dir = Path.Combine(data ?? Path.GetTempPath(), $"statehouse-walbench-{Guid.NewGuid():N}");
                    try
                    {
                        Run(dir, appends, batchSize, recordBytes, preallocate, highWaterMs);
                    }
                    finally
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                }
            }
        }

        return Task.FromResult(0);
    }

    private static void Run(string dir, int appends, int batchSize, int recordBytes, bool preallocate, int highWaterMs)
    {
        using var log = WriteAheadLog.Open(new WalOptions { Directory = dir, PreallocateSegments = preallocate, HighWaterCheckpointIntervalMs = highWaterMs });
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
            $"wal batch={batchSize} preallocate={preallocate} high-water-ms={highWaterMs}: {appends / seconds:F0} appends/s, {appends * batchSize / seconds:F0} records/s, " +
            $"append (write + fdatasync) p50 {latency.PercentileMs(0.5) * 1000:F0} us p99 {latency.PercentileMs(0.99) * 1000:F0} us max {latency.MaxNs / 1000:F0} us");
    }
}
